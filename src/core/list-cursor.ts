import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';

/** Where a keyset page resumes: the sort value and the id of the previous page's last row. */
export interface Keyset {
  value: string;
  id: string;
}

/**
 * Page cursors of the record lists. A cursor must never carry a value its holder cannot
 * read in clear, under any policy: a list may be ordered by a field that is masked or
 * withheld for the caller (bookings by startsAt), and even the id may be withheld. So
 * the keyset is encrypted and authenticated (AES-256-GCM) with the database's cursor
 * key: opaque to the client, unforgeable (a forged position would let a caller bisect a
 * masked sort value), and valid on every instance. A row deleted or changed between two
 * pages does not break the walk, as it would if the cursor only named the row.
 */
export interface ListCursors {
  /** `list` names the list and its order (`customers:fullName:asc`); the cursor is valid only there. */
  encode(list: string, value: unknown, id: string): Promise<string>;
  decode(list: string, cursor: string | null | undefined): Promise<Keyset | null>;
  /** Starts reading the key now, so no request waits for it; a failure is retried on use. */
  preload(): void;
}

const SALT_BYTES = 16;
const TAG_BYTES = 16;
// Each cursor has a key of its own, derived from a random salt, so the nonce can be fixed
// and no number of cursors ever wears the master key out (GCM's random-nonce limit).
const NONCE = Buffer.alloc(12);
// Plaintexts are padded to a multiple of this, so a cursor's length says little of its value.
const BLOCK = 64;
const MAX_LENGTH = 2000;

/**
 * `loadKey` runs once (preload, or the first use), never blocking start-up, so the
 * service still starts while its database is down (and reports it on /readyz); a failed
 * load is retried on the next use.
 */
export function createListCursors(loadKey: () => Promise<Buffer>): ListCursors {
  let master: Promise<Buffer> | null = null;
  const keyOf = () =>
    (master ??= loadKey().catch((err: unknown) => {
      master = null;
      throw err;
    }));
  const derive = (key: Buffer, salt: Buffer) => createHmac('sha256', key).update(salt).digest();
  return {
    preload() {
      keyOf().catch(() => {});
    },
    async encode(list, value, id) {
      const key = await keyOf();
      const plain = Buffer.from(JSON.stringify([value instanceof Date ? value.toISOString() : String(value), id]), 'utf8');
      const padded = Buffer.concat([plain, Buffer.alloc(BLOCK - (plain.length % BLOCK), ' ')]);
      const salt = randomBytes(SALT_BYTES);
      const cipher = createCipheriv('aes-256-gcm', derive(key, salt), NONCE).setAAD(Buffer.from(list));
      const sealed = Buffer.concat([cipher.update(padded), cipher.final()]);
      return Buffer.concat([salt, sealed, cipher.getAuthTag()]).toString('base64url');
    },
    async decode(list, cursor) {
      if (cursor === null || cursor === undefined || cursor === '') return null;
      const key = await keyOf();
      try {
        if (cursor.length > MAX_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('malformed');
        const bytes = Buffer.from(cursor, 'base64url');
        if (bytes.length < SALT_BYTES + TAG_BYTES + 1) throw new Error('too short');
        const salt = bytes.subarray(0, SALT_BYTES);
        const decipher = createDecipheriv('aes-256-gcm', derive(key, salt), NONCE).setAAD(Buffer.from(list));
        decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
        const text = Buffer.concat([decipher.update(bytes.subarray(SALT_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
        const [value, id] = JSON.parse(text) as unknown[];
        if (typeof value === 'string' && typeof id === 'string' && id.length > 0 && id.length <= 256) return { value, id };
      } catch {
        // one answer for every cursor this service did not issue for this list
      }
      throw new AppError('INVALID_CURSOR', 'The cursor is not one this service issued for this list and sort order.');
    },
  };
}
