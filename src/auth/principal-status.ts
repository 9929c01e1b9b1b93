import { AppError } from '../errors.js';
import type { StatusEntry } from '../data/principal-status.repository.js';
import type { Principal } from './principal.js';

/**
 * The disabled people, in this instance's memory: every request is checked here after
 * its token is verified (from the token cache or not), with no database round trip.
 *
 * The memory is kept current by the table's announcements (principal-status-listener.ts)
 * and by this instance's own changes. It is trusted only while it is known to be
 * current: `confirm` is called each time the listener proves its connection alive, and
 * once the last proof is older than `maxStaleMs` every request is refused with 503 until
 * the listener is back and has reloaded the whole table. A store without a bound
 * (embedded PGlite: one process, whose own changes are all there is) is current once
 * loaded.
 */
export class PrincipalStatusStore {
  private readonly entries = new Map<string, StatusEntry>();
  private confirmedAt: number | null = null;

  constructor(
    /** Longest time without proof that the memory is current; null: no listener, local changes only. */
    readonly maxStaleMs: number | null,
    private readonly now: () => number = Date.now,
  ) {}

  /** A change, from an announcement or this instance's own write; an older revision than held is ignored. */
  apply(entry: StatusEntry): void {
    const key = keyOf(entry.sub, entry.jti);
    const held = this.entries.get(key);
    if (!held || held.revision < entry.revision) this.entries.set(key, entry);
  }

  /**
   * The whole table, read at `asOf` (the listener was already listening then). What this
   * instance heard of meanwhile is merged by revision, so a change announced while the
   * read ran is not undone by it. Nothing is forgotten: the service never deletes a row,
   * and one deleted by hand is announced as enabled.
   */
  reload(entries: readonly StatusEntry[], asOf: number): void {
    for (const entry of entries) this.apply(entry);
    this.confirm(asOf);
  }

  /** The memory was current at `at` (the time a heartbeat or the full reload was sent). */
  confirm(at: number): void {
    if (this.confirmedAt === null || at > this.confirmedAt) this.confirmedAt = at;
  }

  /** Whether requests may be answered at all: loaded, and proven current within the bound. */
  get current(): boolean {
    if (this.confirmedAt === null) return false;
    return this.maxStaleMs === null || this.now() - this.confirmedAt <= this.maxStaleMs;
  }

  /** The person (`jti` omitted), or that one token of theirs, is disabled. */
  isDisabled(sub: string, jti = ''): boolean {
    return this.entries.get(keyOf(sub, jti))?.disabled === true;
  }

  /** Why this principal may not be served now, or null: 401 PRINCIPAL_DISABLED, or 503 while the memory may be stale. */
  refusal(principal: Principal): AppError | null {
    if (!this.current) return new AppError('UNAVAILABLE', 'Account status cannot be confirmed right now; try again shortly.', { retryAfter: 1 });
    if (this.isDisabled(principal.sub)) return new AppError('PRINCIPAL_DISABLED', 'This account has been disabled.');
    if (principal.tokenId && this.isDisabled(principal.sub, principal.tokenId)) return new AppError('PRINCIPAL_DISABLED', 'This token has been disabled.');
    return null;
  }
}

// NUL cannot occur in a verified sub or jti (tokens carrying one are refused), so the pair is unambiguous.
const keyOf = (sub: string, jti: string) => (jti ? `${sub}\u0000${jti}` : sub);
