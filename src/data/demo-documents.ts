import { createHash } from 'node:crypto';
import type { Db } from './database.js';
import { appendSlice, insertEmptyDocument, sealDocument, SLICE_BYTES } from './document-content.repository.js';
import type { DocumentCategory } from './document.table.js';

/**
 * Fictional documents for the demo customers, one of each category at least, stored
 * exactly as an upload stores them (numbered chunks, size and sha256 sealed on the row),
 * so downloads, ETags and the trail's hashes behave as they do for real files. Titles
 * name no personal data: reception reads invoice titles in clear.
 */
interface DemoDocument {
  customer: string;
  category: DocumentCategory;
  title: string;
  /** Lines of text; a PDF is laid out from them. */
  lines: string[];
  pdf: boolean;
}

export const DEMO_DOCUMENTS: DemoDocument[] = [
  { customer: 'Luca Bernardi', category: 'invoice', title: 'Invoice 2026-031', pdf: true, lines: ['Salone Demo - Invoice 2026-031', 'Haircut: EUR 28.00', 'VAT included. Paid by card.'] },
  { customer: 'Anna Kowalska', category: 'invoice', title: 'Invoice 2026-044 (English)', pdf: true, lines: ['Salone Demo - Invoice 2026-044', 'Haircut: EUR 30.00', 'Issued in English, as requested.'] },
  { customer: 'Sofia Ricci', category: 'contract', title: 'Loyalty programme agreement', pdf: true, lines: ['Loyalty programme agreement', 'Ten visits, the eleventh is free.', 'Fictional demo document.'] },
  { customer: 'Elvira Alves', category: 'identity', title: 'Identity document (specimen)', pdf: false, lines: ['SPECIMEN - not a real identity document.', 'Checked at the desk on first visit.'] },
  { customer: 'Hannah Becker', category: 'medical', title: 'Patch test result', pdf: false, lines: ['Patch test for hair colour: negative.', 'Fictional demo document.'] },
  { customer: 'Camille Laurent', category: 'other', title: 'Colour card', pdf: false, lines: ['Preferred shades: 7.3, 8.34.', 'Fictional demo document.'] },
  { customer: 'Edoardo Fontana', category: 'contract', title: 'Settlement draft', pdf: true, lines: ['Settlement draft (confidential)', 'Fictional demo document.'] },
];

/** Inserts the demo documents, each in chunks as an upload does; returns how many. */
export async function insertDemoDocuments(db: Db, ids: Map<string, string>): Promise<number> {
  for (const doc of DEMO_DOCUMENTS) {
    const bytes = doc.pdf ? tinyPdf(doc.lines) : Buffer.from(`${doc.lines.join('\n')}\n`, 'utf8');
    const id = await insertEmptyDocument(db, { customerId: ids.get(doc.customer)!, category: doc.category, title: doc.title, contentType: doc.pdf ? 'application/pdf' : 'text/plain', createdBy: 'demo' });
    for (let seq = 0; seq * SLICE_BYTES < bytes.length; seq++) await appendSlice(db, id, seq, bytes.subarray(seq * SLICE_BYTES, (seq + 1) * SLICE_BYTES));
    await sealDocument(db, id, bytes.length, createHash('sha256').update(bytes).digest('hex'));
  }
  return DEMO_DOCUMENTS.length;
}

/** A valid one-page PDF (Helvetica, ASCII text), small enough to read in a hex dump. */
export function tinyPdf(lines: string[]): Buffer {
  const text = lines.map((l) => `(${l.replace(/[\\()]/g, (c) => `\\${c}`)}) Tj T*`).join(' ');
  const stream = `BT /F1 12 Tf 72 770 Td 16 TL ${text} ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
  ];
  let pdf = '%PDF-1.4\n';
  const offsets = objects.map((body, i) => {
    const at = pdf.length;
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return at;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}
