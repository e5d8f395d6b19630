/** An event as it leaves the outbox. */
export interface OutboxEvent {
  eventId: string;
  topic: string;
  /** The event as JSON text, as the outbox holds it (read as text: never parsed on the way through). */
  payload: string;
}

/** Where the relay delivers events: at least once; the receiver deduplicates by eventId. */
export interface EventSink {
  readonly name: string;
  /** Resolves when every event is durably accepted; rejects if any was not (all are retried). */
  publish(events: OutboxEvent[]): Promise<void>;
  /** Throws unless the sink can accept events now (for /ready). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
