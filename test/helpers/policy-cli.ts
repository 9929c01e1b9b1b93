import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIo, type PolicyCommand } from '../../src/cli/policy/io.js';

/** Runs a policy command as a function and returns its exit code and printed lines. */
export async function runPolicyCommand(command: PolicyCommand, args: string[]) {
  const io = captureIo();
  const code = await command(args, io);
  // Commands may print several lines in one call; split so tests can compare line by line.
  const lines = (xs: string[]) => xs.join('\n').split('\n');
  return { code, out: lines(io.stdout), err: lines(io.stderr) };
}

/** Writes files into a fresh temporary folder and returns their paths by name. */
export function tempFiles(files: Record<string, string>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'policy-cli-'));
  return Object.fromEntries(
    Object.entries(files).map(([name, text]) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return [name, path];
    }),
  );
}
