import fs from 'node:fs/promises';
import path from 'node:path';
import type { EventSink, OutboxEvent } from './sink.js';

/**
 * The embedded default's data platform: one JSON object a line in `<dir>/<topic>.jsonl`
 * (`orders.paid.jsonl` for `order.paid`). Appended and flushed before the relay marks them sent.
 */
export class FileSink implements EventSink {
  readonly name = 'file';

  constructor(private readonly dir: string) {}

  async publish(events: OutboxEvent[]): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    const byFile = new Map<string, string[]>();
    for (const e of events) {
      const file = path.join(this.dir, `${fileNameOf(e.topic)}.jsonl`);
      byFile.set(file, [...(byFile.get(file) ?? []), e.payload]);
    }
    for (const [file, lines] of byFile) {
      const handle = await fs.open(file, 'a');
      try {
        await handle.appendFile(`${lines.join('\n')}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  }

  async ping(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
  }

  async close(): Promise<void> {}
}

/** `order.paid` → `orders.paid`: the subject and file name of a topic. */
export function fileNameOf(topic: string): string {
  return topic === 'order.paid' ? 'orders.paid' : topic;
}
