import type { OutgoingEvent } from './sink.js';

/**
 * Splunk HTTP Event Collector (`/services/collector/event`): one JSON object per event,
 * concatenated with newlines; `time` in epoch seconds from the event's own time, so
 * Splunk indexes it when it happened rather than when it arrived.
 */
export function splunkBody(events: readonly OutgoingEvent[], sourcetype: string): string {
  const type = JSON.stringify(sourcetype);
  return events
    .map((e) => `{"time":${Date.parse(e.occurredAt) / 1000},"source":"fieldguard","sourcetype":${type},"event":${e.json}}`)
    .join('\n');
}

/**
 * Elasticsearch / OpenSearch `_bulk`: an action line and the document per event. `create`
 * with `_id` = event id makes a re-sent event a 409 for that item instead of a second
 * document (and `create` is what data streams accept).
 */
export function elasticBody(events: readonly OutgoingEvent[], index: string): string {
  const target = JSON.stringify(index);
  return events.map((e) => `{"create":{"_index":${target},"_id":${JSON.stringify(e.eventId)}}}\n${e.json}\n`).join('');
}

interface BulkItem {
  status?: number;
  error?: { type?: string };
}

/**
 * How many leading events of a `_bulk` answer were stored. Elastic answers 200 even when
 * items failed, with `errors: true`; a 409 is an event stored by an earlier attempt.
 * Returns `failed` with the first failing item's status and error type, if any.
 */
export function bulkOutcome(answer: unknown, sent: number): { stored: number; failed?: string } {
  const body = answer as { errors?: boolean; items?: Array<Record<string, BulkItem>> };
  if (body?.errors !== true) return { stored: sent };
  const items = body.items ?? [];
  for (let i = 0; i < sent; i++) {
    const item = items[i] ? Object.values(items[i]!)[0] : undefined;
    const status = item?.status ?? 0;
    if ((status < 200 || status >= 300) && status !== 409) return { stored: i, failed: `item ${i} status ${status} ${item?.error?.type ?? ''}`.trim() };
  }
  return { stored: sent };
}
