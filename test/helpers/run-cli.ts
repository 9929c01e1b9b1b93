import { execFile } from 'node:child_process';
import { projectFile } from '../../src/paths.js';

/** Runs a package CLI (src/cli/NAME.ts) in a child process, the way `npm run NAME` does. */
export function runCli(name: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', projectFile('src', 'cli', `${name}.ts`), ...args],
      // Without DATABASE_URL the tests run on PGlite, whose connections share one session.
      { env: { ...process.env, LOG_LEVEL: 'warn', ...(process.env.DATABASE_URL ? {} : { DATABASE_PREPARED_STATEMENTS: 'false' }), ...env }, cwd: projectFile() },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
