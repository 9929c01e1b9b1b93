import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { FastifyReply } from 'fastify';
import type { CustomerExport } from '../core/customer-export.service.js';
import { customerJson } from './customer-json.js';

const cell = (value: unknown) => (Array.isArray(value) ? value.join(';') : value);

/**
 * Streams an export without holding it in memory. CSV has one column per field the
 * caller may see on some record; a cell withheld for that record stays empty.
 */
export function sendExport(reply: FastifyReply, format: 'csv' | 'ndjson', result: CustomerExport) {
  const stamp = new Date().toISOString().slice(0, 10);
  reply.header('content-disposition', `attachment; filename="customers-${stamp}.${format}"`);
  reply.header('cache-control', 'no-store');
  if (format === 'ndjson') {
    const lines = async function* () {
      for await (const record of result.rows) yield `${JSON.stringify(customerJson(record))}\n`;
    };
    return reply.type('application/x-ndjson').send(Readable.from(lines()));
  }
  const rows = async function* () {
    for await (const record of result.rows) yield result.columns.map((c) => cell(record.values[c]) ?? '');
  };
  const csv = Readable.from(rows()).pipe(stringify({ header: true, columns: result.columns, cast: { boolean: (v) => String(v) } }));
  return reply.type('text/csv; charset=utf-8').send(csv);
}
