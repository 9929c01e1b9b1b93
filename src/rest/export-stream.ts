import { pipeline, Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { FastifyReply } from 'fastify';
import type { RecordExport } from '../core/record-export.service.js';
import { recordJson } from './record-json.js';

const cell = (value: unknown) => (Array.isArray(value) ? value.join(';') : value);

/**
 * Streams an export without holding it in memory. CSV has one column per field the
 * caller may see on some record; a cell withheld for that record stays empty. The
 * encoded bytes pass through the core's ledger last, so what it hashes is what is sent;
 * `pipeline` carries a client disconnect back up to the database cursor.
 */
export function sendExport(reply: FastifyReply, format: 'csv' | 'ndjson', result: RecordExport) {
  const stamp = new Date().toISOString().slice(0, 10);
  reply.header('content-disposition', `attachment; filename="${result.plural}-${stamp}.${format}"`);
  reply.header('cache-control', 'no-store');
  // Failures are recorded by the ledger (export.aborted) and cut the response; nothing to add.
  const done = () => {};
  if (format === 'ndjson') {
    const lines = async function* () {
      for await (const record of result.rows) yield `${JSON.stringify(recordJson(record))}\n`;
    };
    pipeline(Readable.from(lines()), result.ledger, done);
    return reply.type('application/x-ndjson').send(result.ledger);
  }
  const rows = async function* () {
    for await (const record of result.rows) yield result.columns.map((c) => cell(record.values[c]) ?? '');
  };
  const csv = stringify({
    header: true,
    columns: result.columns,
    cast: { boolean: (v) => String(v) },
    // A cell starting with = + - @ would run as a formula in a spreadsheet (and could send
    // other cells to a web service); prefixing it with ' keeps it text.
    escape_formulas: true,
  });
  pipeline(Readable.from(rows()), csv, result.ledger, done);
  return reply.type('text/csv; charset=utf-8').send(result.ledger);
}
