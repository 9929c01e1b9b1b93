import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.

// Read budgets count one actor's recent reads on every budgeted request, and the
// per-actor report scans one actor's period: both want the actor's rows by time.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX audit_events_actor_time ON audit_events (actor_sub, occurred_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX audit_events_actor_time`.execute(db);
}
