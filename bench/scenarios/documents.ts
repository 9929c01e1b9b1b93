import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { createBenchDatabase, seedCustomers } from '../lib/bench-database.js';
import { ROUNDS, SECRET, devToken } from '../lib/compare.js';
import { freePorts, startServer, stopServer } from '../lib/processes.js';

const MiB = 1024 * 1024;
const SIZES = [10 * MiB, 50 * MiB];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Sends `body` in 64 KiB writes, as a client streaming a file would; resolves with status and seconds. */
function send(port: number, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; seconds: number; bytes: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, seconds: (performance.now() - started) / 1000, bytes }));
    });
    req.on('error', reject);
    if (body) for (let o = 0; o < body.length; o += 64 * 1024) req.write(body.subarray(o, o + 64 * 1024));
    req.end();
  });
}

export interface DocumentResult {
  sizeMiB: number;
  uploadMBs: number;
  downloadMBs: number;
}

/** One upload and one download of documents of 10 and 50 MiB: MB/s to and from PostgreSQL, through policy and audit. */
export async function documentsScenario(): Promise<{ markdown: string; data: DocumentResult[] }> {
  const database = await createBenchDatabase();
  const env = { DATABASE_URL: database.url, AUTH_DEV_SECRET: SECRET, DEMO_DATA: 'false', RATE_LIMIT_MAX: '0', DOCUMENT_MAX_BYTES: String(64 * MiB) };
  const [port] = (await freePorts(1)) as [number];
  const server = await startServer(env, port);
  try {
    const [customerId] = await seedCustomers(database.url, 1);
    const auth = { authorization: `Bearer ${await devToken('bench-admin', ['admin'])}` };
    const data: DocumentResult[] = [];
    for (const size of SIZES) {
      const body = randomBytes(size);
      const up: number[] = [];
      const down: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const headers = { ...auth, 'content-type': 'application/pdf', 'content-length': String(size), 'x-document-title': 'bench', 'x-document-category': 'invoice' };
        const created = await send(port, 'POST', `/v1/customers/${customerId}/documents`, headers, body);
        if (created.status !== 201) throw new Error(`upload answered ${created.status}`);
        up.push(size / 1e6 / created.seconds);
        const id = await latestDocument(database.url);
        const fetched = await send(port, 'GET', `/v1/documents/${id}/content`, auth);
        if (fetched.status !== 200 || fetched.bytes !== size) throw new Error(`download answered ${fetched.status} with ${fetched.bytes} bytes`);
        down.push(size / 1e6 / fetched.seconds);
        process.stderr.write(`  round ${round + 1} ${size / MiB} MiB: upload ${up.at(-1)!.toFixed(1)} MB/s, download ${down.at(-1)!.toFixed(1)} MB/s\n`);
      }
      data.push({ sizeMiB: size / MiB, uploadMBs: median(up), downloadMBs: median(down) });
    }
    const markdown = [
      `Documents: one upload then one download as admin, streamed in 64 KiB writes (median of ${ROUNDS})`,
      '',
      '| size MiB | upload MB/s | download MB/s |',
      '|---|---|---|',
      ...data.map((d) => `| ${d.sizeMiB} | ${d.uploadMBs.toFixed(1)} | ${d.downloadMBs.toFixed(1)} |`),
    ].join('\n');
    return { markdown, data };
  } finally {
    await stopServer(server);
    await database.drop();
  }
}

async function latestDocument(url: string): Promise<string> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ id: string }>('select id from documents order by created_at desc limit 1')).rows[0]!.id;
  } finally {
    await client.end();
  }
}
