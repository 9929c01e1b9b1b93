import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { projectFile } from '../../src/paths.js';

/**
 * Under CI the suite must run against the machine's PostgreSQL: an unreachable server is
 * a failure, never a silent fall-back to embedded PGlite.
 */
export default async function globalSetup() {
  buildConsoleIfStale();
  const url = process.env.DATABASE_URL;
  if (process.env.CI === 'true' && !url) throw new Error('CI=true but DATABASE_URL is not set');
  if (!url) return;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    throw new Error(`DATABASE_URL is set but PostgreSQL is unreachable: ${(err as Error).message}`, { cause: err });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Newest modification time of any file under `dir`. */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * The browser tests load the built console (dist/console): built once here, and only
 * when a source under src/console/web is newer than the build, so most runs skip it.
 */
function buildConsoleIfStale() {
  let builtAt = 0;
  try {
    builtAt = statSync(projectFile('dist', 'console', 'index.html')).mtimeMs;
  } catch {
    // not built yet
  }
  if (builtAt > newest(projectFile('src', 'console', 'web'))) return;
  execFileSync(process.execPath, [projectFile('node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', projectFile('src', 'console', 'web', 'vite.config.ts')], { stdio: 'inherit', cwd: projectFile() });
}
