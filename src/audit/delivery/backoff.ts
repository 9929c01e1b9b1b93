/**
 * Pause before retry number `attempt` (1 for the first): exponential from `minMs`, capped
 * at `maxMs`, with jitter between half and all of it, so instances and sinks recovering
 * together do not retry in step.
 */
export function backoffMs(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
