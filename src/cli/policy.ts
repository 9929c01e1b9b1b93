import { processIo, type PolicyCommand } from './policy/io.js';

/**
 * `npm run policy -- <command> ...`: tools for the people who write policies. Each
 * command lives in its own module under src/cli/policy/ and is loaded only when called.
 * check, test and diff need no database and no service: they work on files alone;
 * replay asks the running service, which holds the audit trail and the records.
 */
const commands: Record<string, { usage: string; summary: string; load: () => Promise<PolicyCommand> }> = {
  check: {
    usage: 'check FILE [--json]',
    summary: 'validate a policy and say what each role sees and may do',
    load: async () => (await import('./policy/check.js')).check,
  },
  test: {
    usage: 'test FILE TESTS',
    summary: 'run the policy test cases in TESTS (YAML) against FILE',
    load: async () => (await import('./policy/test.js')).test,
  },
  diff: {
    usage: 'diff OLD NEW [--json]',
    summary: 'per role and field, what changes between two policy files',
    load: async () => (await import('./policy/diff.js')).diff,
  },
  replay: {
    usage: 'replay CANDIDATE [--days N] [--json] [--url URL]',
    summary: 'the reads of the last N days (default 7) decided again under CANDIDATE, by the running service',
    load: async () => (await import('./policy/replay.js')).replay,
  },
};

function usage(): string {
  const lines = Object.values(commands).map((c) => `  ${c.usage.padEnd(50)} ${c.summary}`);
  return `Usage: npm run policy -- <command>\n\nCommands:\n${lines.join('\n')}`;
}

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  const command = name ? commands[name] : undefined;
  if (!command) {
    processIo.err(usage());
    return 2;
  }
  return (await command.load())(args, processIo);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    processIo.err((err as Error).message);
    process.exitCode = 1;
  },
);
