/** A start-up refusal whose message is the one line the operator needs; the server exits 1. */
export class StartupError extends Error {
  override name = 'StartupError';
}
