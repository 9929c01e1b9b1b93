import type { CheckAction, CheckResult, Page, PageQuery, Problem, Rendered, RenderResult } from './types.js';

/** A refusal or failure from fieldguard, with its problem document (never a data value). */
export class FieldguardError extends Error {
  override name = 'FieldguardError';
  readonly status: number;
  readonly code: string;
  constructor(readonly problem: Problem) {
    super(`${problem.code}: ${problem.detail}`);
    this.status = problem.status;
    this.code = problem.code;
  }
}

export interface ClientOptions {
  /** Where fieldguard listens, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** The end user's token (or a function giving it per call): decisions are theirs, not the CRM's. */
  token: string | (() => string | Promise<string>);
  /** Sent as X-Purpose, recorded with every access in the audit trail. */
  purpose?: string;
  /** Another fetch (tests, proxies); the global one by default. */
  fetch?: typeof fetch;
}

/** Per call: why the data is needed this time, and a request id to correlate with the trail. */
export interface CallOptions {
  purpose?: string;
  requestId?: string;
  signal?: AbortSignal;
}

/**
 * A small typed client of fieldguard's REST API: the decisions API for records the CRM
 * keeps itself, and the generated routes of stored resources. No dependencies: `fetch`
 * only. Every method throws a FieldguardError for a non-2xx answer.
 */
export class FieldguardClient {
  private readonly fetch: typeof fetch;
  constructor(private readonly options: ClientOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** Another client for another user's token, sharing the rest. */
  as(token: string): FieldguardClient {
    return new FieldguardClient({ ...this.options, token });
  }

  /** The records the user may see, rendered by policy; the others dropped and counted. */
  render<T extends object = Record<string, unknown>>(resource: string, records: T[], call?: CallOptions): Promise<RenderResult<T>> {
    return this.send('POST', '/v1/decisions/render', { resource, action: 'read', records }, call);
  }

  /** Per record and action: allowed or not (with the reason), and the writable fields. */
  check(resource: string, actions: CheckAction[], records: object[], call?: CallOptions): Promise<CheckResult> {
    return this.send('POST', '/v1/decisions/check', { resource, actions, records }, call);
  }

  /** A page of a stored resource, by its plural (`customers`). */
  list<T extends object = Record<string, unknown>>(plural: string, query: PageQuery = {}, call?: CallOptions): Promise<Page<T>> {
    const params = new URLSearchParams();
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.cursor !== undefined) params.set('cursor', query.cursor);
    if (query.sort !== undefined) params.set('sort', query.sort);
    for (const [field, value] of Object.entries(query.filter ?? {})) params.set(`filter[${field}]`, value);
    const search = params.size > 0 ? `?${params}` : '';
    return this.send('GET', `/v1/${encodeURIComponent(plural)}${search}`, undefined, call);
  }

  get<T extends object = Record<string, unknown>>(plural: string, id: string, call?: CallOptions): Promise<Rendered<T>> {
    return this.send('GET', `/v1/${encodeURIComponent(plural)}/${encodeURIComponent(id)}`, undefined, call);
  }

  create<T extends object = Record<string, unknown>>(plural: string, input: Partial<T>, call?: CallOptions): Promise<Rendered<T>> {
    return this.send('POST', `/v1/${encodeURIComponent(plural)}`, input, call);
  }

  update<T extends object = Record<string, unknown>>(plural: string, id: string, input: Partial<T>, call?: CallOptions): Promise<Rendered<T>> {
    return this.send('PATCH', `/v1/${encodeURIComponent(plural)}/${encodeURIComponent(id)}`, input, call);
  }

  async remove(plural: string, id: string, call?: CallOptions): Promise<void> {
    await this.send('DELETE', `/v1/${encodeURIComponent(plural)}/${encodeURIComponent(id)}`, undefined, call);
  }

  private async send<R>(method: string, path: string, body: unknown, call: CallOptions = {}): Promise<R> {
    const token = typeof this.options.token === 'function' ? await this.options.token() : this.options.token;
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const purpose = call.purpose ?? this.options.purpose;
    if (purpose !== undefined) headers['x-purpose'] = purpose;
    if (call.requestId !== undefined) headers['x-request-id'] = call.requestId;
    const res = await this.fetch(new URL(path, this.options.baseUrl), {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(call.signal ? { signal: call.signal } : {}),
    });
    if (res.status === 204) return undefined as R;
    const text = await res.text();
    if (!res.ok) throw new FieldguardError(problemOf(res.status, text));
    return JSON.parse(text) as R;
  }
}

/** The problem document, or one standing in for an answer that is not one (a proxy's page). */
function problemOf(status: number, text: string): Problem {
  try {
    const parsed = JSON.parse(text) as Problem;
    if (typeof parsed.code === 'string') return parsed;
  } catch {
    // not JSON: described below
  }
  return { type: 'about:blank', title: 'Unexpected answer', status, detail: `fieldguard answered ${status} without a problem document.`, code: 'UNEXPECTED_RESPONSE' };
}
