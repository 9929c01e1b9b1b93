import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Appends a batch of audit rows to the hash chain in one statement, so in one round
// trip: takes the chain lock (4242000001), reads the head, and gives each row its seq,
// prev_hash and hash = sha256(prev_hash || content). The writer sends each row's
// canonical content cut in three where prev_hash and seq go (a, b, c: content is
// a || '"' || prev_hash || '"' || b || '"' || seq || '"' || c), so the text hashed here is
// byte for byte the text the verifier recomputes. Statements inside a volatile function
// each take a fresh snapshot, so the head is read after the lock is held.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION fieldguard_append_audit(p_rows jsonb, p_segments jsonb) RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
    DECLARE
      n integer := jsonb_array_length(p_rows);
      head_seq bigint;
      prev text;
      content text;
      -- Sent as a JSON array: long strings full of quotes escape far faster in JSON
      -- than in a PostgreSQL array literal.
      segments text[] := ARRAY(SELECT value FROM jsonb_array_elements_text(p_segments) WITH ORDINALITY ORDER BY ordinality);
      seqs bigint[] := '{}';
      prevs text[] := '{}';
      hashes text[] := '{}';
    BEGIN
      IF n * 3 <> coalesce(array_length(segments, 1), 0) THEN
        RAISE EXCEPTION 'fieldguard_append_audit: % rows need % segments, got %', n, n * 3, coalesce(array_length(segments, 1), 0);
      END IF;
      PERFORM pg_advisory_xact_lock(4242000001);
      SELECT seq, hash INTO head_seq, prev FROM audit_events ORDER BY seq DESC LIMIT 1;
      IF head_seq IS NULL THEN
        head_seq := 0;
        prev := repeat('0', 64);
      END IF;
      -- The links, one after the other; then the rows in one set-based INSERT.
      FOR i IN 1 .. n LOOP
        head_seq := head_seq + 1;
        content := segments[i * 3 - 2] || '"' || prev || '"' || segments[i * 3 - 1] || '"' || head_seq::text || '"' || segments[i * 3];
        seqs[i] := head_seq;
        prevs[i] := prev;
        prev := encode(sha256(convert_to(prev || content, 'UTF8')), 'hex');
        hashes[i] := prev;
      END LOOP;
      INSERT INTO audit_events (
        seq, event_id, occurred_at, actor_sub, actor_roles, actor_token_id, channel, action, resource_type,
        resource_ids, fields_clear, fields_masked, fields_withheld, fields_written, outcome, reason,
        request_id, purpose, client_ip, user_agent, policy_version, details, prev_hash, hash)
      SELECT seqs[r.ord], r.event_id, r.occurred_at, r.actor_sub, r.actor_roles, r.actor_token_id, r.channel, r.action, r.resource_type,
        r.resource_ids, r.fields_clear, r.fields_masked, r.fields_withheld, r.fields_written, r.outcome, r.reason,
        r.request_id, r.purpose, r.client_ip, r.user_agent, r.policy_version, r.details, prevs[r.ord], hashes[r.ord]
      FROM ROWS FROM (jsonb_to_recordset(p_rows) AS (
        event_id uuid, occurred_at timestamptz, actor_sub text, actor_roles text[], actor_token_id text, channel text,
        action text, resource_type text, resource_ids text[], fields_clear text[], fields_masked text[],
        fields_withheld text[], fields_written text[], outcome text, reason text, request_id text, purpose text,
        client_ip text, user_agent text, policy_version text, details jsonb)) WITH ORDINALITY AS r(
        event_id, occurred_at, actor_sub, actor_roles, actor_token_id, channel, action, resource_type, resource_ids,
        fields_clear, fields_masked, fields_withheld, fields_written, outcome, reason, request_id, purpose,
        client_ip, user_agent, policy_version, details, ord)
      ORDER BY r.ord;
    END
    $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION fieldguard_append_audit(jsonb, jsonb)`.execute(db);
}
