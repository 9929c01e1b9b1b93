import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A load balancer on loopback for tests: each request to the next upstream in turn. */
export interface RoundRobinProxy {
  /** http://127.0.0.1:<port> */
  base: string;
  /** Which upstream (index) answered each request so far, in order. */
  answeredBy: number[];
  close(): Promise<void>;
}

/** The header naming the upstream (its index) that answered; the proxy adds it. */
export const UPSTREAM_HEADER = 'x-test-upstream';

/**
 * Forwards each request, body streamed, to `upstreams[n % length]` over keep-alive
 * connections, and the answer back with UPSTREAM_HEADER. The request id is set to
 * `i<index>-<n>` unless the caller gave one, so audit rows say which instance wrote them.
 */
export async function startRoundRobinProxy(upstreams: string[]): Promise<RoundRobinProxy> {
  const agents = upstreams.map(() => new Agent({ keepAlive: true, maxSockets: 32 }));
  const answeredBy: number[] = [];
  let next = 0;
  const server: Server = createServer((req, res) => {
    const n = next++;
    const index = n % upstreams.length;
    const target = new URL(req.url ?? '/', upstreams[index]);
    const headers = { ...req.headers, 'x-request-id': req.headers['x-request-id'] ?? `i${index}-${n}` };
    const upstream = request(target, { method: req.method, headers, agent: agents[index] }, (answer) => {
      answeredBy.push(index);
      res.writeHead(answer.statusCode ?? 502, { ...answer.headers, [UPSTREAM_HEADER]: String(index) });
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    answeredBy,
    close: async () => {
      for (const agent of agents) agent.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
