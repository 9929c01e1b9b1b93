import { sql, type Kysely } from 'kysely';
import { to as copyTo } from 'pg-copy-streams';
import { poolOf, type Db } from './database.js';
import { ID_TEXT } from './record.repository.js';

/**
 * One chunk of a stored file, from a chunk table shaped `(<owner>, seq, bytes)` (documents'
 * and every generated `file` field's): its bytes, or undefined when there is no such chunk.
 *
 * Read with `COPY (query) TO STDOUT (FORMAT binary)`, which sends the value as stored: a
 * plain query returns bytea as hex text, twice the size, that PostgreSQL must encode and
 * pg decode (pg reads every value as text). For 1 MiB chunks that was 60-90 MB/s against
 * 400-500 with COPY, on this machine. COPY takes no parameters, so the key and the
 * number are inlined as literals, which is why only the text of a key (ID_TEXT: no quote,
 * no backslash) is accepted. `table` and `owner` come from the model, never a request.
 */
export async function readChunk(db: Db, table: string, owner: string, id: string, seq: number): Promise<Buffer | undefined> {
  if (!ID_TEXT.test(id) || !Number.isSafeInteger(seq)) throw new Error('not a chunk key');
  const query = (db.withoutPlugins() as unknown as Kysely<any>)
    .selectFrom(table)
    .select('bytes')
    .where(owner, '=', sql.lit(id))
    .where('seq', '=', sql.lit(seq))
    .compile();
  const pool = poolOf(db);
  // A handle that is not a pool of openDatabase (a transaction) runs the query as it is.
  if (!pool) return ((await db.executeQuery<{ bytes: Buffer | null }>(query)).rows[0]?.bytes ?? undefined) as Buffer | undefined;
  const client = await pool.connect();
  const parts: Buffer[] = [];
  try {
    for await (const part of client.query(copyTo(`COPY (${query.sql}) TO STDOUT (FORMAT binary)`))) parts.push(part as Buffer);
  } catch (err) {
    // A connection whose COPY broke off is not put back into the pool.
    client.release(err as Error);
    throw err;
  }
  client.release();
  return firstValue(Buffer.concat(parts));
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * The first field of the first tuple of a binary COPY stream: an 11-byte signature, a
 * 32-bit flags word and a header extension (its length, then that many bytes); then per
 * tuple a 16-bit field count (-1 ends the stream) and per field a 32-bit length (-1 for
 * null) and the bytes. See "COPY, Binary Format" in the PostgreSQL manual.
 */
function firstValue(copy: Buffer): Buffer | undefined {
  if (copy.length < 19 || !copy.subarray(0, 11).equals(SIGNATURE)) throw new Error('not a binary COPY stream');
  let at = 15;
  at += 4 + copy.readUInt32BE(at);
  const fields = copy.readInt16BE(at);
  if (fields === -1) return undefined;
  const length = copy.readInt32BE(at + 2);
  if (length === -1) return Buffer.alloc(0);
  return copy.subarray(at + 6, at + 6 + length);
}
