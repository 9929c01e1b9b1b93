import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Leavers: an admin disables a person (a `sub`), and from the next request on every
// instance refuses that person's tokens; or only one of their tokens, by its `jti`.
// `principal_status` holds the last decision per person (`jti` empty) and per token;
// every change to it is announced on the channel `fieldguard_principal_status`
// by a trigger (so a change made in SQL by an operator is announced too), and each
// instance keeps the disabled set in memory from those announcements (no query per
// request). `revision` grows with every change, so an instance can tell a late
// announcement from a newer state it already holds.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE SEQUENCE principal_status_revision`.execute(db);
  await sql`
    CREATE TABLE principal_status (
      sub text NOT NULL CHECK (length(sub) BETWEEN 1 AND 256),
      -- '' for the whole person; else the one token (its jti) the row is about.
      jti text NOT NULL DEFAULT '' CHECK (length(jti) <= 256),
      disabled boolean NOT NULL,
      reason text CHECK (length(reason) <= 500),
      changed_by text NOT NULL,
      changed_at timestamptz NOT NULL DEFAULT now(),
      revision bigint NOT NULL DEFAULT nextval('principal_status_revision'),
      PRIMARY KEY (sub, jti)
    )`.execute(db);
  await sql`
    CREATE FUNCTION fieldguard_principal_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      rev bigint := nextval('principal_status_revision');
    BEGIN
      -- NOTIFY is transactional: instances hear of the change when (and only if) it commits.
      IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('fieldguard_principal_status', json_build_object('sub', OLD.sub, 'jti', OLD.jti, 'disabled', false, 'revision', rev)::text);
        RETURN OLD;
      END IF;
      NEW.revision := rev;
      PERFORM pg_notify('fieldguard_principal_status', json_build_object('sub', NEW.sub, 'jti', NEW.jti, 'disabled', NEW.disabled, 'revision', rev)::text);
      RETURN NEW;
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER principal_status_changed BEFORE INSERT OR UPDATE OR DELETE ON principal_status
    FOR EACH ROW EXECUTE FUNCTION fieldguard_principal_status_changed()`.execute(db);
  await sql`
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fieldguard_app') THEN
        GRANT SELECT, INSERT, UPDATE ON principal_status TO fieldguard_app;
        GRANT USAGE ON SEQUENCE principal_status_revision TO fieldguard_app;
      END IF;
    END $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE principal_status`.execute(db);
  await sql`DROP FUNCTION fieldguard_principal_status_changed()`.execute(db);
  await sql`DROP SEQUENCE principal_status_revision`.execute(db);
}
