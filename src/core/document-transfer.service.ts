import { z } from 'zod';
import * as content from '../data/document-content.repository.js';
import { DOCUMENT_CATEGORIES } from '../data/document.table.js';
import { AppError, notFound } from '../errors.js';
import { visibleCustomerOr404 } from './customer.service.js';
import { canonicalId } from '../ids.js';
import { enforceReadBudget } from './read-budget.js';
import { mediaType, spoolUpload, tooLarge as fileTooLarge } from './upload-spool.js';
import { auditingDocumentDenials, DOCUMENT, documentDetails } from './document-access.js';
import { findVisibleDocument, getDocument } from './document.service.js';
import { assertCan, audit } from './guard.js';
import { validationError } from './record-access.js';
import type { RequestContext } from './request-context.js';
import { whileActive } from './while-active.js';
import type { RenderedRecord } from '../policy/field-access.js';

const uploadMeta = z.object({
  category: z.enum(DOCUMENT_CATEGORIES),
  title: z.string().trim().min(1).max(300).refine((t) => !t.includes('\u0000'), 'must not contain NUL'),
  contentType: mediaType,
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

const tooLarge = (max: number) => fileTooLarge(max, 'Documents');

/**
 * Receives an upload into a temporary file (hashing it, refusing it past the limit:
 * 413 and nothing stored), then stores it in one short transaction as chunks of about
 * SLICE_BYTES, with its audit row (document, category, sha256). Memory stays at one
 * slice whatever the size, and a slow client holds no database connection.
 */
export async function uploadDocument(ctx: RequestContext, up: Upload): Promise<RenderedRecord> {
  const id = await auditingDocumentDenials(ctx, { action: 'upload', resourceIds: [] }, async () => {
    assertCan(ctx, 'create', DOCUMENT);
    const parsed = uploadMeta.safeParse({ category: up.category, title: up.title, contentType: up.contentType });
    if (!parsed.success) throw validationError(parsed.error.issues);
    const meta = { ...parsed.data, customerId: canonicalId(up.customerId), createdBy: ctx.principal.sub };
    assertCan(ctx, 'create', DOCUMENT, meta);
    if (up.declaredBytes !== null && up.declaredBytes > up.maxBytes) throw tooLarge(up.maxBytes);
    // Before reading the body: a customer the caller cannot see is a 404 at once.
    await visibleCustomerOr404(ctx, ctx.db, meta.customerId);
    const spooled = await spoolUpload(up.body, up.maxBytes, () => tooLarge(up.maxBytes));
    try {
      return await ctx.db.transaction().execute(async (trx) => {
        await visibleCustomerOr404(ctx, trx, meta.customerId);
        const docId = await content.insertEmptyDocument(trx, meta);
        let seq = 0;
        for await (const slice of spooled.slices(content.SLICE_BYTES)) await content.appendSlice(trx, docId, seq++, slice);
        await content.sealDocument(trx, docId, spooled.size, spooled.sha256);
        const details = { category: meta.category, sha256: spooled.sha256, sizeBytes: spooled.size };
        await audit(ctx, { action: 'upload', resourceType: DOCUMENT, resourceIds: [docId], outcome: 'allowed', fieldsWritten: ['title', 'category', 'contentType', 'content'], details }, trx);
        return docId;
      });
    } finally {
      await spooled.dispose();
    }
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
    // Erased with its customer: the row (metadata) stays, the bytes do not.
    if (doc.sizeBytes > 0 && !(await content.hasContent(ctx.db, id))) throw new AppError('NOT_FOUND', 'This document\'s content was erased.');
    await enforceReadBudget(ctx, 'Customer', { action: 'download', resourceIds: [doc.customerId] }, [doc.customerId]);
    await audit(ctx, { action: 'download', resourceType: DOCUMENT, resourceIds: [id], outcome: 'allowed', fieldsClear: ['content'], details: documentDetails(doc) });
    return { contentType: doc.contentType, sizeBytes: doc.sizeBytes, sha256: doc.sha256, body: whileActive(ctx, content.readSlices(ctx.db, id, doc.sizeBytes)) };
  });
}
