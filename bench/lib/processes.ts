import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { projectFile } from '../../src/paths.js';

/**
 * The servers the bench loads, compiled by `npm run build` (tsconfig.build.json), as
 * production runs the service: no tsx loader, the code node runs is tsc's output.
 */
export const SERVICE = projectFile('dist', 'src', 'server.js');
export const BASELINE = projectFile('dist', 'bench', 'baseline-server.js');
export const POSTGRAPHILE = projectFile('dist', 'bench', 'postgraphile-server.js');

/**
 * `count` distinct ports free on 127.0.0.1 right now (all held open until all are
 * known), for servers the bench starts: fixed ports collide when two benches, or a
 * bench and a dev server, run on one machine.
 */
export async function freePorts(count: number): Promise<number[]> {
  const probes = Array.from({ length: count }, () => createServer());
  const ports = await Promise.all(
    probes.map((probe) => new Promise<number>((resolve, reject) => probe.once('error', reject).listen(0, '127.0.0.1', () => resolve((probe.address() as AddressInfo).port)))),
  );
  await Promise.all(probes.map((probe) => new Promise((resolve) => probe.close(resolve))));
  return ports;
}

/**
 * A fieldguard server (or, with `script`, another server that prints "listening on") in
 * its own process, so load and server never share a core's event loop. A `.ts` script
 * runs through tsx, a compiled `.js` one directly; `nodeArgs` go to node (--cpu-prof).
 */
export async function startServer(env: Record<string, string>, port: number, script = SERVICE, nodeArgs: string[] = []): Promise<ChildProcess> {
  if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` first (npm run bench does)`);
  const child = spawn(process.execPath, [...nodeArgs, ...(script.endsWith('.ts') ? ['--import', 'tsx'] : []), script], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening on')) resolve();
    });
  });
  child.stdout!.resume();
  return child;
}

export function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** A request body to load with (GraphQL): sent as POST. */
export interface LoadBody {
  method: 'POST';
  body: string;
}

/** Runs autocannon as a separate process against 127.0.0.1 and parses its JSON report. */
export function runLoad(url: string, headers: Record<string, string>, seconds: number, connections = 50, body?: LoadBody): Promise<LoadResult> {
  if (new URL(url).hostname !== '127.0.0.1') throw new Error(`load only goes to 127.0.0.1, not ${url}`);
  const args = [projectFile('node_modules', 'autocannon', 'autocannon.js'), '-j', '-c', String(connections), '-d', String(seconds)];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  if (body) args.push('-m', body.method, '-b', body.body);
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}`));
      const r = JSON.parse(out);
      resolve({ requests: r.requests.total, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors });
    });
  });
}
