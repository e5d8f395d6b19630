/**
 * Polls `read` until `ok` accepts what it answers, and answers that; a read that throws counts as
 * not yet. Gives up after `timeoutMs` with what it last saw. For waits on processes and services
 * outside the test (a worker to listen, an outbox to drain, a server to come back).
 */
export async function until<T>(
  what: string,
  read: () => T | Promise<T>,
  ok: (value: T) => boolean = (value) => value === true,
  { timeoutMs = 30_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: string;
    try {
      const value = await read();
      if (ok(value)) return value;
      last = JSON.stringify(value) ?? String(value);
    } catch (error) {
      last = `an error: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms; last saw ${last}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
