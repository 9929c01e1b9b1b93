import { createAbilityCache, type AppAbility } from './ability.js';
import { compilePolicy, compilePolicyText, loadPolicyFile, type Policy } from './load-policy.js';
import type { Principal } from '../auth/principal.js';

export interface ActivePolicy {
  policy: Policy;
  loadedAt: Date;
}

/**
 * Holds the running policy. A reload compiles the file completely before swapping one
 * reference, so a request sees either the old policy or the new one, never half of
 * each; an invalid file throws PolicyError and the old policy keeps running.
 */
export class PolicyStore {
  private active: ActivePolicy;
  private readonly abilities = createAbilityCache();

  constructor(
    private readonly file: string | null,
    private readonly hashKey: string | undefined,
    initial: Policy,
  ) {
    this.active = { policy: initial, loadedAt: new Date() };
  }

  get current(): ActivePolicy {
    return this.active;
  }

  /** The ability for this caller under `policy` (cached per policy version and principal). */
  abilityFor(policy: Policy, principal: Principal): AppAbility {
    return this.abilities(policy, principal);
  }

  /** Compiles a policy that is not (yet) the running one, with the service's hash key; throws PolicyError. */
  compileCandidate(text: string, name = 'candidate'): Policy {
    return compilePolicyText(text, this.hashKey, name);
  }

  /** Compiles a policy document built in memory (an edit suggested to a reviewer); throws PolicyError. */
  compileDocument(document: unknown, version: string, name = 'candidate'): Policy {
    return compilePolicy(document, version, this.hashKey, name);
  }

  /** Re-reads the file; returns the previous and the new version. */
  reload(): { previous: string; current: string } {
    if (!this.file) throw new Error('This policy was not loaded from a file and cannot be reloaded');
    const next = loadPolicyFile(this.file, this.hashKey);
    const previous = this.active.policy.version;
    this.active = { policy: next, loadedAt: new Date() };
    return { previous, current: next.version };
  }
}
