import { connect, headers, type JetStreamClient, type NatsConnection } from 'nats';
import type { AuditDeliveryConfig } from '../../config.js';
import { SinkError, type AuditSink, type OutgoingEvent } from './sink.js';

type NatsSettings = AuditDeliveryConfig['nats'];

/**
 * The subject of an event: the prefix, then its action as one token. Actions hold dots
 * (`export.completed`), which would split them into several tokens; they become `_`,
 * and anything else a subject token may not hold becomes `_` too.
 */
export function subjectFor(prefix: string, action: string): string {
  return `${prefix}.${action.replace(/[^A-Za-z0-9_-]/g, '_') || '_'}`;
}

/** A JetStream error's code, for telling "no such stream" from other failures. */
const apiErrorCode = (err: unknown) => (err as { api_error?: { err_code?: number } }).api_error?.err_code;
const STREAM_NOT_FOUND = 10059;

/**
 * Publishes each event to JetStream and waits for its ack before the next, so the
 * stream holds them in chain order. `Nats-Msg-Id` is the event id: JetStream drops a
 * re-sent event within the stream's duplicate window (2 minutes by default), so a retry
 * after a lost ack does not store it twice. The stream is created on first use when
 * missing (subjects `<prefix>.>`); an existing one is left as its operator made it.
 */
export function createNatsSink(settings: NatsSettings): AuditSink {
  let connection: NatsConnection | null = null;
  let js: JetStreamClient | null = null;

  const ready = async (): Promise<JetStreamClient> => {
    if (connection && !connection.isClosed() && js) return js;
    const nc = await connect({
      servers: settings.url,
      name: 'fieldguard-audit-delivery',
      ...(settings.token ? { token: settings.token } : {}),
      timeout: settings.ackTimeoutMs,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
    });
    try {
      const jsm = await nc.jetstreamManager({ timeout: settings.ackTimeoutMs });
      try {
        await jsm.streams.info(settings.stream);
      } catch (err) {
        if (apiErrorCode(err) !== STREAM_NOT_FOUND) throw err;
        await jsm.streams.add({ name: settings.stream, subjects: [`${settings.subjectPrefix}.>`] });
      }
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw err;
    }
    connection = nc;
    js = nc.jetstream({ timeout: settings.ackTimeoutMs });
    return js;
  };

  return {
    name: 'nats',
    async send(events, signal) {
      if (signal.aborted) throw new SinkError('stopped');
      let client: JetStreamClient;
      try {
        client = await ready();
      } catch (err) {
        throw new SinkError(`NATS at ${redactUrl(settings.url)} unavailable: ${(err as Error).message}`, 0, { cause: err });
      }
      let acknowledged = 0;
      for (const event of events) {
        if (signal.aborted) throw new SinkError('stopped', acknowledged);
        try {
          await client.publish(subjectFor(settings.subjectPrefix, event.action), new TextEncoder().encode(event.json), {
            msgID: event.eventId,
            timeout: settings.ackTimeoutMs,
            headers: messageHeaders(event),
          });
        } catch (err) {
          throw new SinkError(`JetStream did not acknowledge event seq ${event.seq}: ${(err as Error).message}`, acknowledged, { cause: err });
        }
        acknowledged += 1;
      }
    },
    async close() {
      const nc = connection;
      connection = null;
      js = null;
      // Everything sent was already acknowledged: nothing is waiting to be flushed.
      await nc?.close().catch(() => undefined);
    },
  };
}

function messageHeaders(event: OutgoingEvent) {
  const h = headers();
  h.set('Content-Type', 'application/json');
  h.set('Fieldguard-Seq', event.seq);
  return h;
}

/** The URL without credentials, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(unparsable URL)';
  }
}
