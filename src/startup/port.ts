import { randomUUID } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { StartupError } from './startup-error.js';

export interface PortReservation {
  /** Frees the port for the service's own listener; call right before it listens. */
  release(): Promise<void>;
}

/**
 * Binds the port before the slow part of start-up (PGlite, migrations), so a taken port
 * fails at once rather than after it. Until the service listens, callers get a 503
 * "starting" answer (a load balancer or a script waiting on /readyz retries) instead of
 * a connection that hangs. Port 0 (any free port) has nothing to check.
 */
export async function reservePort(host: string, port: number): Promise<PortReservation> {
  if (port === 0) return { release: async () => {} };
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.resume(); // read and drop the request: unread bytes would turn the close into a reset
    socket.end(startingResponse());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(portError(err as NodeJS.ErrnoException, host, port)));
    server.listen({ host, port, exclusive: true }, resolve);
  });
  return {
    release: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** One line naming the port and how to choose another; also for a listen that loses a race. */
export function portError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  const other = port === 8080 ? 8081 : 8080;
  if (err.code === 'EADDRINUSE') {
    return new StartupError(`port ${port} on ${host} is already in use (another fieldguard, or another program): stop it, or pick another port: PORT=${other} npm start`);
  }
  if (err.code === 'EACCES') return new StartupError(`port ${port} on ${host} needs privileges this user lacks: pick a port above 1023: PORT=${other} npm start`);
  if (err.code === 'EADDRNOTAVAIL') return new StartupError(`HOST ${host} is not an address of this machine: HOST=127.0.0.1 npm start`);
  return err;
}

function startingResponse(): string {
  const body = JSON.stringify({
    type: 'https://fieldguard.dev/problems/unavailable',
    title: 'Service unavailable',
    status: 503,
    detail: 'The service is starting; try again in a few seconds.',
    code: 'UNAVAILABLE',
    requestId: randomUUID(),
  });
  return [
    'HTTP/1.1 503 Service Unavailable',
    'Content-Type: application/problem+json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Retry-After: 5',
    'Cache-Control: no-store',
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}
