import path from 'node:path';
import { Cron } from 'croner';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { databaseId, openDatabase } from './platform/db/db.js';
import { runMigrations } from './platform/db/migrate.js';
import { purgeExpiredKeys } from './platform/idempotency/idempotency.js';
import { deploymentKeyPrefix, openRedis } from './platform/redis/redis.js';
import { seedDemo } from './seed.js';

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
async function main(): Promise<void> {
  const config = readConfig();
  const database = await openDatabase({
    url: config.databaseUrl,
    pgliteDir: path.join(config.dataDir, 'pglite'),
    poolSize: config.dbPoolSize,
  });
  await runMigrations(database, config.databaseUrl);
  // Keys carry the database's identity: Redis state left by another database never applies here.
  const redis = config.redisUrl
    ? openRedis(config.redisUrl, { keyPrefix: deploymentKeyPrefix(config.redisPrefix, await databaseId(database.db)) })
    : undefined;
  const app = await buildApp({
    config,
    database,
    redis,
    logger: { level: config.logLevel, redact: ['req.headers.authorization'] },
  });
  if (config.seedDemo && (await seedDemo(database.db))) app.log.info('seeded demo data into the empty database');
  // popular: the first start computes a ranking (after the seed, so that the demo's orders count).
  const firstRanking = await app.popular.ensureRanking().catch((err: unknown) => app.log.error({ err }, 'popular ranking at start-up failed'));
  if (firstRanking) app.log.info({ runDate: firstRanking.runDate, products: firstRanking.ranking.length }, 'computed the first popular ranking');

  const jobs = [
    new Cron('17 * * * *', { protect: true }, async () => {
      const n = await purgeExpiredKeys(database.db).catch((err: unknown) => app.log.error({ err }, 'idempotency purge failed'));
      if (n) app.log.info({ purged: n }, 'purged expired idempotency keys');
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
    app.log.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    const force = setTimeout(() => {
      app.log.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    for (const job of jobs) job.stop();
    let code = 0;
    try {
      await app.close();
      await redis?.close();
      await database.close();
    } catch (err) {
      app.log.error({ err }, 'error while shutting down');
      code = 1;
    }
    process.exit(code);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  app.log.info({ database: database.kind, redis: Boolean(redis) }, 'ready');
}

main().catch((err: unknown) => {
  console.error('failed to start:', err);
  process.exit(1);
});
