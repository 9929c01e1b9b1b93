import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { listParameterErrors, validationProblem } from './request-errors.js';

/** Maps anything thrown to the service's one error type, without leaking its message. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as Partial<FastifyError> & { code?: string };
  if (e.validation) return validationProblem({ ...e, validation: e.validation });
  if (e.statusCode === 413) return new AppError('PAYLOAD_TOO_LARGE', 'The request body is too large.');
  if (e.statusCode === 415) return new AppError('UNSUPPORTED_MEDIA_TYPE', 'The Content-Type is not one this endpoint takes: JSON bodies are application/json, uploads a media type such as application/pdf.');
  if (typeof e.code === 'string' && e.code.startsWith('FST_') && e.statusCode && e.statusCode < 500) {
    return new AppError('BAD_REQUEST', e.message ?? 'Bad request.');
  }
  if (isDatabaseUnavailable(e)) return new AppError('UNAVAILABLE', 'The database is unavailable; try again shortly.');
  return new AppError('INTERNAL', 'An unexpected error occurred.');
}

/** Connection failures, shutdowns, timeouts and exhaustion: the database, not the request. */
function isDatabaseUnavailable(e: { code?: string; message?: string }): boolean {
  const code = e.code ?? '';
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57014'].includes(code)) return true;
  if (/^(08|53|57P)/.test(code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(e.message ?? '');
}

/** Type, code and name of an error for the log: never its message, which may hold data. */
export const loggableError = (err: unknown) => ({
  type: (err as Error)?.name,
  code: (err as { code?: string })?.code,
});

/** RFC 6750: no credentials, a malformed header, or a bad token. */
export function bearerChallenge(authorization: string | undefined): string {
  if (!authorization) return 'Bearer';
  return /^Bearer /i.test(authorization) ? 'Bearer error="invalid_token"' : 'Bearer error="invalid_request"';
}

/** Renders every REST error as application/problem+json (RFC 9457). */
export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const problem = toAppError(err);
    if (problem.status >= 500 && !(err instanceof AppError)) {
      // A client that hangs up mid-request (an upload aborted) is not a fault of ours.
      const gone = request.raw.destroyed || ['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE'].includes(String((err as { code?: unknown }).code));
      if (gone) request.log.info({ err: loggableError(err) }, 'client went away');
      else request.log.error({ err: loggableError(err) }, 'request failed');
    }
    if (problem.status === 401) reply.header('www-authenticate', bearerChallenge(request.headers.authorization));
    if (typeof problem.extra.retryAfter === 'number') reply.header('retry-after', String(problem.extra.retryAfter));
    reply
      .code(problem.status)
      .type('application/problem+json')
      .send({
        type: `https://fieldguard.dev/problems/${problem.code.toLowerCase().replaceAll('_', '-')}`,
        title: problem.title,
        status: problem.status,
        detail: problem.message,
        code: problem.code,
        requestId: request.id,
        ...listParameterErrors(problem),
      });
  });
  app.setNotFoundHandler(async () => {
    throw new AppError('NOT_FOUND', 'No such route.');
  });
}
