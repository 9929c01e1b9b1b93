import * as files from '../data/record-file.repository.js';
import * as records from '../data/record.repository.js';
import type { StoredFile } from '../data/record-file.repository.js';
import { AppError, notFound } from '../errors.js';
import type { ResourceModel } from '../model/model.js';
import { assertCan, audit, auditingDenials } from './guard.js';
import { assertWritable, validationError } from './record-access.js';
import { countReads, modelOf, visibleWhere } from './record.service.js';
import type { RequestContext } from './request-context.js';
import { mediaType, spoolUpload, tooLarge } from './upload-spool.js';
import { SLICE_BYTES } from '../data/document-content.repository.js';

/**
 * The bytes of a `file` field of any generated resource: uploaded into an existing record
 * (an update of that field) and opened (a clear read of it), each audited with the file's
 * sha256 and size, never its name or content. The same steps documents take.
 */

export interface FileUpload {
  mediaType: unknown;
  /** Content-Length when the client sent one: an oversize upload is refused before reading. */
  declaredBytes: number | null;
  body: AsyncIterable<Buffer>;
  maxBytes: number;
}

/** The resource's file field, or 404 when `field` is not it (the route exists only for it). */
function fileOf(r: ResourceModel, field: string): string {
  if (r.file?.field.name !== field) throw notFound(r.name);
  return field;
}

const details = (file: Pick<StoredFile, 'mediaType' | 'sizeBytes' | 'sha256'>) => ({ mediaType: file.mediaType, sha256: file.sha256, sizeBytes: file.sizeBytes });

/**
 * Stores `up` as the record's file, replacing any earlier one. The caller must see the
 * record (404) and may update the field on it (403, FIELD_NOT_WRITABLE); both are decided
 * before the body is read. The body is spooled to a private temporary file (413 past the
 * limit, nothing stored), then written in one short transaction with its audit row.
 */
export async function uploadRecordFile(ctx: RequestContext, type: string, id: string, field: string, up: FileUpload): Promise<StoredFile> {
  const r = modelOf(ctx, type);
  const name = fileOf(r, field);
  return auditingDenials(ctx, { action: 'upload', resourceType: r.name, resourceIds: [id] }, async () => {
    assertCan(ctx, 'update', r.name);
    const parsed = mediaType.safeParse(up.mediaType);
    if (!parsed.success) throw validationError(parsed.error.issues.map((i) => ({ ...i, path: ['Content-Type'] })));
    if (up.declaredBytes !== null && up.declaredBytes > up.maxBytes) throw tooLarge(up.maxBytes);
    const before = await writableRecord(ctx, r, id, name);
    const key = String(before[r.id.name]);
    const spooled = await spoolUpload(up.body, up.maxBytes, () => tooLarge(up.maxBytes));
    try {
      return await ctx.db.transaction().execute(async (trx) => {
        // Decided again on the record as it is now, locked: it may have changed while the body arrived.
        await writableRecord(ctx, r, key, name, trx);
        const firstSeq = await files.nextSeq(trx, r, key);
        let seq = firstSeq;
        for await (const slice of spooled.slices(SLICE_BYTES)) await files.appendChunk(trx, r, key, seq++, slice);
        await files.removeChunksBefore(trx, r, key, firstSeq);
        const stored: StoredFile = { mediaType: parsed.data, sizeBytes: spooled.size, sha256: spooled.sha256, firstSeq };
        await files.sealFile(trx, r, key, stored, ctx.principal.sub);
        await audit(ctx, { action: 'upload', resourceType: r.name, resourceIds: [key], outcome: 'allowed', fieldsWritten: [name], details: details(stored) }, trx);
        return stored;
      });
    } finally {
      await spooled.dispose();
    }
  });
}

async function writableRecord(ctx: RequestContext, r: ResourceModel, id: string, field: string, db = ctx.db) {
  const record = await records.findVisibleRecord(db, r, id, visibleWhere(ctx, r), { forUpdate: db !== ctx.db });
  if (!record) throw notFound(r.name);
  assertCan(ctx, 'update', r.name, record);
  assertWritable(ctx, r.name, 'update', record, { [field]: true });
  return record;
}

export interface FileDownload extends StoredFile {
  body: AsyncIterable<Buffer>;
}

/**
 * Opens the record's file. Opening is reading the field in clear: a caller who sees the
 * record but reads the field masked or not at all gets 403 with the policy's reason. The
 * read counts against the caller's budget for the resource, and its audit event commits
 * before the first byte leaves.
 */
export async function downloadRecordFile(ctx: RequestContext, type: string, id: string, field: string): Promise<FileDownload> {
  const r = modelOf(ctx, type);
  const name = fileOf(r, field);
  return auditingDenials(ctx, { action: 'download', resourceType: r.name, resourceIds: [id] }, async () => {
    const record = await records.findVisibleRecord(ctx.db, r, id, visibleWhere(ctx, r));
    if (!record) throw notFound(r.name);
    assertCan(ctx, 'read', r.name, record, name);
    const key = String(record[r.id.name]);
    const stored = await files.findFile(ctx.db, r, key);
    if (!stored) throw new AppError('NOT_FOUND', `This ${r.name} has no ${name} yet.`);
    await countReads(ctx, r, 'download', [key]);
    await audit(ctx, { action: 'download', resourceType: r.name, resourceIds: [key], outcome: 'allowed', fieldsClear: [name], details: details(stored) });
    return { ...stored, body: files.readChunks(ctx.db, r, key, stored) };
  });
}
