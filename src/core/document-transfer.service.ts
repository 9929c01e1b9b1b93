import { createHash } from 'node:crypto';
import { z } from 'zod';
import * as content from '../data/document-content.repository.js';
import { findVisibleCustomer } from '../data/customer.repository.js';
import { DOCUMENT_CATEGORIES } from '../data/document.table.js';
import { AppError, notFound } from '../errors.js';
import { visibleFilter as customerVisible } from './customer.service.js';
import { UUID } from './cursor.js';
import { auditingDocumentDenials, DOCUMENT, documentDetails } from './document-access.js';
import { findVisibleDocument, getDocument } from './document.service.js';
import { assertCan, audit } from './guard.js';
import { validationError } from './record-access.js';
import type { RequestContext } from './request-context.js';
import type { RenderedRecord } from '../policy/field-access.js';

const uploadMeta = z.object({
  category: z.enum(DOCUMENT_CATEGORIES),
  title: z.string().trim().min(1).max(300).refine((t) => !t.includes('\u0000'), 'must not contain NUL'),
  contentType: z.string().regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i, 'must be a media type like application/pdf').max(127),
});

export interface Upload {
  customerId: string;
  category: unknown;
  title: unknown;
  contentType: unknown;
  /** Content-Length when the client sent one: an oversize upload is refused before reading. */
  declaredBytes: number | null;
  body: AsyncIterable<Buffer>;
  maxBytes: number;
}

const tooLarge = (max: number) => new AppError('PAYLOAD_TOO_LARGE', `Documents are limited to ${max} bytes.`, { maxBytes: max });

/**
 * Stores an upload slice by slice inside one transaction, hashing as it goes, so memory
 * stays at one slice whatever the size. Crossing the limit rolls everything back: 413
 * and nothing stored. The audit row (document, category, sha256) commits with the row.
 */
export async function uploadDocument(ctx: RequestContext, up: Upload): Promise<RenderedRecord> {
  const id = await auditingDocumentDenials(ctx, { action: 'upload', resourceIds: [] }, async () => {
    assertCan(ctx, 'create', DOCUMENT);
    const parsed = uploadMeta.safeParse({ category: up.category, title: up.title, contentType: up.contentType });
    if (!parsed.success) throw validationError(parsed.error.issues);
    const meta = { ...parsed.data, customerId: up.customerId, createdBy: ctx.principal.sub };
    assertCan(ctx, 'create', DOCUMENT, meta);
    if (up.declaredBytes !== null && up.declaredBytes > up.maxBytes) throw tooLarge(up.maxBytes);
    return ctx.db.transaction().execute(async (trx) => {
      const customer = UUID.test(up.customerId) ? await findVisibleCustomer(trx, up.customerId, customerVisible(ctx)) : undefined;
      if (!customer) throw notFound('Customer');
      const docId = await content.insertEmptyDocument(trx, meta);
      const hash = createHash('sha256');
      let size = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      let seq = 0;
      const flush = async () => {
        if (pendingBytes === 0) return;
        await content.appendSlice(trx, docId, seq++, Buffer.concat(pending, pendingBytes));
        pending = [];
        pendingBytes = 0;
      };
      for await (const chunk of up.body) {
        size += chunk.length;
        if (size > up.maxBytes) throw tooLarge(up.maxBytes);
        hash.update(chunk);
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= content.SLICE_BYTES) await flush();
      }
      await flush();
      const sha256 = hash.digest('hex');
      await content.sealDocument(trx, docId, size, sha256);
      await audit(ctx, { action: 'upload', resourceType: DOCUMENT, resourceIds: [docId], outcome: 'allowed', fieldsWritten: ['title', 'category', 'contentType', 'content'], details: { category: meta.category, sha256, sizeBytes: size } }, trx);
      return docId;
    });
  });
  return getDocument(ctx, id);
}

export interface Download {
  contentType: string;
  sizeBytes: number;
  sha256: string;
  body: AsyncIterable<Buffer>;
}

/**
 * Opens a document's bytes. Reading `content` is its own field right: a caller may see a
 * document (its title) yet not open it (403 with the policy's reason). The audit event
 * is committed before the first byte leaves.
 */
export async function downloadDocument(ctx: RequestContext, id: string): Promise<Download> {
  return auditingDocumentDenials(ctx, { action: 'download', resourceIds: [id] }, async () => {
    const doc = await findVisibleDocument(ctx, id);
    if (!doc) throw notFound(DOCUMENT);
    assertCan(ctx, 'read', DOCUMENT, doc, 'content');
    await audit(ctx, { action: 'download', resourceType: DOCUMENT, resourceIds: [id], outcome: 'allowed', fieldsClear: ['content'], details: documentDetails(doc) });
    return { contentType: doc.contentType, sizeBytes: doc.sizeBytes, sha256: doc.sha256, body: content.readSlices(ctx.db, id, doc.sizeBytes) };
  });
}
