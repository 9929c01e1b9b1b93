import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectFile } from '../../src/paths.js';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';

// A `file` field of a generated resource: the clinic's medical documents carry a `scan`,
// stored by PUT /v1/medicalDocuments/{id}/scan and opened by GET on the same path, with
// no code written for MedicalDocument. Over a real port with real signed tokens.

const MAX_BYTES = 3 * 1024 * 1024;
let t: TestApp;
const tokens: Record<string, string> = {};
const ids = {} as Record<'mario' | 'ecg' | 'skin', string>;
const as = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
// Larger than one 1 MiB chunk, so the bytes come back from several rows, in order.
const scan = randomBytes(2 * 1024 * 1024 + 12345);

async function create(who: string, plural: string, body: object) {
  const res = await t.http({ method: 'POST', url: `/v1/${plural}`, headers: as(who), payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

const upload = (who: string, id: string, bytes: Buffer | Readable, headers: Record<string, string> = {}) =>
  t.http({ method: 'PUT', url: `/v1/medicalDocuments/${id}/scan`, headers: { ...as(who), 'content-type': 'application/pdf', ...headers }, payload: bytes });

const auditOf = async (id: string) =>
  (await t.database.query(`select action, outcome, resource_type, actor_sub, fields_clear, fields_written, details from audit_events where $1 = any(resource_ids) order by seq`, [id])).rows;

beforeAll(async () => {
  t = await startTestApp({ POLICY_FILE: projectFile('policies/examples/clinic.yaml'), DEMO_DATA: 'false', DOCUMENT_MAX_BYTES: String(MAX_BYTES) });
  tokens.director = await t.token('dr-rossi', 'director');
  tokens.reception = await t.token('anna', 'reception');
  tokens.dpo = await t.token('dpo', 'dpo');
  tokens.cardiologist = await t.idp.sign({ sub: 'dr-cuore', roles: ['cardiologist'], extra: { specialty: 'cardiology' } });
  tokens.dermatologist = await t.idp.sign({ sub: 'dr-pelle', roles: ['cardiologist'], extra: { specialty: 'dermatology' } });
  ids.mario = await create('director', 'patients', { fullName: 'Mario Bianchi', specialty: 'cardiology' });
  ids.ecg = await create('cardiologist', 'medicalDocuments', { patientId: ids.mario, specialty: 'cardiology', title: 'ECG 2026-11' });
  ids.skin = await create('director', 'medicalDocuments', { patientId: ids.mario, specialty: 'dermatology', title: 'Skin biopsy' });
}, 120_000);
afterAll(async () => {
  await t?.close();
});

describe('a file field of a generated resource', () => {
  it('is null until uploaded, and opening it then is a 404 that says so', async () => {
    const doc = (await t.http({ url: `/v1/medicalDocuments/${ids.ecg}`, headers: as('cardiologist') })).json();
    expect(doc.scan).toBeNull();
    const res = await t.http({ url: `/v1/medicalDocuments/${ids.ecg}/scan`, headers: as('cardiologist') });
    expect(res.statusCode).toBe(404);
    expect(res.json().detail).toBe('This MedicalDocument has no scan yet.');
  });

  it('stores an upload as the record’s file and opens it byte for byte, audited with its sha256', async () => {
    const put = await upload('cardiologist', ids.ecg, scan);
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toEqual({ mediaType: 'application/pdf', sizeBytes: scan.length, sha256: sha256(scan) });

    const doc = (await t.http({ url: `/v1/medicalDocuments/${ids.ecg}`, headers: as('cardiologist') })).json();
    expect(doc.scan).toEqual({ mediaType: 'application/pdf', sizeBytes: scan.length, sha256: sha256(scan) });

    const get = await t.http({ url: `/v1/medicalDocuments/${ids.ecg}/scan`, headers: as('cardiologist') });
    expect(get.statusCode).toBe(200);
    expect(get.headers['content-type']).toBe('application/pdf');
    expect(get.headers['content-disposition']).toBe('attachment');
    expect(get.headers['x-content-type-options']).toBe('nosniff');
    expect(get.headers.etag).toBe(`"${sha256(scan)}"`);
    expect(get.rawPayload.equals(scan)).toBe(true);

    const events = await auditOf(ids.ecg);
    const up = events.find((e) => e.action === 'upload');
    expect(up).toMatchObject({ outcome: 'allowed', resource_type: 'MedicalDocument', actor_sub: 'dr-cuore', fields_written: ['scan'] });
    expect(up.details).toEqual({ mediaType: 'application/pdf', sizeBytes: scan.length, sha256: sha256(scan) });
    const down = events.find((e) => e.action === 'download' && e.outcome === 'allowed');
    expect(down).toMatchObject({ outcome: 'allowed', resource_type: 'MedicalDocument', fields_clear: ['scan'] });
    expect(down.details.sha256).toBe(sha256(scan));
  });

  it('replaces the file on a second upload, leaving no chunk of the first', async () => {
    const second = Buffer.from('a much shorter second scan');
    expect((await upload('cardiologist', ids.ecg, second, { 'content-type': 'image/png' })).statusCode).toBe(200);
    const get = await t.http({ url: `/v1/medicalDocuments/${ids.ecg}/scan`, headers: as('cardiologist') });
    expect(get.headers['content-type']).toBe('image/png');
    expect(get.rawPayload.toString()).toBe('a much shorter second scan');
    const { rows } = await t.database.query(`select count(*)::int as n from medical_document_chunks where medical_document_id = $1`, [ids.ecg]);
    expect(rows[0].n).toBe(1);
    expect((await upload('cardiologist', ids.ecg, scan)).statusCode).toBe(200);
  });

  it('is opened only by a caller who reads the field in clear: the DPO sees the record, not the scan', async () => {
    const doc = (await t.http({ url: `/v1/medicalDocuments/${ids.ecg}`, headers: as('dpo') })).json();
    expect(doc).not.toHaveProperty('scan');
    expect(doc._access.withheld).toContain('scan');
    const res = await t.http({ url: `/v1/medicalDocuments/${ids.ecg}/scan`, headers: as('dpo') });
    expect(res.statusCode).toBe(403);
    expect(res.body).not.toContain(sha256(scan));
    const denied = (await auditOf(ids.ecg)).filter((e) => e.action === 'download' && e.outcome === 'denied');
    expect(denied.map((e) => e.actor_sub)).toContain('dpo');
  });

  it('does not exist for a caller who may not see the record (another specialty): 404 on read and write', async () => {
    expect((await t.http({ url: `/v1/medicalDocuments/${ids.skin}/scan`, headers: as('cardiologist') })).statusCode).toBe(404);
    expect((await upload('cardiologist', ids.skin, Buffer.from('x'))).statusCode).toBe(404);
    expect((await t.http({ url: `/v1/medicalDocuments/${ids.ecg}/scan`, headers: as('dermatologist') })).statusCode).toBe(404);
  });

  it('is written only by a caller who may update the field: reception may not', async () => {
    const res = await upload('reception', ids.ecg, Buffer.from('not a scan'));
    expect(res.statusCode).toBe(403);
    const get = await t.http({ url: `/v1/medicalDocuments/${ids.ecg}/scan`, headers: as('cardiologist') });
    expect(get.rawPayload.equals(scan)).toBe(true);
  });

  it('refuses a body past DOCUMENT_MAX_BYTES with 413, declared or streamed, storing nothing', async () => {
    const declared = await upload('director', ids.skin, Buffer.alloc(MAX_BYTES + 1));
    expect(declared.statusCode).toBe(413);
    expect(declared.json().maxBytes).toBe(MAX_BYTES);
    // No Content-Length: the limit is found while reading.
    const streamed = await upload('director', ids.skin, Readable.from([Buffer.alloc(MAX_BYTES), Buffer.alloc(10)]));
    expect(streamed.statusCode).toBe(413);
    const doc = (await t.http({ url: `/v1/medicalDocuments/${ids.skin}`, headers: as('director') })).json();
    expect(doc.scan).toBeNull();
  });

  it('refuses an upload without a media type (400) or with one that is not a media type (415)', async () => {
    const none = await t.http({ method: 'PUT', url: `/v1/medicalDocuments/${ids.skin}/scan`, headers: as('director'), payload: Buffer.from('x') });
    expect(none.statusCode).toBe(400);
    expect(none.json()).toMatchObject({ code: 'VALIDATION_FAILED', fields: ['Content-Type'] });
    const malformed = await t.http({ method: 'PUT', url: `/v1/medicalDocuments/${ids.skin}/scan`, headers: { ...as('director'), 'content-type': 'text' }, payload: Buffer.from('x') });
    expect(malformed.statusCode).toBe(415);
    expect(malformed.json().detail).toContain('media type');
  });

  it('is what GraphQL shows of the record, for callers who read it in clear', async () => {
    const query = `query ($id: ID!) { medicalDocument(id: $id) { title scan { mediaType sizeBytes sha256 } access { withheld } } }`;
    const cardio = (await graphql(t.app, tokens.cardiologist!, query, { id: ids.ecg })).body;
    expect(cardio.errors).toBeUndefined();
    expect(cardio.data!.medicalDocument.scan).toEqual({ mediaType: 'application/pdf', sizeBytes: scan.length, sha256: sha256(scan) });
    const dpo = (await graphql(t.app, tokens.dpo!, query, { id: ids.ecg })).body;
    expect(dpo.data!.medicalDocument.scan).toBeNull();
    expect(dpo.data!.medicalDocument.access.withheld).toContain('scan');
  });

  it('goes with its record: a delete removes the bytes and what was known of them', async () => {
    const id = await create('director', 'medicalDocuments', { patientId: ids.mario, specialty: 'general', title: 'Letter' });
    expect((await upload('director', id, Buffer.from('letter'))).statusCode).toBe(200);
    expect((await t.http({ method: 'DELETE', url: `/v1/medicalDocuments/${id}`, headers: as('director') })).statusCode).toBe(204);
    const chunks = await t.database.query(`select count(*)::int as n from medical_document_chunks where medical_document_id = $1`, [id]);
    const known = await t.database.query(`select count(*)::int as n from record_files where record_id = $1`, [id]);
    expect([chunks.rows[0].n, known.rows[0].n]).toEqual([0, 0]);
  });
});
