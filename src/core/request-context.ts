import type { Principal } from '../auth/principal.js';
import type { PrincipalStatusStore } from '../auth/principal-status.js';
import type { Log } from '../log.js';
import type { Metrics } from '../metrics/registry.js';
import type { AuditContext } from '../audit/audit-event.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { Db } from '../data/database.js';
import type { AppAbility } from '../policy/ability.js';
import type { Policy } from '../policy/load-policy.js';
import type { PolicyStore } from '../policy/policy-store.js';
import type { GrantStore } from './access-grants.js';
import type { ListCursors } from './list-cursor.js';
import type { RecentReads } from './recent-reads.js';

/** Everything the core needs for one request, whichever door it came through. */
export interface RequestContext {
  db: Db;
  log: Log;
  policy: Policy;
  /** The running policy's holder: for reloads and previews. */
  policyStore: PolicyStore;
  /** The verified caller. */
  principal: Principal;
  /** Built once per request from the caller's roles. */
  ability: AppAbility;
  audit: AuditContext;
  /** The instance's audit writer (group commit, chain lock). */
  auditWriter: AuditWriter;
  /** The instance's memory of reads just recorded against read budgets. */
  recentReads: RecentReads;
  /** Page cursors, sealed with the key every instance shares. */
  cursors: ListCursors;
  /** The instance's memory of approved access requests (the caller's grants), and its clock. */
  grantStore?: GrantStore;
  /** Disabled people, in memory: a long response (an export) checks it again as it goes. */
  principalStatus: PrincipalStatusStore;
  /** Record ids per audit event of an export (EXPORT_AUDIT_CHUNK); EXPORT_CHUNK if unset. */
  exportChunk?: number;
  /** The instance's counters for refusals decided in the core; absent outside the service (CLI, tests). */
  metrics?: Pick<Metrics, 'budgetRefused' | 'disabledDuringExport'>;
}
