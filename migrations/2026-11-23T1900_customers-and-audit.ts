import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE customers (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      full_name text NOT NULL,
      email text,
      phone text,
      address text,
      iban text,
      tax_id text,
      notes text,
      privacy_level text NOT NULL DEFAULT 'standard' CHECK (privacy_level IN ('standard', 'confidential')),
      assignees text[] NOT NULL DEFAULT '{}',
      marketing_opt_out boolean NOT NULL DEFAULT false,
      -- Millisecond precision: what JSON carries, so keyset cursors round-trip exactly.
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      updated_at timestamptz(3) NOT NULL DEFAULT now()
    )`.execute(db);

  await sql`
    CREATE TABLE audit_events (
      -- Chain position, assigned by the writer while it holds the chain lock, so a
      -- feed reading seq > cursor can never skip a row that commits late.
      seq bigint PRIMARY KEY CHECK (seq > 0),
      event_id uuid NOT NULL UNIQUE,
      occurred_at timestamptz NOT NULL,
      actor_sub text,
      actor_roles text[] NOT NULL DEFAULT '{}',
      actor_token_id text,
      channel text NOT NULL CHECK (channel IN ('rest', 'graphql', 'cli')),
      action text NOT NULL,
      resource_type text NOT NULL,
      resource_ids text[] NOT NULL DEFAULT '{}',
      fields_clear text[] NOT NULL DEFAULT '{}',
      fields_masked text[] NOT NULL DEFAULT '{}',
      fields_withheld text[] NOT NULL DEFAULT '{}',
      fields_written text[] NOT NULL DEFAULT '{}',
      outcome text NOT NULL CHECK (outcome IN ('allowed', 'denied')),
      reason text,
      request_id text,
      purpose text,
      client_ip text,
      user_agent text,
      policy_version text NOT NULL,
      -- Structured extras of some events (export ledger, anomalies, checkpoints).
      details jsonb,
      -- sha256(prev_hash || canonical JSON of the row): the tamper-evident chain.
      prev_hash text NOT NULL UNIQUE,
      hash text NOT NULL UNIQUE
    )`.execute(db);
  await sql`CREATE INDEX audit_events_occurred_at ON audit_events (occurred_at)`.execute(db);

  // Append-only in the database itself, whatever the application does.
  await sql`
    CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()`.execute(db);
  await sql`
    CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE audit_events`.execute(db);
  await sql`DROP FUNCTION audit_events_refuse_change()`.execute(db);
  await sql`DROP TABLE customers`.execute(db);
}
