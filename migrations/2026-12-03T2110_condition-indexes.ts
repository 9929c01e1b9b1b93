import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// The model's plan now indexes every field the policy's rules test in conditions (each
// read and list filters on them in SQL). The default policy's rules test a customer's
// privacy level and assignees and a document's category: the built-in tables get the
// indexes the plan would otherwise add at start-up (same names, so the plan finds them;
// IF NOT EXISTS where an earlier start-up already added them).

export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX IF NOT EXISTS customers_privacy_level_idx ON customers (privacy_level)`.execute(db);
  await sql`CREATE INDEX IF NOT EXISTS customers_assignees_idx ON customers USING gin (assignees)`.execute(db);
  await sql`CREATE INDEX IF NOT EXISTS documents_category_idx ON documents (category)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS documents_category_idx`.execute(db);
  await sql`DROP INDEX IF EXISTS customers_assignees_idx`.execute(db);
  await sql`DROP INDEX IF EXISTS customers_privacy_level_idx`.execute(db);
}
