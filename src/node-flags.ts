/**
 * The V8 flags the service runs with: `npm start`, every worker of `WORKERS=N`, docker-compose and
 * the benchmarks all start it with these. V8 reads them only from the command line (set from
 * inside the process, they come too late), so a process started without them says so in its log.
 *
 * `--no-memory-reducer`: V8's memory reducer forces a heap-shrinking collection about 100 s after
 * a process's last full collection, busy or not. Measured on the product read under wrk (alternated
 * 3 s rounds, two processes of one build): after that collection the process ran a full
 * collection every ~1.4 s for as long as it served, and spent 33–45 µs of CPU a request instead of
 * 21–26 µs; with the flag, no such collection and no change over the whole run. A server's heap
 * is not returned to the machine between bursts anyway: the flag costs nothing we use.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--no-memory-reducer'];

/** `execArgv` with every service flag it lacks added (for the workers of `WORKERS=N`). */
export function withServiceFlags(execArgv: readonly string[]): string[] {
  return [...execArgv, ...SERVICE_NODE_FLAGS.filter((flag) => !execArgv.includes(flag))];
}

/** The service flags this process was started without. */
export function missingServiceFlags(execArgv: readonly string[] = process.execArgv): string[] {
  return SERVICE_NODE_FLAGS.filter((flag) => !execArgv.includes(flag));
}
