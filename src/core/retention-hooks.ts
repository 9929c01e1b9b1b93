import type { Eraser, HeldCheck } from './retention.service.js';

/**
 * What retention borrows from the erasure duty: which records a legal hold keeps, and
 * how a record is erased (`then: erase`). Wired here, in one place, for the CLI and the
 * service's schedule alike.
 */
export function retentionHooks(): { held?: HeldCheck; eraser?: Eraser } {
  return {};
}
