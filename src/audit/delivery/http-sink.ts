import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { AuditDeliveryConfig } from '../../config.js';
import { bulkOutcome, elasticBody, splunkBody } from './http-bodies.js';
import { redactUrl } from './nats-sink.js';
import { SinkError, type AuditSink } from './sink.js';

const gzip = promisify(gzipCallback);

type HttpSettings = AuditDeliveryConfig['http'];

/**
 * POSTs each batch, gzipped, to a Splunk HEC or Elastic `_bulk` endpoint with the token
 * in `Authorization` (`Bearer`, `Splunk` or `ApiKey`, as configured). A 2xx is the ack
 * (for `_bulk`, of each item not refused); anything else, a network error or no answer
 * within the timeout fails the batch, which is then sent again whole.
 */
export function createHttpSink(settings: HttpSettings & { url: string }, eventFormat: string): AuditSink {
  const target = redactUrl(settings.url);
  return {
    name: 'http',
    async send(events, signal) {
      const text = settings.format === 'splunk' ? splunkBody(events, `fieldguard:audit:${eventFormat}`) : elasticBody(events, settings.index);
      const body = await gzip(Buffer.from(text, 'utf8'));
      const headersOut: Record<string, string> = {
        'content-type': settings.format === 'splunk' ? 'application/json' : 'application/x-ndjson',
        'content-encoding': 'gzip',
        'user-agent': 'fieldguard-audit-delivery',
      };
      if (settings.token) headersOut.authorization = `${settings.authScheme} ${settings.token}`;
      let response: Response;
      let answer: string;
      try {
        response = await fetch(settings.url, {
          method: 'POST',
          headers: headersOut,
          body,
          signal: AbortSignal.any([signal, AbortSignal.timeout(settings.timeoutMs)]),
        });
        answer = await response.text();
      } catch (err) {
        const cause = (err as Error).name === 'TimeoutError' ? `no answer within ${settings.timeoutMs} ms` : (err as Error).message;
        throw new SinkError(`POST ${target} failed: ${cause}`, 0, { cause: err });
      }
      if (response.status < 200 || response.status >= 300) throw new SinkError(`POST ${target} answered ${response.status}`);
      if (settings.format !== 'elastic') return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(answer);
      } catch {
        throw new SinkError(`POST ${target} answered ${response.status} with a body that is not a _bulk answer`);
      }
      const outcome = bulkOutcome(parsed, events.length);
      if (outcome.failed) throw new SinkError(`POST ${target}: ${outcome.failed}`, outcome.stored);
    },
    async close() {},
  };
}
