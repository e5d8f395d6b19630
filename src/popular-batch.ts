/**
 * `npm run batch:popular -- --date=YYYY-MM-DD`: runs the popular-products batch once for that run
 * date (default today in TIMEZONE), with the service's settings, and announces the run to the
 * running instances. On the embedded database, stop the service first (PGlite is one process's)
 * or use `POST /api/v1/admin/batch/popular-products`.
 */
import path from 'node:path';
import { ConfigError, loadConfig } from './config.js';
import { NO_EVENTS } from './platform/events/relay.js';
import type { AppContext } from './platform/context.js';
import { databaseId, openDatabase } from './platform/db/db.js';
import { runMigrations } from './platform/db/migrate.js';
import { Metrics } from './platform/http/metrics.js';
import { deploymentKeyPrefix, openRedis, redisTarget } from './platform/redis/redis.js';
import { PopularProducts } from './modules/popular/index.js';

const USAGE = 'usage: npm run batch:popular -- [--date=YYYY-MM-DD]';

/** The run date asked for, undefined for today; throws on anything but one valid --date. */
function parseArgs(args: string[]): string | undefined {
  let date: string | undefined;
  for (const arg of args) {
    const m = /^--date=([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(arg);
    if (!m || date !== undefined) throw new Error(`unexpected argument "${arg}"`);
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const check = new Date(Date.UTC(y, mo - 1, d));
    if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) throw new Error(`no such date "${arg}"`);
    date = arg.slice('--date='.length);
  }
  return date;
}

const minusDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);

async function main(): Promise<number> {
  let date: string | undefined;
  try {
    date = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const config = loadConfig();
  const database = await openDatabase({ url: config.databaseUrl, pgliteDir: path.join(config.dataDir, 'pglite'), poolSize: 2, applicationName: 'popular-batch' });
  let redis: ReturnType<typeof openRedis> | undefined;
  try {
    await runMigrations(database, config.databaseUrl);
    const target = redisTarget(config);
    redis = target ? openRedis(target, { keyPrefix: deploymentKeyPrefix(config.redisPrefix, await databaseId(database.db)) }) : undefined;
    const ctx: AppContext = { config, database, db: database.db, metrics: new Metrics(), redis, events: NO_EVENTS, eventSink: undefined };
    const log = { warn: (obj: object, msg: string) => console.error(msg, obj) };
    const popular = new PopularProducts(ctx, log, { refreshMs: config.popularRefreshSeconds * 1000 });
    const runDate = date ?? popular.today();
    console.log(`popular batch: run date ${runDate}, ranking units paid in [${minusDays(runDate, 3)} 00:00, ${runDate} 00:00) ${config.timezone} …`);
    const started = performance.now();
    const view = await popular.runNow(runDate);
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    for (const p of view.ranking) console.log(`  ${p.rank}. #${p.productId} ${p.name} (${p.price} won): ${p.salesCount} sold`);
    console.log(`done in ${seconds} s: run ${view.runId}, ${view.ranking.length} products${redis ? ', announced to the instances' : ''}`);
    return 0;
  } finally {
    await redis?.close();
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  },
);
