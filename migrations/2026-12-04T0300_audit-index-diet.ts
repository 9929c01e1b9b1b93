import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Every audit row updated ten indexes, and every single read waits for its row's commit
// under the chain lock: each index is time the whole chain waits. Kept only what a query
// uses (docs/scaling.md lists each index with the queries it serves and its measured cost):
//
// - prev_hash and hash were UNIQUE, and no query looks a row up by either. Two 64-char
//   random keys per row, the two largest btrees, each insert on a random leaf. The chain
//   does not need them: seq is the primary key and is assigned under the chain lock, so
//   there is one row per position, and each link is checked by the verifier (prev_hash
//   equal to the hash of the row before), which a constraint on uniqueness never did.
// - (action, seq) is looked up only for the rare actions (the newest checkpoint, verify
//   or attestation; exports and their ledger ends; the feed filtered by a rare action).
//   Reads, lists and decision checks, most of the trail, leave it: the feed filtered on
//   them walks the primary key, where nearly every row matches anyway.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE audit_events DROP CONSTRAINT audit_events_prev_hash_key`.execute(db);
  await sql`ALTER TABLE audit_events DROP CONSTRAINT audit_events_hash_key`.execute(db);
  await sql`DROP INDEX audit_events_action_seq`.execute(db);
  await sql`CREATE INDEX audit_events_action_seq ON audit_events (action, seq) WHERE action NOT IN ('read', 'list', 'check')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX audit_events_action_seq`.execute(db);
  await sql`CREATE INDEX audit_events_action_seq ON audit_events (action, seq)`.execute(db);
  await sql`ALTER TABLE audit_events ADD CONSTRAINT audit_events_hash_key UNIQUE (hash)`.execute(db);
  await sql`ALTER TABLE audit_events ADD CONSTRAINT audit_events_prev_hash_key UNIQUE (prev_hash)`.execute(db);
}
