/**
 * Records per chunk of an export, unless EXPORT_AUDIT_CHUNK says otherwise. An export's ids are audited a chunk at a time, each
 * chunk committed before its rows are sent, so the service holds at most two chunks (the
 * one being sent and the next, read and audited meanwhile) whatever the export's size.
 * Small enough to keep that memory to a few MiB, large enough that a 500,000-row export
 * writes 500 events, not 500,000.
 */
export const EXPORT_CHUNK = 1000;

export interface Chunk<T> {
  rows: T[];
  /** Whether more rows follow (one more row was asked for, to know). */
  more: boolean;
}

/**
 * Reads records in key order, `size` at a time, each chunk one short query continuing
 * after the previous chunk's last key. No cursor stays open between chunks: a connection
 * is held only while a chunk is read, and an export that takes minutes is not one
 * statement that the statement timeout would cut.
 */
export function keysetChunks<T>(
  read: (after: string | null, limit: number) => Promise<T[]>,
  keyOf: (row: T) => string,
  size = EXPORT_CHUNK,
): () => Promise<Chunk<T>> {
  let after: string | null = null;
  let ended = false;
  return async () => {
    if (ended) return { rows: [], more: false };
    const rows = await read(after, size + 1);
    ended = rows.length <= size;
    if (!ended) rows.length = size;
    if (rows.length > 0) after = keyOf(rows[rows.length - 1]!);
    return { rows, more: !ended };
  };
}
