import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';

/** A request as tests write it (the shape of fastify's `inject` options, so tests read the same). */
export interface HttpRequest {
  method?: string;
  url: string;
  headers?: Record<string, string | undefined>;
  /** An object is sent as JSON; a string, Buffer or stream as is. */
  payload?: unknown;
}

/** What a client receives over the socket. */
export interface HttpResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: string;
  rawPayload: Buffer;
  json(): any;
}

export type HttpClient = (req: HttpRequest | string) => Promise<HttpResponse>;

/**
 * Calls a listening app over a real TCP socket on loopback. Every integration and
 * security test talks to the service this way: `inject` skips the socket, and a
 * request that froze the real server (an upload walked as if it were JSON) passed
 * through `inject` unnoticed.
 */
export function socketClient(baseUrl: string): HttpClient & { close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const call = (input: HttpRequest | string): Promise<HttpResponse> => {
    const req = typeof input === 'string' ? { url: input } : input;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
    let body: Buffer | Readable | undefined;
    if (req.payload instanceof Readable) body = req.payload;
    else if (Buffer.isBuffer(req.payload)) body = req.payload;
    else if (typeof req.payload === 'string') body = Buffer.from(req.payload);
    else if (req.payload !== undefined) {
      body = Buffer.from(JSON.stringify(req.payload));
      headers['content-type'] ??= 'application/json';
    }
    if (Buffer.isBuffer(body) && headers['content-length'] === undefined) headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(new URL(req.url, baseUrl), { method: req.method ?? 'GET', headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const rawPayload = Buffer.concat(chunks);
          const text = rawPayload.toString('utf8');
          resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: text, rawPayload, json: () => JSON.parse(text) });
        });
      });
      outgoing.on('error', reject);
      if (body instanceof Readable) body.pipe(outgoing);
      else outgoing.end(body);
    });
  };
  return Object.assign(call, { close: () => agent.destroy() });
}

/** Starts the app on an ephemeral loopback port and returns its base URL. */
export async function listenOnLoopback(app: FastifyInstance): Promise<string> {
  if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

const clients = new WeakMap<FastifyInstance, Promise<HttpClient>>();

/**
 * The socket client of an app, listening on loopback first if it is not yet: tests that
 * build an app of their own call it exactly as they call the shared test app.
 */
export function httpFor(app: FastifyInstance): HttpClient {
  let client = clients.get(app);
  if (!client) {
    client = listenOnLoopback(app).then((url) => socketClient(url));
    clients.set(app, client);
  }
  return async (req) => (await client)(req);
}
