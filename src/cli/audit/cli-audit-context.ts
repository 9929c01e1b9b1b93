import { userInfo } from 'node:os';
import type { AuditContext } from '../../audit/audit-event.js';
import type { Config } from '../../config.js';
import { DEFAULT_POLICY_FILE } from '../../paths.js';
import { loadPolicyFile } from '../../policy/load-policy.js';

/** Who is acting when an operator runs an audit tool: the OS user, through the CLI. */
export function cliAuditContext(config: Config): AuditContext {
  const policy = loadPolicyFile(config.policyFile ?? DEFAULT_POLICY_FILE, config.policyHashKey);
  return {
    principal: { sub: `cli:${userInfo().username}`, roles: [], tokenId: null, claims: {} },
    channel: 'cli',
    requestId: `cli-${process.pid}-${Date.now()}`,
    purpose: null,
    clientIp: null,
    userAgent: 'fieldguard-cli',
    policyVersion: policy.version,
  };
}
