import Negotiator from 'negotiator';
import type { GraphQLFormattedError } from 'graphql';
import { errorCodes, type ErrorCode } from '../errors.js';

export const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json';
export type GraphQLMediaType = typeof GRAPHQL_RESPONSE_JSON | 'application/json';

/** Listed legacy first: where the client ranks both equally, `application/json` wins. */
const OFFERED: GraphQLMediaType[] = ['application/json', GRAPHQL_RESPONSE_JSON];

/**
 * The media type of the answer, from the Accept header (GraphQL over HTTP, "Body"), or
 * null when the client accepts neither (406). `*\/*`, which Apollo Client 3, browsers
 * and `fetch` send, and a missing header get `application/json`: the spec's watershed
 * note would now default a missing header to the new type, but a client that sends no
 * Accept at all is a script or a legacy client that cannot read a 4xx body as GraphQL,
 * and every client that can (Apollo Client 4, graphql-request, urql) asks for it.
 */
export function negotiateMediaType(accept: string | undefined): GraphQLMediaType | null {
  return (new Negotiator({ headers: { accept: accept ?? '*/*' } }).mediaType(OFFERED) as GraphQLMediaType | undefined) ?? null;
}

type FormattedError = GraphQLFormattedError & { extensions: Record<string, unknown> };

export interface GraphQLOutcome {
  errors: FormattedError[];
  /** Whether execution produced a `data` entry (null included). */
  executed: boolean;
  /** What mercurius said of a request it refused before execution. */
  refusal: { status: number; wellFormed: boolean } | null;
  mediaType: GraphQLMediaType;
}

const statusOf = (code: unknown) => errorCodes[code as ErrorCode]?.status;

/**
 * The HTTP status of a GraphQL response carrying errors, and whether it keeps `data`.
 *
 * - A request error in a well-formed request (syntax, validation, a limit, variables):
 *   400 under `application/graphql-response+json`; 200 under `application/json`, where
 *   a 4xx is something any proxy could have sent, so clients (Apollo Client) raise a
 *   network error and never show `extensions.code`.
 * - Not a well-formed GraphQL-over-HTTP request (bad JSON or parameters, no query, the
 *   CSRF header missing): its 4xx in both; a mutation over GET: 405 (the spec's MUST).
 * - Refused before GraphQL runs (token missing or invalid 401, rate limit 429, 406):
 *   that status in both media types, as in REST. Authentication and rate limiting are
 *   HTTP's business, and the spec names 401 for a client not permitted to ask; under
 *   `application/graphql-response+json` the body still reads as GraphQL (Apollo Client
 *   4 shows `UNAUTHENTICATED`).
 * - The audit trail or the database failed: 503 and no data (fail closed, as REST).
 * - Otherwise execution ran: 200 with its (possibly partial or null) data.
 */
export function responseStatus(outcome: GraphQLOutcome): { status: number; withData: boolean } {
  const { errors, executed, refusal, mediaType } = outcome;
  if (errors.some((e) => statusOf(e.extensions.code) === 503)) return { status: 503, withData: false };
  if (executed) return { status: 200, withData: true };
  const early = errors.find((e) => !e.path && statusOf(e.extensions.code) !== undefined && e.extensions.code !== 'GRAPHQL_VALIDATION_FAILED');
  if (early) return { status: statusOf(early.extensions.code)!, withData: false };
  const status = refusal?.status ?? 400;
  const requestError = status === 400 && (refusal?.wellFormed ?? true);
  return { status: requestError && mediaType === 'application/json' ? 200 : status, withData: false };
}
