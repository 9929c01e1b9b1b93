/** One event ready to leave: its chain position, identity and rendered JSON text. */
export interface OutgoingEvent {
  seq: string;
  eventId: string;
  action: string;
  occurredAt: string;
  /** The event exactly as the feed renders it in the configured format, as JSON text. */
  json: string;
}

/** A SIEM destination. `send` resolves only once the sink acknowledged every event given. */
export interface AuditSink {
  /** The name its position is kept under in `audit_delivery` (`nats`, `http`). */
  readonly name: string;
  /**
   * Sends the events in order. Throws a SinkError when something was not acknowledged;
   * its `acknowledged` counts the leading events that were (so the position may move
   * up to them), the rest are sent again.
   */
  send(events: readonly OutgoingEvent[], signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/**
 * A send that did not complete. The message names a status or a cause, never a token
 * or an event's content: it is logged and kept in `audit_delivery.last_error`.
 */
export class SinkError extends Error {
  override name = 'SinkError';
  constructor(
    message: string,
    readonly acknowledged = 0,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
