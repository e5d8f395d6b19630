import cluster from 'node:cluster';
import path from 'node:path';
import { Cron } from 'croner';
import { buildApp } from './app.js';
import { runPrimary } from './cluster.js';
import { missingServiceFlags, SERVICE_NODE_FLAGS } from './node-flags.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { databaseId, openDatabase } from './platform/db/db.js';
import { runMigrations } from './platform/db/migrate.js';
import { purgeSent } from './platform/events/outbox.repo.js';
import { purgeExpiredKeys } from './platform/idempotency/idempotency.js';
import { loggerOptions } from './platform/logging.js';
import { deploymentKeyPrefix, openRedis, redisTarget } from './platform/redis/redis.js';
import { redactSecrets } from './shared/redact.js';
import { seedDemo } from './seed.js';
import { FileSink } from './platform/events/file-sink.js';
import { JetStreamSink } from './platform/events/jetstream-sink.js';
import { OutboxRelay } from './platform/events/relay.js';
import { OrderExpirySweeper, sweepIntervalMs } from './modules/orders/index.js';

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

/** Owns the process: config, connections, migrations, listen, schedules and a graceful stop. */
async function main(config: Config): Promise<void> {
  const database = await openDatabase({
    url: config.databaseUrl,
    pgliteDir: path.join(config.dataDir, 'pglite'),
    poolSize: config.dbPoolSize,
  });
  await runMigrations(database, config.databaseUrl);
  // Keys carry the database's identity: Redis state left by another database never applies here.
  const target = redisTarget(config);
  const redis = target ? openRedis(target, { keyPrefix: deploymentKeyPrefix(config.redisPrefix, await databaseId(database.db)) }) : undefined;
  const sink = config.natsUrl
    ? new JetStreamSink({ url: config.natsUrl, stream: config.natsStream, subject: config.natsSubject, replicas: config.natsStreamReplicas })
    : new FileSink(path.join(config.dataDir, 'data-platform'));
  const relay = new OutboxRelay(database.db, sink);
  const app = await buildApp({
    config,
    database,
    redis,
    events: relay,
    eventSink: sink,
    logger: loggerOptions(config.logLevel),
  });
  if (config.seedDemo && (await seedDemo(database.db))) app.log.info('seeded demo data into the empty database');
  // popular: the first start computes a ranking (after the seed, so that the demo's orders count).
  const firstRanking = await app.popular.ensureRanking().catch((err: unknown) => app.log.error({ err }, 'popular ranking at start-up failed'));
  if (firstRanking) app.log.info({ runDate: firstRanking.runDate, products: firstRanking.ranking.length }, 'computed the first popular ranking');

  const sweeper = new OrderExpirySweeper(database.db, sweepIntervalMs(config.orderHoldMinutes));
  relay.start(app.log);
  sweeper.start(app.log);
  const jobs = [
    new Cron('17 * * * *', { protect: true }, async () => {
      const n = await purgeExpiredKeys(database.db).catch((err: unknown) => app.log.error({ err }, 'idempotency purge failed'));
      if (n) app.log.info({ purged: n }, 'purged expired idempotency keys');
    }),
    // Sent events are the data platform's now; the outbox keeps them OUTBOX_RETENTION_HOURS, for
    // an operator to look back, and must not grow with every order ever paid.
    new Cron('23 * * * *', { protect: true }, async () => {
      const n = await purgeSent(database.db, config.outboxRetentionHours).catch((err: unknown) => app.log.error({ err }, 'outbox purge failed'));
      if (n) app.log.info({ purged: n }, 'purged sent outbox rows');
    }),
    // popular: scheduled in every instance; the batch itself lets one run a day through.
    new Cron(config.popularCron, { timezone: config.timezone, protect: true }, async () => {
      const started = performance.now();
      const run = await app.popular.runScheduled().catch((err: unknown) => app.log.error({ err }, 'popular batch failed'));
      if (run) app.log.info({ runDate: run.runDate, products: run.ranking.length, ms: Math.round(performance.now() - started) }, 'ranked popular products');
    }),
  ];

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    const graceMs = config.shutdownGraceMs;
    app.log.info({ signal, graceMs }, 'shutting down: no new connections, finishing in-flight requests');
    // A connection still open after the grace period (a request that will not finish, a client
    // trickling its body) is closed, so that the server, then the pools, can close.
    // A keep-alive connection whose request finishes during the close would otherwise stay open
    // until the grace period: close connections as they turn idle.
    const reap = setInterval(() => app.server.closeIdleConnections(), 100);
    const grace = setTimeout(() => {
      app.log.warn('grace period over: closing the connections left');
      app.server.closeAllConnections();
    }, graceMs);
    // Last resort only: a query still running holds its pool's close at most statement_timeout (15 s).
    const force = setTimeout(() => {
      app.log.error('shutdown did not complete; exiting');
      process.exit(1);
    }, graceMs + 20_000);
    force.unref();
    for (const job of jobs) job.stop();
    let code = 0;
    try {
      await app.close();
      clearInterval(reap);
      clearTimeout(grace);
      await sweeper.stop();
      await relay.stop();
      await sink.close();
      await redis?.close();
      await database.close();
      app.log.info('shutdown complete: connections and pools closed');
    } catch (err) {
      app.log.error({ err }, 'error while shutting down');
      code = 1;
    }
    process.exit(code);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  app.log.info({ database: database.kind, redis: Boolean(redis), events: sink.name }, 'ready');
  const missing = missingServiceFlags();
  if (missing.length > 0) {
    app.log.warn(
      { missingFlags: missing },
      `started without ${missing.join(' ')}: expect 1.5-2x the CPU per request once V8's memory reducer has run; start with npm start, or node ${SERVICE_NODE_FLAGS.join(' ')} dist/src/server.js (src/node-flags.ts)`,
    );
  }
}

const config = readConfig();
// WORKERS=N: this process supervises N workers (this same script) that share the port.
if (config.workers > 1 && cluster.isPrimary) runPrimary(config);
else main(config).catch((err: unknown) => {
  // A driver's message may quote a connection string; its credentials stay out of the output.
  console.error('failed to start:', redactSecrets(err instanceof Error ? (err.stack ?? err.message) : String(err)));
  process.exit(1);
});
