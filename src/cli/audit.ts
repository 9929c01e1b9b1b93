import { loadConfig, type Config } from '../config.js';

/** One audit tool: gets the configuration and its own arguments, returns an exit code. */
export type AuditCommand = (config: Config, args: string[]) => Promise<number>;

/**
 * `npm run audit -- <command> [options]`: the audit trail's operator tools. Each command
 * lives in its own module under src/cli/audit/ and is loaded only when called.
 */
const commands: Record<string, { summary: string; load: () => Promise<AuditCommand> }> = {
  verify: {
    summary: 'walk the hash chain; --checkpoint SEQ:HASH also proves a published head is still there',
    load: async () => (await import('./audit/verify.js')).verify,
  },
  checkpoint: {
    summary: 'record a checkpoint event and print SEQ:HASH of the head, to store outside the database',
    load: async () => (await import('./audit/checkpoint.js')).checkpoint,
  },
  tail: { summary: 'follow the audit feed over HTTP and print NDJSON (a SIEM forwarder)', load: async () => (await import('./audit/tail.js')).tail },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return `Usage: npm run audit -- <command> [options]\n\nCommands:\n${lines.join('\n')}\n`;
}

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  const command = name ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(usage());
    return 2;
  }
  const run = await command.load();
  return run(loadConfig(), args);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  },
);
