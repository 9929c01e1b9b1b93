import { spawn, type ChildProcess } from 'node:child_process';
import { projectFile } from '../../src/paths.js';

export interface ServerProcess {
  /** http://127.0.0.1:<port> */
  base: string;
  child: ChildProcess;
  /** stdout and stderr lines so far. */
  lines: string[];
  /** Resolves with the line once one matches (already printed or still to come). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the process has exited: its code, and when (Date.now()). */
  exited: Promise<{ code: number | null; signal: string | null; at: number }>;
}

/**
 * The real service as `npm start` runs it (node --import tsx src/server.ts), in its own
 * process, on a free loopback port, once it has printed its banner. Only the variables
 * given here reach it, so the test's own DATABASE_URL never leaks in.
 */
// PGlite's first start (initdb, migrations) takes many seconds on a busy 2-core machine.
export async function startServerProcess(env: Record<string, string>, timeoutMs = 150_000): Promise<ServerProcess> {
  const server = spawnServerProcess(env);
  const banner = await server.waitForLine(/fieldguard listening on http:\/\/127\.0\.0\.1:\d+/, timeoutMs);
  const base = /(http:\/\/127\.0\.0\.1:\d+)/.exec(banner)![1]!;
  return { ...server, base };
}

/** The same process, returned at once: for start-ups that are meant to fail, or to be watched. */
export function spawnServerProcess(env: Record<string, string>): Omit<ServerProcess, 'base'> {
  const child = spawn(process.execPath, ['--import', 'tsx', projectFile('src', 'server.ts')], {
    cwd: projectFile(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  // A read may end mid-line (a full pipe): only complete lines are matched, each once.
  const pending = new Map<NodeJS.ReadableStream, string>();
  const onData = (from: NodeJS.ReadableStream) => (chunk: string) => {
    const parts = ((pending.get(from) ?? '') + chunk).split('\n');
    pending.set(from, parts.pop()!);
    for (const line of parts.filter(Boolean)) {
      lines.push(line);
      for (const w of waiters.filter((x) => x.pattern.test(line))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  // Decoded as a stream, so a character cut between two reads is not mangled.
  child.stdout!.setEncoding('utf8').on('data', onData(child.stdout!));
  child.stderr!.setEncoding('utf8').on('data', onData(child.stderr!));
  const exited = new Promise<{ code: number | null; signal: string | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );

  const waitForLine = (pattern: RegExp, timeoutMs = 60_000) => {
    const seen = lines.find((l) => pattern.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`)), timeoutMs);
      waiters.push({ pattern, resolve: (line) => (clearTimeout(timer), resolve(line)) });
      void exited.then(() => reject(new Error(`server exited before printing ${pattern}:\n${lines.slice(-20).join('\n')}`)));
    });
  };

  return { child, lines, waitForLine, exited };
}
