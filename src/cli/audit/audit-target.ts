import type { Config } from '../../config.js';
import type { Db } from '../../data/database.js';
import { describeHolder, FolderInUseError, SERVICE_HOLDER } from '../../data/folder-lock.js';
import { openCliDatabase } from '../cli-database.js';
import { runningService, type RunningService } from '../running-service.js';

export type AuditTarget = { kind: 'database'; db: Db; close(): Promise<void> } | { kind: 'service'; service: RunningService };

/**
 * Where an audit command runs: on the database itself, or, when a running service holds
 * the PGlite folder, through that service's HTTP API. Opening the folder a second time
 * would give the CLI its own copy of the chain, and the service would then hand out the
 * same positions again. The choice is said on stderr; stdout stays the command's output.
 */
export async function openAuditTarget(config: Config, command: string): Promise<AuditTarget> {
  try {
    return { kind: 'database', ...(await openCliDatabase(config, command)) };
  } catch (err) {
    if (!(err instanceof FolderInUseError)) throw err;
    const { holder } = err;
    if (!holder.url) {
      const until = holder.command === SERVICE_HOLDER ? 'started' : 'finished';
      throw new Error(`${err.message}, which does not serve HTTP yet: try again when it has ${until} ${err.staleHint}`, { cause: err });
    }
    process.stderr.write(`${config.pgliteDir} is held by ${describeHolder(holder)}: asking it over HTTP instead of opening the folder\n`);
    return { kind: 'service', service: runningService(config, { ...holder, url: holder.url }) };
  }
}
