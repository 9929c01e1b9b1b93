import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { z } from 'zod';
import { AppError } from '../errors.js';

/** What an upload's Content-Type must look like: a media type such as application/pdf. */
export const mediaType = z
  .string()
  .regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i, 'must be a media type like application/pdf')
  .max(127);

/** 413 for an upload past the limit: said before reading when Content-Length tells. */
export const tooLarge = (max: number, what = 'Files') => new AppError('PAYLOAD_TOO_LARGE', `${what} are limited to ${max} bytes.`, { maxBytes: max });

/** An upload received whole into a private temporary file, hashed on the way in. */
export interface SpooledUpload {
  size: number;
  sha256: string;
  /** The bytes again, in slices of `sliceBytes`. */
  slices(sliceBytes: number): AsyncIterable<Buffer>;
  dispose(): Promise<void>;
}

/**
 * Receives an upload before any database work starts. Written straight into a
 * transaction, the body held that transaction (and, on PGlite, the only connection) for
 * as long as the client took to send it: one slow upload made every other request wait
 * and fail. Spooled first, the transaction lasts as long as PostgreSQL takes to store it.
 * `tooLarge` is thrown (and the file removed) once the body crosses `maxBytes`.
 */
export async function spoolUpload(body: AsyncIterable<Buffer>, maxBytes: number, tooLarge: () => Error): Promise<SpooledUpload> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldguard-upload-'));
  const file = join(dir, 'body');
  const dispose = () => rm(dir, { recursive: true, force: true });
  const hash = createHash('sha256');
  let size = 0;
  const out = createWriteStream(file, { mode: 0o600 });
  try {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > maxBytes) throw tooLarge();
      hash.update(chunk);
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    out.end();
    await finished(out);
  } catch (err) {
    // A write may still be in flight: its late failure on the destroyed stream is expected,
    // not an uncaught error; wait for the file to close before removing it.
    out.on('error', () => {});
    out.destroy();
    await finished(out).catch(() => {});
    await dispose();
    throw err;
  }
  return {
    size,
    sha256: hash.digest('hex'),
    slices: (sliceBytes) => createReadStream(file, { highWaterMark: sliceBytes }) as AsyncIterable<Buffer>,
    dispose,
  };
}
