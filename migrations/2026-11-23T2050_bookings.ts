import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Appointments (the salon). A booking belongs to a customer and goes with it: deleting
// the customer deletes its bookings, so nothing outlives the person it is about.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE bookings (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
      staff_sub text NOT NULL,
      service text NOT NULL,
      -- Millisecond precision: what JSON carries, so keyset cursors round-trip exactly.
      starts_at timestamptz(3) NOT NULL,
      ends_at timestamptz(3) NOT NULL,
      status text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'done', 'cancelled')),
      notes text,
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      updated_at timestamptz(3) NOT NULL DEFAULT now(),
      CHECK (ends_at > starts_at)
    )`.execute(db);
  // Lists run per customer and over time windows, in (starts_at, id) keyset order.
  await sql`CREATE INDEX bookings_customer_starts ON bookings (customer_id, starts_at, id)`.execute(db);
  await sql`CREATE INDEX bookings_starts ON bookings (starts_at, id)`.execute(db);
  await sql`
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fieldguard_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON bookings TO fieldguard_app;
      END IF;
    END $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE bookings`.execute(db);
}
