import { sql, type ColumnType } from 'kysely';
import type { Db } from './database.js';

/** `principal_status`: the last enable/disable decision per person and per token (see its migration). */
export interface PrincipalStatusTable {
  sub: string;
  /** '' for the whole person, else one token's `jti`. */
  jti: ColumnType<string, string | undefined, never>;
  disabled: boolean;
  reason: string | null;
  changedBy: string;
  changedAt: ColumnType<Date, Date | undefined, Date>;
  /** Set by the table's trigger on every change; grows with each one. */
  revision: ColumnType<string, never, never>;
}

/** What an instance keeps in memory about one person: enough to refuse them, no more. */
export interface StatusEntry {
  sub: string;
  /** '' for the whole person, else one token's `jti`. */
  jti: string;
  disabled: boolean;
  revision: bigint;
}

/** The channel the table's trigger announces every change on. */
export const PRINCIPAL_STATUS_CHANNEL = 'fieldguard_principal_status';

/** Every person's status, for an instance (re)loading its memory. Small: only people ever disabled. */
export async function loadStatusEntries(query: (text: string) => Promise<{ rows: Array<Record<string, unknown>> }>): Promise<StatusEntry[]> {
  const { rows } = await query('SELECT sub, jti, disabled, revision::text AS revision FROM principal_status');
  return rows.map((r) => ({ sub: String(r.sub), jti: String(r.jti), disabled: r.disabled === true, revision: BigInt(String(r.revision)) }));
}

/** Records a decision; the trigger stamps its revision and announces it on commit. */
export async function setStatus(db: Db, sub: string, jti: string, disabled: boolean, reason: string | null, by: string): Promise<StatusEntry> {
  const row = await db
    .insertInto('principalStatus')
    .values({ sub, jti, disabled, reason, changedBy: by, changedAt: sql<Date>`now()` })
    .onConflict((oc) => oc.columns(['sub', 'jti']).doUpdateSet({ disabled, reason, changedBy: by, changedAt: sql<Date>`now()` }))
    .returning(['sub', 'jti', 'disabled', sql<string>`revision::text`.as('revision')])
    .executeTakeFirstOrThrow();
  return { sub: row.sub, jti: row.jti, disabled: row.disabled, revision: BigInt(row.revision) };
}

/** One person as `GET /v1/principals` shows them: seen in the trail, and their status. */
export interface PrincipalRow {
  sub: string;
  roles: string[] | null;
  firstSeen: Date | null;
  lastSeen: Date | null;
  disabled: boolean | null;
  reason: string | null;
  changedBy: string | null;
  changedAt: Date | null;
  /** Their tokens disabled one by one (and still disabled), oldest decision first. */
  disabledTokens: Array<{ jti: string; reason: string | null; changedBy: string; changedAt: string }>;
}

/**
 * A page of the people the service knows, by `sub`: every actor of the audit trail and
 * everyone with a status (disabled before they were ever seen). Keyset on `sub`; first
 * and last seen and the roles of their latest event come from the trail's actor index.
 */
export async function listPrincipals(db: Db, after: string | null, limit: number, only?: string): Promise<PrincipalRow[]> {
  const from = after ?? '';
  // `only`: one person, seen or not (the answer to a disable or enable).
  const page = only !== undefined ? sql`SELECT ${only}::text AS sub` : sql`
      SELECT sub FROM (
        (SELECT sub FROM actors WHERE sub IS NOT NULL LIMIT ${limit})
        UNION
        (SELECT DISTINCT sub FROM principal_status WHERE sub > ${from} ORDER BY 1 LIMIT ${limit})
      ) AS candidates
      ORDER BY sub LIMIT ${limit}`;
  // The trail's distinct actors after `from`, one index probe each (a loose index scan):
  // DISTINCT would read every event of every actor on the way.
  const { rows } = await sql<PrincipalRow>`
    WITH RECURSIVE actors AS (
      (SELECT actor_sub AS sub FROM audit_events WHERE actor_sub > ${from} ORDER BY actor_sub LIMIT 1)
      UNION ALL
      SELECT (SELECT a.actor_sub FROM audit_events a WHERE a.actor_sub > actors.sub ORDER BY a.actor_sub LIMIT 1)
      FROM actors WHERE actors.sub IS NOT NULL
    ),
    page AS (${page})
    SELECT p.sub,
      (SELECT a.actor_roles FROM audit_events a WHERE a.actor_sub = p.sub ORDER BY a.occurred_at DESC, a.seq DESC LIMIT 1) AS roles,
      (SELECT min(a.occurred_at) FROM audit_events a WHERE a.actor_sub = p.sub) AS first_seen,
      (SELECT max(a.occurred_at) FROM audit_events a WHERE a.actor_sub = p.sub) AS last_seen,
      s.disabled, s.reason, s.changed_by, s.changed_at,
      (SELECT coalesce(json_agg(json_build_object('jti', t.jti, 'reason', t.reason, 'changedBy', t.changed_by, 'changedAt', t.changed_at) ORDER BY t.changed_at, t.jti), '[]')
        FROM principal_status t WHERE t.sub = p.sub AND t.jti <> '' AND t.disabled) AS disabled_tokens
    FROM page p LEFT JOIN principal_status s ON s.sub = p.sub AND s.jti = ''
    ORDER BY p.sub`.execute(db);
  return rows;
}
