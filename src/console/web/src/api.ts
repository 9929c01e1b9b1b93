import { currentSession, signOut } from './session.js';

/** A refusal or failure of the API, in words a person can act on; never a stack trace. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Problem {
  title?: string;
  detail?: string;
  code?: string;
  errors?: Array<{ message?: string; path?: string }>;
}

const STATUS_WORDS: Record<number, string> = {
  401: 'Your sign-in is no longer accepted. Sign in again.',
  403: 'Your role does not allow this.',
  404: 'Not found, or not visible to you.',
  429: 'Too many requests: wait a moment and try again.',
  503: 'The service is busy or unavailable: try again in a moment.',
};

async function problemOf(response: Response): Promise<ApiError> {
  let problem: Problem = {};
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) problem = ((await response.json().catch(() => ({}))) as Problem) ?? {};
  const code = typeof problem.code === 'string' ? problem.code : `HTTP_${response.status}`;
  const words = typeof problem.detail === 'string' && problem.detail ? problem.detail : typeof problem.title === 'string' && problem.title ? problem.title : STATUS_WORDS[response.status] ?? `The service answered ${response.status}.`;
  return new ApiError(response.status, code, words);
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** A body sent as it is (a YAML policy), with its content type, instead of JSON. */
  text?: { body: string; type: string };
  /** Without the signed-in person's token (the development sign-in). */
  anonymous?: boolean;
  signal?: AbortSignal;
}

/** Calls the service's public API as the signed-in person: bearer token, JSON in and out. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  if (!options.anonymous) {
    const session = currentSession();
    if (!session) throw new ApiError(401, 'SIGNED_OUT', 'You are signed out. Sign in again.');
    headers.authorization = `Bearer ${session.token}`;
  }
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.text) headers['content-type'] = options.text.type;
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : options.text ? { body: options.text.body } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK', 'The service cannot be reached: check that it is running.');
  }
  if (!response.ok) {
    const error = await problemOf(response);
    // An expired or disabled sign-in ends the session here: the sign-in page says why.
    if (response.status === 401 && !options.anonymous) signOut(error.message);
    throw error;
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** What went wrong, in words: an ApiError's message, or a plain sentence for anything else. */
export const errorWords = (err: unknown): string => (err instanceof ApiError ? err.message : 'Something went wrong in the console; reload the page.');

// The shapes the console reads.

export type FieldType = 'id' | 'string' | 'text' | 'integer' | 'decimal' | 'boolean' | 'date' | 'timestamp' | 'enum' | 'string[]' | 'ref' | 'file';

export interface ModelField {
  name: string;
  type: FieldType;
  class: string;
  ref: string | null;
}

export interface ModelResource {
  name: string;
  plural: string;
  idField: string;
  /** False where records are listed only under their parent (documents under their customer). */
  listable: boolean;
  parent: string | null;
  fields: ModelField[];
}

export interface ModelView {
  resources: ModelResource[];
  you: {
    sub: string;
    roles: string[];
    may: {
      listPeople: boolean;
      managePeople: boolean;
      readActivity: boolean;
      readPolicy: boolean;
      previewPolicy: boolean;
      replayPolicy: boolean;
      readSubjects?: boolean;
      eraseSubjects?: boolean;
      holdSubjects?: boolean;
      readInventory?: boolean;
      readIncidents?: boolean;
      accessReview?: boolean;
    };
  };
}

export interface AccessBlock {
  masked: string[];
  withheld: string[];
  revealed?: string[];
}

export type RecordJson = Record<string, unknown> & { _access: AccessBlock };

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Principal {
  sub: string;
  roles: string[] | null;
  firstSeen: string | null;
  lastSeen: string | null;
  disabled: boolean;
  status: { disabled: boolean; reason: string | null; changedBy: string; changedAt: string } | null;
}

export interface AccessRequest {
  id: string;
  requester: string;
  resource: string;
  recordId: string;
  fields: string[];
  reason: string;
  minutes: number;
  breakGlass: boolean;
  status: 'pending' | 'approved' | 'denied' | 'expired' | 'revoked';
  createdAt: string;
  decidedBy: string | null;
  expiresAt: string | null;
}

export interface DevSignIn {
  roles: string[];
}

/**
 * A file of the API (an HTML report, a CSV, a markdown document) fetched with the bearer
 * token, as a Blob the console hands to the browser as a download: a plain link cannot
 * carry the token.
 */
export async function apiFile(path: string, accept: string): Promise<Blob> {
  const session = currentSession();
  if (!session) throw new ApiError(401, 'SIGNED_OUT', 'You are signed out. Sign in again.');
  let response: Response;
  try {
    response = await fetch(path, { headers: { accept, authorization: `Bearer ${session.token}` }, cache: 'no-store', credentials: 'omit' });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The service cannot be reached: check that it is running.');
  }
  if (!response.ok) {
    const error = await problemOf(response);
    if (response.status === 401) signOut(error.message);
    throw error;
  }
  return response.blob();
}
