/**
 * Where a policy command writes. Commands take this instead of touching process.stdout,
 * so tests can run them as plain functions and read what they printed.
 */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** An io that keeps every line, for tests and for callers that post-process output. */
export function captureIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line) };
}

/** One policy tool: its own arguments in, an exit code out. */
export type PolicyCommand = (args: string[], io: CliIo) => Promise<number>;
