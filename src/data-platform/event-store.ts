import fs from 'node:fs';
import path from 'node:path';

export interface StoredEvent {
  eventId: string;
  [field: string]: unknown;
}

/**
 * What the fake data platform keeps: each event once (by eventId), appended to a JSON-lines file
 * and loaded back on start, so a restart neither forgets nor double-counts.
 */
export class EventStore {
  private readonly events = new Map<string, StoredEvent>();
  private last: StoredEvent | undefined;
  duplicates = 0;

  constructor(private readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (fs.existsSync(file)) {
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const e = JSON.parse(line) as StoredEvent;
        this.events.set(e.eventId, e);
        this.last = e;
      }
    }
  }

  /** Keeps the event unless one with its id is held already; true when it was new. */
  add(event: StoredEvent): boolean {
    if (typeof event.eventId !== 'string' || this.events.has(event.eventId)) {
      this.duplicates++;
      return false;
    }
    fs.appendFileSync(this.file, `${JSON.stringify(event)}\n`);
    this.events.set(event.eventId, event);
    this.last = event;
    return true;
  }

  stats() {
    return { events: this.events.size, duplicates: this.duplicates, last: this.last ?? null };
  }

  all(): StoredEvent[] {
    return [...this.events.values()];
  }
}
