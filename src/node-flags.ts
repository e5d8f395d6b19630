/**
 * The V8 flags the service runs with: `npm start`, every worker of `WORKERS=N`, docker-compose and
 * the benchmarks all start it with these. V8 reads them only from the command line (set from
 * inside the process, they come too late), so a process started without them says so in its log.
 *
 * `--no-memory-reducer`: V8's memory reducer runs one heap-shrinking full collection on its own
 * schedule, busy or not (105 s after start in each of the nine processes traced past that point). Measured
 * on the product read under wrk (two processes of one build, alternated 3 s rounds, `--trace-gc`):
 * from that collection on, a process ran a full collection every ~1.4 s for the rest of the run
 * (60+ s) and spent 32–42 µs of CPU a request instead of 21–27 µs; with the flag, no such
 * collection and no change over the run. The previous build did the same. A server's heap is not
 * handed back to the machine between bursts anyway: the flag costs nothing we use.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--no-memory-reducer'];

/** The service flags missing from `execArgv` (by default, this process's). */
export function missingServiceFlags(execArgv: readonly string[] = process.execArgv): string[] {
  return SERVICE_NODE_FLAGS.filter((flag) => !execArgv.includes(flag));
}

/** `execArgv` with every service flag it lacks added (for the workers of `WORKERS=N`). */
export function withServiceFlags(execArgv: readonly string[]): string[] {
  return [...execArgv, ...missingServiceFlags(execArgv)];
}
