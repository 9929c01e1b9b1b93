/**
 * The arithmetic of a policy replay: recorded reads, each decided again under a candidate
 * policy, added up per role and field, per person, and per reason a read could not be
 * decided. Framework-free and database-free; src/core/policy-replay.service.ts feeds it.
 */

export type FieldOutcome = 'clear' | 'masked' | 'withheld';

/** What the trail says one read of one record showed. */
export type RecordedView = { visible: true; fields: Readonly<Record<string, FieldOutcome>> } | { visible: false };

/** The candidate's decision on the record as it is now; `undecided` where a token claim could decide. */
export interface CandidateView {
  visible: boolean | 'undecided';
  fields: Readonly<Record<string, FieldOutcome | 'undecided'>>;
}

/** One record of one recorded read, decided again. `candidate` is null when the record is gone. */
export interface ReplayedRead {
  sub: string;
  roles: readonly string[];
  resource: string;
  id: string;
  recorded: RecordedView;
  candidate: CandidateView | null;
}

/** Per role set and field (null: the record itself), one direction of change. */
export interface ReplayChange {
  roles: string;
  resource: string;
  field: string | null;
  change: string;
  reads: number;
  records: number;
}

/** A person who read a field clear or masked that the candidate would take from them. */
export interface ReplayLoss {
  sub: string;
  resource: string;
  field: string;
  change: string;
  reads: number;
  records: number;
}

/** Reads the replay could not decide, and why. */
export interface ReplayUnknown {
  roles: string;
  resource: string;
  field: string | null;
  reason: 'record gone' | 'token claims';
  reads: number;
  records: number;
}

export interface ReplayTotals {
  reads: number;
  unchanged: number;
  changed: number;
  recordGone: number;
  undecided: number;
}

export interface ReplayResult {
  totals: ReplayTotals;
  changes: ReplayChange[];
  losses: ReplayLoss[];
  unknown: ReplayUnknown[];
}

const RANK: Record<FieldOutcome | 'not visible', number> = { clear: 3, masked: 2, withheld: 1, 'not visible': 0 };
const visibility = (v: boolean) => (v ? 'visible' : 'not visible');

/** "agent" or, for a person holding several roles, "agent+manager": the decision is their union's. */
export const roleKey = (roles: readonly string[]) => [...new Set(roles)].sort().join('+') || '(no role)';

class Counter<T extends object> {
  private readonly rows = new Map<string, { row: T; reads: number; ids: Set<string> }>();
  add(row: T, id: string): void {
    const key = JSON.stringify(row);
    let entry = this.rows.get(key);
    if (!entry) this.rows.set(key, (entry = { row, reads: 0, ids: new Set() }));
    entry.reads += 1;
    entry.ids.add(id);
  }
  list(): Array<T & { reads: number; records: number }> {
    return [...this.rows.values()].map((e) => ({ ...e.row, reads: e.reads, records: e.ids.size }));
  }
}

/** Adds replayed reads up; `result()` may be called at any point. */
export class ReplayTally {
  private readonly totals: ReplayTotals = { reads: 0, unchanged: 0, changed: 0, recordGone: 0, undecided: 0 };
  private readonly changes = new Counter<Omit<ReplayChange, 'reads' | 'records'>>();
  private readonly losses = new Counter<Omit<ReplayLoss, 'reads' | 'records'>>();
  private readonly unknown = new Counter<Omit<ReplayUnknown, 'reads' | 'records'>>();

  add(read: ReplayedRead): void {
    const { recorded, candidate, resource, id, sub } = read;
    const roles = roleKey(read.roles);
    this.totals.reads += 1;
    if (candidate === null) {
      this.totals.recordGone += 1;
      this.unknown.add({ roles, resource, field: null, reason: 'record gone' }, id);
      return;
    }
    if (candidate.visible === 'undecided') {
      this.totals.undecided += 1;
      this.unknown.add({ roles, resource, field: null, reason: 'token claims' }, id);
      return;
    }
    if (recorded.visible !== candidate.visible) {
      this.totals.changed += 1;
      this.changes.add({ roles, resource, field: null, change: `${visibility(recorded.visible)} -> ${visibility(candidate.visible)}` }, id);
      if (recorded.visible) {
        for (const [field, was] of Object.entries(recorded.fields)) {
          if (was !== 'withheld') this.losses.add({ sub, resource, field, change: `${was} -> not visible` }, id);
        }
      }
      return;
    }
    if (!recorded.visible) {
      this.totals.unchanged += 1;
      return;
    }
    let changed = false;
    let undecided = false;
    for (const [field, was] of Object.entries(recorded.fields)) {
      const now = candidate.fields[field];
      // A field only one of the two policies declares is not compared (see the replay's `fields`).
      if (now === undefined || now === was) continue;
      if (now === 'undecided') {
        undecided = true;
        this.unknown.add({ roles, resource, field, reason: 'token claims' }, id);
        continue;
      }
      changed = true;
      this.changes.add({ roles, resource, field, change: `${was} -> ${now}` }, id);
      if (RANK[now] < RANK[was] && was !== 'withheld') this.losses.add({ sub, resource, field, change: `${was} -> ${now}` }, id);
    }
    if (changed) this.totals.changed += 1;
    else if (undecided) this.totals.undecided += 1;
    else this.totals.unchanged += 1;
  }

  result(): ReplayResult {
    // Code-point order, the record itself (field null) before its fields.
    const byText = (...keys: Array<string | null>) => keys.map((k) => k ?? '').join('\u0000');
    const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    return {
      totals: { ...this.totals },
      changes: this.changes.list().sort((a, b) => order(byText(a.roles, a.resource, a.field, a.change), byText(b.roles, b.resource, b.field, b.change))),
      losses: this.losses.list().sort((a, b) => order(byText(a.sub, a.resource, a.field, a.change), byText(b.sub, b.resource, b.field, b.change))),
      unknown: this.unknown.list().sort((a, b) => order(byText(a.roles, a.resource, a.field, a.reason), byText(b.roles, b.resource, b.field, b.reason))),
    };
  }
}
