import { pipeline, Readable } from 'node:stream';
import { stringify, type Options } from 'csv-stringify/sync';
import type { FastifyReply } from 'fastify';
import type { RecordExport } from '../core/record-export.service.js';
import type { RenderedRecord } from '../policy/field-access.js';
import { recordJson } from './record-json.js';

const cell = (value: unknown) => (Array.isArray(value) ? value.join(';') : value);

/**
 * Streams an export without holding it in memory. CSV has one column per field the
 * caller may see on some record; a cell withheld for that record stays empty. Each batch
 * of records becomes one piece of text (csv-stringify's sync form per batch: its stream
 * form pushed every row through its own chain of stream calls, which cost more than
 * reading and rendering the row). The encoded bytes pass through the core's ledger last,
 * so what it hashes is what is sent; `pipeline` carries a client disconnect back up to
 * the reads, and one batch at a time is buffered ahead of a slow client.
 */
export function sendExport(reply: FastifyReply, format: 'csv' | 'ndjson', result: RecordExport) {
  const stamp = new Date().toISOString().slice(0, 10);
  reply.header('content-disposition', `attachment; filename="${result.plural}-${stamp}.${format}"`);
  reply.header('cache-control', 'no-store');
  // Failures are recorded by the ledger (export.aborted) and cut the response; nothing to add.
  const done = () => {};
  const text = format === 'ndjson' ? ndjsonText(result) : csvText(result);
  pipeline(Readable.from(text, { highWaterMark: 1 }), result.ledger, done);
  return reply.type(format === 'ndjson' ? 'application/x-ndjson' : 'text/csv; charset=utf-8').send(result.ledger);
}

async function* ndjsonText(result: RecordExport): AsyncIterable<string> {
  for await (const batch of result.batches) {
    if (batch.length > 0) yield batch.map((record) => `${JSON.stringify(recordJson(record))}\n`).join('');
  }
}

async function* csvText(result: RecordExport): AsyncIterable<string> {
  const options: Options = {
    columns: result.columns,
    cast: { boolean: (v) => String(v) },
    // A cell starting with = + - @ would run as a formula in a spreadsheet (and could send
    // other cells to a web service); prefixing it with ' keeps it text.
    escape_formulas: true,
  };
  const cells = (batch: RenderedRecord[]) => batch.map((record) => result.columns.map((c) => cell(record.values[c]) ?? ''));
  let header = true;
  for await (const batch of result.batches) {
    if (batch.length === 0 && !header) continue;
    yield stringify(cells(batch), { ...options, header });
    header = false;
  }
  // No batch at all: the file is still its header line.
  if (header) yield stringify([], { ...options, header: true });
}
