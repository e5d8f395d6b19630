import cluster, { type Worker } from 'node:cluster';
import type { Config } from './config.js';
import { withServiceFlags } from './node-flags.js';
import { redactSecrets } from './shared/redact.js';

/** A worker that dies sooner than this after its start counts as crashing at start-up. */
const HEALTHY_AFTER_MS = 10_000;
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;

/** Restart delay of a slot: none after a worker that ran well, doubling while it keeps dying young. */
export function restartDelayMs(quickCrashesInARow: number): number {
  if (quickCrashesInARow <= 0) return 0;
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (quickCrashesInARow - 1));
}

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
type Level = keyof typeof LEVELS;

/** The primary's log lines, in the workers' (pino's) JSON shape. */
function logger(level: string) {
  const threshold = level === 'silent' ? Infinity : (LEVELS[level as Level] ?? (level === 'trace' ? 10 : 30));
  return (lvl: Level, msg: string, fields: Record<string, unknown> = {}) => {
    if (LEVELS[lvl] < threshold) return;
    const line = JSON.stringify({ level: LEVELS[lvl], time: Date.now(), pid: process.pid, role: 'primary', ...fields, msg: redactSecrets(msg) });
    (LEVELS[lvl] >= LEVELS.warn ? process.stderr : process.stdout).write(`${line}\n`);
  };
}

interface Slot {
  worker?: Worker;
  startedAt: number;
  quickCrashes: number;
  timer?: NodeJS.Timeout;
}

/**
 * The primary of `WORKERS=N`: forks N copies of this script that share one port (node:cluster),
 * replaces a worker that dies (with a back-off while one keeps dying at start-up), and on
 * SIGTERM/SIGINT lets every worker shut down gracefully, exiting 0 when all of them did.
 */
export function runPrimary(config: Config): void {
  const log = logger(config.logLevel);
  const slots: Slot[] = Array.from({ length: config.workers }, () => ({ startedAt: 0, quickCrashes: 0 }));
  let stopping = false;
  let failed = false;

  const fork = (index: number) => {
    const slot = slots[index]!;
    slot.timer = undefined;
    slot.startedAt = Date.now();
    slot.worker = cluster.fork();
    const pid = slot.worker.process.pid;
    slot.worker.once('listening', () => log('info', 'worker listening', { slot: index + 1, workerPid: pid }));
    slot.worker.once('exit', (code, signal) => {
      slot.worker = undefined;
      if (stopping) {
        if (code !== 0) failed = true;
        log(code === 0 ? 'info' : 'warn', 'worker stopped', { slot: index + 1, workerPid: pid, code, signal });
        if (slots.every((s) => !s.worker)) finish();
        return;
      }
      slot.quickCrashes = Date.now() - slot.startedAt < HEALTHY_AFTER_MS ? slot.quickCrashes + 1 : 0;
      const delay = restartDelayMs(slot.quickCrashes);
      log('error', `worker died; replacing it in ${delay} ms`, { slot: index + 1, workerPid: pid, code, signal, quickCrashes: slot.quickCrashes });
      slot.timer = setTimeout(() => fork(index), delay);
    });
  };

  const finish = () => {
    log(failed ? 'warn' : 'info', failed ? 'all workers stopped, some not cleanly' : 'all workers stopped');
    process.exit(failed ? 1 : 0);
  };

  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log('info', 'shutting down: asking every worker to finish', { signal });
    for (const slot of slots) clearTimeout(slot.timer);
    // Workers get the signal themselves and run their own graceful shutdown (SHUTDOWN_GRACE_MS).
    for (const slot of slots) slot.worker?.process.kill('SIGTERM');
    if (slots.every((s) => !s.worker)) finish();
    const force = setTimeout(() => {
      log('error', 'workers did not stop in time; killing them');
      for (const slot of slots) slot.worker?.process.kill('SIGKILL');
      process.exit(1);
    }, config.shutdownGraceMs + 25_000);
    force.unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  // Workers run with the service's V8 flags even when this primary was started without them.
  cluster.setupPrimary({ execArgv: withServiceFlags(process.execArgv) });
  log('info', `starting ${config.workers} workers on port ${config.port}`, { workers: config.workers });
  for (let i = 0; i < slots.length; i++) fork(i);
}
