import type { RequestContext } from './request-context.js';

/**
 * Yields from `source` while the caller stays enabled: a person disabled while a long
 * response streams to them (an export, a download) gets no further row or slice. The
 * check is a lookup in the instance's memory, so it costs nothing per item; the error
 * fails the stream, and the client sees a cut rather than a clean end.
 */
export async function* whileActive<T>(ctx: RequestContext, source: AsyncIterable<T>): AsyncIterable<T> {
  for await (const item of source) {
    const refusal = ctx.principalStatus.refusal(ctx.principal);
    if (refusal) {
      if (refusal.code === 'PRINCIPAL_DISABLED') ctx.metrics?.disabledDuringExport();
      throw refusal;
    }
    yield item;
  }
}
