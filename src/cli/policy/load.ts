import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { loadPolicyFile, PolicyError, type Policy } from '../../policy/load-policy.js';
import type { CliIo } from './io.js';

/**
 * `hash` masks need a key to compile. The service insists on POLICY_HASH_KEY; the
 * authoring tools fall back to a fixed key so a policy can be checked on any laptop
 * (and `test` cases with hash tokens stay reproducible). `check` says so when it matters.
 */
export const FALLBACK_HASH_KEY = 'fieldguard-policy-cli-key';
export const hashKey = () => process.env.POLICY_HASH_KEY || FALLBACK_HASH_KEY;

/** Role facts the compiled Policy folds away (inheritance, descriptions), for display. */
export interface RoleInfo {
  description: string | null;
  inherits: string[];
}

export interface LoadedPolicy {
  file: string;
  policy: Policy;
  roleInfo: ReadonlyMap<string, RoleInfo>;
}

/** Loads a policy through the service's own loader; on failure prints every problem and returns null. */
export function loadForCli(file: string, io: CliIo): LoadedPolicy | null {
  try {
    const policy = loadPolicyFile(file, hashKey());
    return { file, policy, roleInfo: readRoleInfo(file, [...policy.roles.keys()]) };
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    io.err(`${file}: invalid policy (${err.problems.length} problem${err.problems.length === 1 ? '' : 's'})`);
    for (const problem of err.problems) io.err(`  ${problem}`);
    return null;
  }
}

/**
 * Reads `description` and `inherits` straight from the YAML: the loader has already
 * validated the file, so this only picks out display facts, defensively.
 */
function readRoleInfo(file: string, roles: string[]): Map<string, RoleInfo> {
  return roleInfoOf(parseYaml(readFileSync(file, 'utf8')), roles);
}

/** The same display facts from a policy document already parsed (a candidate built in memory). */
export function roleInfoOf(document: unknown, roles: string[]): Map<string, RoleInfo> {
  const doc = (document ?? {}) as { roles?: Record<string, { description?: unknown; inherits?: unknown }> };
  return new Map(
    roles.map((role) => {
      const spec = doc.roles?.[role] ?? {};
      const inherits = Array.isArray(spec.inherits) ? spec.inherits.filter((r): r is string => typeof r === 'string') : [];
      return [role, { description: typeof spec.description === 'string' ? spec.description : null, inherits }];
    }),
  );
}

/** Every role a role inherits from, directly or through its parents, nearest first. */
export function ancestors(roleInfo: ReadonlyMap<string, RoleInfo>, role: string): string[] {
  const seen: string[] = [];
  const queue = [...(roleInfo.get(role)?.inherits ?? [])];
  while (queue.length > 0) {
    const next = queue.shift()!;
    if (seen.includes(next) || next === role) continue;
    seen.push(next);
    queue.push(...(roleInfo.get(next)?.inherits ?? []));
  }
  return seen;
}
