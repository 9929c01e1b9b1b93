import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** One HTTP exchange, however it is carried (fastify inject or a real socket). */
export type Send = (req: { method: string; url: string; headers: Record<string, string>; body?: unknown }) => Promise<{ status: number; body: string }>;

/** What the fault tests remember of every response, to compare with the audit table. */
export interface Outcome {
  op: string;
  requestId: string;
  status: number;
  /** Customer ids the response carried (empty for errors). */
  ids: string[];
  /** Stable error code from a problem body or GraphQL extensions. */
  code: string | null;
  sentAt: number;
  doneAt: number;
  /** Set when the exchange failed below HTTP (connection refused or reset). */
  transportError?: string;
}

export interface LoadTokens {
  agent: string;
  admin: string;
}

const json = (body: string): any => {
  try {
    return JSON.parse(body);
  } catch {
    return null;
  }
};

/** The mixed operations: REST and GraphQL, reads and writes, as the fault tests send them. */
export function mixedOperations(tokens: LoadTokens, customerIds: string[]) {
  const pick = (n: number) => customerIds[n % customerIds.length]!;
  const gql = (token: string, query: string, variables: object) => ({
    method: 'POST',
    url: '/graphql',
    token,
    body: { query, variables },
  });
  return [
    (_n: number) => ({ op: 'rest.list', method: 'GET', url: '/v1/customers?limit=5', token: tokens.agent }),
    (n: number) => ({ op: 'rest.get', method: 'GET', url: `/v1/customers/${pick(n)}`, token: tokens.agent }),
    (n: number) => ({ op: 'rest.update', method: 'PATCH', url: `/v1/customers/${pick(n)}`, token: tokens.agent, body: { notes: `note ${n}` } }),
    (n: number) => ({ op: 'rest.create', method: 'POST', url: '/v1/customers', token: tokens.admin, body: { fullName: `Load Test ${n}` } }),
    (_n: number) => ({ op: 'graphql.list', ...gql(tokens.agent, '{ customers(first: 5) { nodes { id fullName phone } } }', {}) }),
    (n: number) => ({
      op: 'graphql.update',
      ...gql(tokens.agent, 'mutation($id: ID!, $n: String) { updateCustomer(id: $id, input: { notes: $n }) { id notes } }', { id: pick(n), n: `gql ${n}` }),
    }),
  ];
}

/** Customer ids a response carried: REST item(s) or GraphQL nodes / mutation result. */
function idsIn(op: string, body: any): string[] {
  if (!body) return [];
  if (op.startsWith('rest.')) return Array.isArray(body.items) ? body.items.map((c: any) => c.id) : body.id ? [body.id] : [];
  const data = body.data ?? {};
  if (data.customers) return data.customers.nodes.map((c: any) => c.id);
  return data.updateCustomer ? [data.updateCustomer.id] : [];
}

/** Sends operation number `n` and records its outcome under a fresh request id. */
export async function sendOne(send: Send, ops: ReturnType<typeof mixedOperations>, n: number): Promise<Outcome> {
  const req = ops[n % ops.length]!(n);
  const requestId = `fault-${randomUUID()}`;
  const sentAt = Date.now();
  const headers: Record<string, string> = { authorization: `Bearer ${req.token}`, 'x-request-id': requestId };
  if ('body' in req) headers['content-type'] = 'application/json';
  try {
    const res = await send({ method: req.method, url: req.url, headers, body: 'body' in req ? req.body : undefined });
    const body = json(res.body);
    const code = body?.code ?? body?.errors?.[0]?.extensions?.code ?? null;
    const ids = res.status >= 200 && res.status < 300 ? idsIn(req.op, body) : [];
    return { op: req.op, requestId, status: res.status, ids, code, sentAt, doneAt: Date.now() };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    return { op: req.op, requestId, status: 0, ids: [], code: null, sentAt, doneAt: Date.now(), transportError: cause };
  }
}

export interface AuditedRequest {
  requestId: string | null;
  resourceIds: string[];
}

/**
 * Every 2xx response that carried customer ids without an allowed audit row of the same
 * request id naming them all. The core commits that row before any data leaves.
 */
export function unaudited(outcomes: Outcome[], rows: AuditedRequest[]): Outcome[] {
  const audited = new Map<string, Set<string>>();
  for (const row of rows) {
    if (!row.requestId) continue;
    const ids = audited.get(row.requestId) ?? new Set();
    for (const id of row.resourceIds) ids.add(id);
    audited.set(row.requestId, ids);
  }
  return outcomes
    .filter((o) => o.status >= 200 && o.status < 300 && o.ids.length > 0)
    .filter((o) => !o.ids.every((id) => audited.get(o.requestId)?.has(id)));
}

/** The allowed audit rows of these requests, read straight from the table. */
export async function auditedInDatabase(url: string, outcomes: Outcome[]): Promise<AuditedRequest[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ request_id: string; resource_ids: string[] }>(
      `select request_id, resource_ids from audit_events where outcome = 'allowed' and request_id = any($1)`,
      [outcomes.map((o) => o.requestId)],
    );
    return rows.map((r) => ({ requestId: r.request_id, resourceIds: r.resource_ids }));
  } finally {
    await client.end();
  }
}

/** The allowed audit rows, read through the audit feed as an auditor (no database access). */
export async function auditedInFeed(send: Send, auditorToken: string): Promise<AuditedRequest[]> {
  const rows: AuditedRequest[] = [];
  for (let after = ''; ; ) {
    const res = await send({
      method: 'GET',
      url: `/v1/audit/events?limit=100&outcome=allowed${after ? `&after=${after}` : ''}`,
      headers: { authorization: `Bearer ${auditorToken}` },
    });
    if (res.status !== 200) throw new Error(`audit feed answered ${res.status}`);
    const page = JSON.parse(res.body) as { items: AuditedRequest[]; nextCursor: string };
    rows.push(...page.items);
    if (page.items.length === 0 || page.nextCursor === after) return rows;
    after = page.nextCursor;
  }
}

/** `send` over a real socket to a listening service (loopback only). */
export const fetchSend =
  (base: string): Send =>
  async ({ method, url, headers, body }) => {
    const res = await fetch(`${base}${url}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: await res.text() };
  };
