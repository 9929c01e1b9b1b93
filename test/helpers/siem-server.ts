import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** How the fake SIEM answers the next requests: 500, never, or 200. */
export type SiemMode = 'fail' | 'hang' | 'ok';

export interface SiemRequest {
  headers: IncomingHttpHeaders;
  /** The body, gunzipped. */
  text: string;
  mode: SiemMode;
}

/**
 * An HTTP sink on loopback in the Splunk HEC or Elastic `_bulk` shape. Every request is
 * recorded, answered or not: a SIEM may store a batch whose answer never arrives, which is
 * exactly where at-least-once delivery makes duplicates.
 */
export async function startSiemServer(format: 'splunk' | 'elastic') {
  let mode: SiemMode = 'ok';
  const requests: SiemRequest[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
      const seen = mode;
      requests.push({ headers: req.headers, text, mode: seen });
      if (seen === 'hang') return void hanging.push(res);
      if (seen === 'fail') return void res.writeHead(500).end('{"text":"Internal error"}');
      const count = format === 'splunk' ? text.split('\n').length : text.split('\n').filter(Boolean).length / 2;
      const body =
        format === 'splunk'
          ? { text: 'Success', code: 0 }
          : { took: 1, errors: false, items: Array.from({ length: count }, () => ({ create: { status: 201 } })) };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/${format === 'splunk' ? 'services/collector/event' : '_bulk'}`,
    requests,
    setMode(next: SiemMode) {
      mode = next;
    },
    /** The events of the requests (in arrival order) that `include` accepts, parsed. */
    events(include: (r: SiemRequest) => boolean = () => true): Array<Record<string, any>> {
      return requests.filter(include).flatMap((r) => parseBody(format, r.text));
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Splunk: the HEC envelopes; Elastic: `{ action, doc }` pairs. */
function parseBody(format: 'splunk' | 'elastic', text: string): Array<Record<string, any>> {
  const lines = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
  if (format === 'splunk') return lines;
  const pairs: Array<Record<string, any>> = [];
  for (let i = 0; i < lines.length; i += 2) pairs.push({ action: lines[i], doc: lines[i + 1] });
  return pairs;
}
