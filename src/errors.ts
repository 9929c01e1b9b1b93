/**
 * The one error type of the service. REST renders it as problem+json, GraphQL as an
 * error with `extensions.code`. Messages are written for callers: they never carry a
 * data value, a token or a stack trace.
 */
export const errorCodes = {
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  VALIDATION_FAILED: { status: 400, title: 'Validation failed' },
  UNKNOWN_FIELD: { status: 400, title: 'Unknown field' },
  MASKED_VALUE: { status: 400, title: 'Masked value sent back' },
  INVALID_CURSOR: { status: 400, title: 'Invalid cursor' },
  FIELD_NOT_QUERYABLE: { status: 400, title: 'Field cannot be searched or sorted' },
  UNAUTHENTICATED: { status: 401, title: 'Unauthenticated' },
  PRINCIPAL_DISABLED: { status: 401, title: 'Account disabled' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  FIELD_NOT_WRITABLE: { status: 403, title: 'Field not writable' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  NOT_ACCEPTABLE: { status: 406, title: 'Not acceptable' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  CHAIN_BROKEN: { status: 409, title: 'Audit chain broken' },
  HAS_CHILDREN: { status: 409, title: 'Record has child records' },
  REQUEST_NOT_PENDING: { status: 409, title: 'Access request already decided' },
  LEGAL_HOLD: { status: 409, title: 'Under legal hold' },
  POLICY_INVALID: { status: 422, title: 'Invalid policy' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  BUDGET_EXCEEDED: { status: 429, title: 'Read budget exceeded' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  INTERNAL: { status: 500, title: 'Internal error' },
  AUDIT_UNAVAILABLE: { status: 503, title: 'Audit trail unavailable' },
  UNAVAILABLE: { status: 503, title: 'Service unavailable' },
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;
  readonly title: string;

  constructor(
    readonly code: ErrorCode,
    detail: string,
    /** Extra members for the problem body, e.g. the offending field names. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.status = errorCodes[code].status;
    this.title = errorCodes[code].title;
  }
}

export const notFound = (resource: string) => new AppError('NOT_FOUND', `${resource} not found.`);
