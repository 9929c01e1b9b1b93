import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.

/**
 * Indexes for the filtered audit feed. Each filtered page is "matching rows with
 * seq > cursor, by seq": a (column, seq) index answers it without sorting, and
 * without reading the rows of other actors or actions.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX audit_events_actor_seq ON audit_events (actor_sub, seq)`.execute(db);
  await sql`CREATE INDEX audit_events_action_seq ON audit_events (action, seq)`.execute(db);
  // Refusals are rare and what a SIEM watches for; allowed events are most of the table.
  await sql`CREATE INDEX audit_events_denied_seq ON audit_events (seq) WHERE outcome = 'denied'`.execute(db);
  // For resource_ids @> array[id]: "who touched this customer".
  await sql`CREATE INDEX audit_events_resource_ids ON audit_events USING gin (resource_ids)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX audit_events_resource_ids`.execute(db);
  await sql`DROP INDEX audit_events_denied_seq`.execute(db);
  await sql`DROP INDEX audit_events_action_seq`.execute(db);
  await sql`DROP INDEX audit_events_actor_seq`.execute(db);
}
