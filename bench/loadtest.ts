/**
 * `npm run loadtest`: mixed traffic for a bounded time across several app instances (separate
 * processes, round-robin), optionally with a fault injected mid-run, then an audit of every
 * invariant of SPEC section 4 in the database and at the data platform. Prints a one-screen
 * report; exits 1 when an invariant fails (2 on a usage error).
 *
 *   npm run loadtest                                 # 60 s, 3 instances, no fault
 *   npm run loadtest -- --seconds=20 --instances=2
 *   npm run loadtest -- --fault=kill-instance        # or redis-restart, nats-stop, pg-restart
 *   npm run loadtest -- --nats-cluster               # a three-node JetStream cluster, stream R3, one node killed
 *
 * Traffic: browsing (product list and detail, popular top5, a user's orders); charges under
 * Idempotency-Key, some repeated on purpose; orders and payments (402 PAYMENT_FAILED orders then
 * topped up and paid through /payments, some payments sent twice at once); a coupon stampede (one
 * coupon of 100, 1,000 users); a flash sale (one product, more buyers than stock). Every write is
 * retried under its own Idempotency-Key while it gets no definitive answer (5xx or no answer).
 *
 * It uses a database of its own (created and dropped), its own Redis prefix, and its own NATS
 * server; PostgreSQL (TEST_DATABASE_URL) and Redis (TEST_REDIS_URL) are the shared ones unless a
 * fault needs them private: then it starts its own redis-server or PostgreSQL on a free port.
 */
import { createServerDb } from './server-db.js';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { connectNats, jetstreamManager } from '../src/platform/events/nats.js';
import { REDIS_URL, SERVER_URL } from '../test/helpers/databases.js';
import { startInstance, startProcess, type Instance } from '../test/helpers/instances.js';
import { PrivateNats, PrivateNatsCluster } from '../test/helpers/nats-server.js';
import { startPrivatePostgres, type PrivatePostgres } from '../test/helpers/private-postgres.js';
import { PrivateRedis } from '../test/helpers/private-redis.js';
import { deleteKeysUnder } from '../test/helpers/redis-keys.js';
import { ShopSql, type AuditLine } from '../test/helpers/shop.js';
import { until } from '../test/helpers/until.js';
import { answersAudit, dataPlatformAudit, formatReport, Recorder } from './loadtest-audit.js';

const FAULTS = ['redis-restart', 'nats-stop', 'kill-instance', 'pg-restart'] as const;
type Fault = (typeof FAULTS)[number];

interface Options {
  seconds: number;
  instances: number;
  fault: Fault | undefined;
  natsCluster: boolean;
  /** Concurrent clients of the steady traffic (browsing, charges, orders). */
  clients: number;
}

const USAGE = 'usage: npm run loadtest -- [--seconds=60] [--instances=3] [--clients=24] [--fault=redis-restart|nats-stop|kill-instance|pg-restart] [--nats-cluster]';

function parseArgs(argv: string[]): Options {
  const o: Options = { seconds: 60, instances: 3, fault: undefined, natsCluster: false, clients: 24 };
  for (const arg of argv) {
    const [k, v] = arg.split('=', 2) as [string, string | undefined];
    const int = (min: number, max: number) => {
      if (!v || !/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new Error(`${k} must be an integer from ${min} to ${max}`);
      return Number(v);
    };
    if (k === '--seconds') o.seconds = int(5, 3_600);
    else if (k === '--instances') o.instances = int(1, 8);
    else if (k === '--clients') o.clients = int(4, 500);
    else if (k === '--fault' && FAULTS.includes(v as Fault)) o.fault = v as Fault;
    else if (k === '--nats-cluster' && v === undefined) o.natsCluster = true;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (o.fault === 'nats-stop' && o.natsCluster) throw new Error('--fault=nats-stop stops a single NATS server: not with --nats-cluster');
  return o;
}

const ADMIN_TOKEN = 'loadtest-admin-token-0123456789';
const START_TIMEOUT_MS = 180_000;
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rand = (n: number) => Math.floor(Math.random() * n);
const log = (msg: string) => console.log(msg);

interface Answer {
  status: number;
  body: any;
}

/** Everything a run needs to reach, and to clean up afterwards. */
class Harness {
  readonly rec = new Recorder();
  instances: Instance[] = [];
  /** Instances killed and replaced (their logs still count). */
  gone: Instance[] = [];
  private next = 0;
  cleanups: Array<() => Promise<unknown>> = [];
  /** Set when the run ends (or fails): every client loop stops. */
  stopped = false;

  constructor(readonly opts: Options) {}

  /** The next instance, round-robin (a killed one stays in the rotation until it is replaced). */
  pick(): string {
    return this.instances[this.next++ % this.instances.length]!.baseUrl;
  }

  /** One request to the next instance, recorded under `route`. No answer is status 0. */
  async call(route: string, method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const start = performance.now();
    let status = 0;
    let code: string | undefined;
    let parsed: any;
    try {
      const res = await fetch(this.pick() + '/api/v1' + p, {
        method,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await res.text();
      status = res.status;
      parsed = text ? JSON.parse(text) : undefined;
      if (status >= 400) code = parsed?.code ?? 'no code';
      // The SPEC's protective answers carry Retry-After: one without it shows in the counts.
      if ((status === 503 || status === 429) && !res.headers.get('retry-after')) code += ' without Retry-After';
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      code = cause?.code ?? (err as Error).name;
    }
    this.rec.add({ route, status, code, ms: performance.now() - start, at: Date.now() });
    return { status, body: parsed };
  }

  /**
   * A write retried under one Idempotency-Key until it is answered definitively (not 5xx, not
   * IDEMPOTENCY_KEY_IN_USE, not unanswered); undefined when every try failed.
   */
  async write(route: string, method: string, p: string, body: unknown, key = randomUUID(), tries = 8): Promise<Answer | undefined> {
    for (let attempt = 0; attempt < tries && !this.stopped; attempt++) {
      const a = await this.call(route, method, p, body, { 'idempotency-key': key });
      const again = a.status === 0 || a.status >= 500 || a.body?.code === 'IDEMPOTENCY_KEY_IN_USE';
      if (!again) return a;
      await sleep(Math.min(2_000, 100 * 2 ** attempt));
    }
    return undefined;
  }
}

/** Counters the clients keep, checked against the database afterwards. */
const told = {
  charges: { answered: 0, amount: 0, unanswered: 0, replays: 0, replayMismatch: 0 },
  orders: { answered: 0, unanswered: 0 },
  paidIds: new Set<number>(),
  payments: { answered: 0, doubleSent: 0, unanswered: 0, notPaid: 0, short: 0 },
  stampede: { asked: 0, issued: 0, alreadyIssued: 0, soldOut: 0, unanswered: 0 },
  flash: { buyers: 0, bought: 0, failed: 0, outOfStock: 0, unanswered: 0 },
};

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const h = new Harness(opts);
  const runId = `${Date.now().toString(36)}${randomUUID().slice(0, 6)}`;
  // An await that can never end would let the process exit 0 without the audit: say so, and fail.
  process.once('beforeExit', () => {
    console.error('load test: stopped waiting on something that cannot end (a bug in the harness)');
    process.exit(2);
  });
  try {
    return await run(h, runId);
  } finally {
    h.stopped = true;
    for (const c of h.cleanups.reverse()) await c().catch((err: unknown) => console.error('cleanup:', (err as Error).message));
  }
}

async function run(h: Harness, runId: string): Promise<number> {
  const { opts } = h;
  const title = `load test${opts.fault ? `, fault ${opts.fault}` : ''}${opts.natsCluster ? ', NATS cluster (R3, one node killed)' : ''}`;
  log(`${title}: ${opts.seconds} s, ${opts.instances} instances, ${opts.clients} clients; starting private services...`);

  // PostgreSQL: the shared server, or a private one for the pg-restart fault; a database of our own on it.
  let privatePg: PrivatePostgres | undefined;
  let adminUrl = SERVER_URL;
  if (opts.fault === 'pg-restart') {
    privatePg = await startPrivatePostgres();
    h.cleanups.push(() => privatePg!.destroy());
    adminUrl = privatePg.url;
  }
  const database = await createServerDb(adminUrl, `loadtest_${runId}`);
  h.cleanups.push(() => database.drop());
  const databaseUrl = database.url;

  // Redis: the shared one under a prefix of our own, or a private one for redis-restart.
  let privateRedis: PrivateRedis | undefined;
  let redisUrl = REDIS_URL;
  const prefix = `loadtest:${runId}:`;
  if (opts.fault === 'redis-restart') {
    privateRedis = await PrivateRedis.start();
    h.cleanups.push(() => privateRedis!.stop());
    redisUrl = privateRedis.url;
  } else {
    h.cleanups.push(async () => {
      const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await deleteKeysUnder(r, prefix).finally(() => r.disconnect());
    });
  }

  // NATS: always a private server (or cluster), so the stream and the data platform's consumer are ours alone.
  let nats: PrivateNats | undefined;
  let cluster: PrivateNatsCluster | undefined;
  if (opts.natsCluster) {
    cluster = await PrivateNatsCluster.start();
    h.cleanups.push(() => cluster!.stop());
    await waitForJetStream(cluster.url);
  } else {
    nats = await PrivateNats.start();
    h.cleanups.push(() => nats!.stop());
  }
  const natsUrl = cluster ? cluster.url : nats!.url;
  const replicas = cluster ? '3' : '1';

  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    NATS_URL: natsUrl,
    NATS_STREAM_REPLICAS: replicas,
    ADMIN_TOKEN,
    SEED_DEMO: 'false',
    DB_POOL_SIZE: '20',
  };
  // The first instance migrates the database; the others start after it. Each is stopped at the end,
  // even when another failed to start (a loaded machine may take minutes).
  h.cleanups.push(() => Promise.all(h.instances.map((i) => i.stop())));
  const launch = async () => {
    const instance = await startInstance(env, { timeoutMs: START_TIMEOUT_MS });
    h.instances.push(instance);
    return instance;
  };
  await launch();
  await Promise.all(Array.from({ length: opts.instances - 1 }, launch));
  const platformDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadtest-platform-'));
  const platform = await startProcess(
    ['--import', 'tsx', 'src/data-platform/main.ts'],
    { NATS_URL: natsUrl, NATS_STREAM_REPLICAS: replicas, DATA_DIR: platformDir },
    { timeoutMs: START_TIMEOUT_MS },
  );
  h.cleanups.push(async () => {
    await platform.stop();
    fs.rmSync(platformDir, { recursive: true, force: true });
  });

  // The shop: users (most with money, some without, whose first orders fail 402), products, a flash-sale product, a coupon.
  const sql = new ShopSql(databaseUrl);
  h.cleanups.push(() => sql.end());
  const rich = await sql.users(2_500, 30_000);
  const poor = await sql.users(500, 0);
  const users = [...rich, ...poor];
  await sql.pool.query(
    `WITH p AS (INSERT INTO products (name, price, stock) SELECT 'product ' || g, 1000 * (1 + g % 9), 500 FROM generate_series(1, 200) g RETURNING id, stock)
     INSERT INTO stock_movements (product_id, kind, delta) SELECT id, 'INITIAL', stock FROM p`,
  );
  const products = (await sql.rows<{ id: string }>('SELECT id FROM products ORDER BY id')).map((r) => Number(r.id));
  const flashStock = 30;
  const flash = await adminPost(h, '/admin/products', { name: 'flash sale', price: 5_000, stock: flashStock });
  const coupon = await adminPost(h, '/admin/coupons', {
    name: 'Stampede', code: `LOAD${runId}`.slice(0, 30).toUpperCase(), discountType: 'FIXED', discountValue: 1_000, totalQuantity: 100,
    issueStartAt: new Date(Date.now() - 60_000).toISOString(), issueEndAt: new Date(Date.now() + 86_400_000).toISOString(), validityDays: 7,
  });
  const holders = new Set<number>();
  log(`ready: ${h.instances.length} instances (${h.instances.map((i) => i.baseUrl.split(':')[2]).join(', ')}), ${users.length} users, ${products.length + 1} products; traffic for ${opts.seconds} s`);

  const seededHistory = await sql.value('SELECT coalesce(max(id), 0) AS v FROM balance_history');
  const started = Date.now();
  h.rec.started = started;
  const deadline = started + opts.seconds * 1_000;
  const elapsed = () => (Date.now() - started) / 1_000;

  // Progress: a line every 5 s.
  let lastTotal = 0;
  const progress = setInterval(() => {
    const errors = [...h.rec.codes.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${k} x${v}`).join(', ');
    log(`  t=${elapsed().toFixed(0).padStart(3)} s  ${h.rec.total} requests (${((h.rec.total - lastTotal) / 5).toFixed(0)}/s), paid ${told.paidIds.size}${errors ? `; ${errors}` : ''}`);
    lastTotal = h.rec.total;
  }, 5_000);

  // --- the steady traffic ---
  const browse = async () => {
    const k = rand(10);
    if (k < 4) await h.call('GET /products/:id', 'GET', `/products/${products[rand(products.length)]}`);
    else if (k < 6) await h.call('GET /products', 'GET', `/products?limit=20${Math.random() < 0.5 ? `&cursor=${products[rand(products.length)]}` : ''}`);
    else if (k < 8) await h.call('GET /products/popular/top5', 'GET', '/products/popular/top5');
    else await h.call('GET /users/:id/orders', 'GET', `/users/${users[rand(users.length)]}/orders?limit=10`);
  };
  const charge = async (userId: number, amount: number) => {
    const key = randomUUID();
    const a = await h.write('PUT /users/:id/balance', 'PUT', `/users/${userId}/balance`, { amount }, key);
    if (!a) told.charges.unanswered++;
    else if (a.status === 200) {
      told.charges.answered++;
      told.charges.amount += amount;
      // A client that lost the answer asks again with the same key: the first answer, no second charge.
      if (Math.random() < 0.3) {
        const again = await h.write('PUT /users/:id/balance', 'PUT', `/users/${userId}/balance`, { amount }, key);
        told.charges.replays++;
        if (again && (again.status !== 200 || again.body.balance !== a.body.balance)) told.charges.replayMismatch++;
      }
    }
    return a;
  };
  const pay = async (orderId: number) => {
    // Sometimes two payments of one order at once (a double click): both answer PAID, the money is taken once.
    const twice = Math.random() < 0.3;
    if (twice) told.payments.doubleSent++;
    const answers = await Promise.all(Array.from({ length: twice ? 2 : 1 }, () => h.write('POST /payments', 'POST', '/payments', { orderId })));
    for (const a of answers) {
      if (!a) told.payments.unanswered++;
      else if (a.status === 200 && a.body.status === 'PAID') {
        told.payments.answered++;
        told.paidIds.add(orderId);
      } else if (a.status === 402 && a.body.code === 'INSUFFICIENT_BALANCE') {
        // An honest answer: the top-up was capped, or another order of the same user spent it first
        // (the balance check proves no money went astray).
        told.payments.short++;
      } else told.payments.notPaid++;
    }
  };
  const order = async () => {
    const userId = users[rand(users.length)]!;
    const lines = new Map<number, number>();
    const n = 1 + rand(3);
    while (lines.size < n) lines.set(products[rand(products.length)]!, 1 + rand(2));
    const body: Record<string, unknown> = { userId, products: [...lines].map(([productId, quantity]) => ({ productId, quantity })) };
    const useCoupon = holders.has(userId) && Math.random() < 0.5;
    if (useCoupon) body['couponId'] = coupon.id;
    const a = await h.write('POST /orders', 'POST', '/orders', body);
    if (!a) return void told.orders.unanswered++;
    if (a.status === 201) {
      told.orders.answered++;
      told.paidIds.add(a.body.orderId);
      if (useCoupon) holders.delete(userId);
    } else if (a.status === 402) {
      told.orders.answered++;
      if (useCoupon) holders.delete(userId);
      // PAYMENT_FAILED: top the balance up, then pay the order through /payments.
      const { orderId, paymentAmount } = a.body.details;
      await charge(userId, Math.min(1_000_000, paymentAmount));
      await pay(orderId);
    }
  };
  const steady = async (i: number) => {
    while (Date.now() < deadline && !h.stopped) {
      const kind = i % 6;
      if (kind < 3) await browse();
      else if (kind === 3) await charge(users[rand(users.length)]!, 1_000 * (1 + rand(20)));
      else await order();
    }
  };

  // --- the bursts: a coupon stampede at 25 % of the run (a fault comes at 30 %), a flash sale at 45 % ---
  const stampede = async () => {
    await sleep(opts.seconds * 250);
    log(`  t=${elapsed().toFixed(0).padStart(3)} s  coupon stampede: 1,000 users for 100 coupons`);
    const askers = users.slice(0, 1_000);
    await pool(h, askers.length, 50, async (i) => {
      told.stampede.asked++;
      const a = await h.write('POST /coupons/issue', 'POST', '/coupons/issue', { couponId: coupon.id, userId: askers[i] });
      if (!a) told.stampede.unanswered++;
      else if (a.status === 201) {
        told.stampede.issued++;
        holders.add(askers[i]!);
      } else if (a.body?.code === 'COUPON_ALREADY_ISSUED') told.stampede.alreadyIssued++;
      else if (a.body?.code === 'COUPON_SOLD_OUT') told.stampede.soldOut++;
    });
  };
  const flashSale = async () => {
    await sleep(opts.seconds * 450);
    const buyers = rich.slice(1_000, 1_300);
    log(`  t=${elapsed().toFixed(0).padStart(3)} s  flash sale: ${buyers.length} buyers for ${flashStock} units`);
    await pool(h, buyers.length, 60, async (i) => {
      told.flash.buyers++;
      const a = await h.write('POST /orders (flash sale)', 'POST', '/orders', { userId: buyers[i], products: [{ productId: flash.id, quantity: 1 }] });
      if (!a) told.flash.unanswered++;
      else if (a.status === 201) {
        told.flash.bought++;
        told.paidIds.add(a.body.orderId);
      } else if (a.status === 402) told.flash.failed++;
      else if (a.body?.code === 'OUT_OF_STOCK') told.flash.outOfStock++;
    });
  };

  const fault = injectFault(h, opts, { nats, cluster, privateRedis, privatePg, env });
  await Promise.all([...Array.from({ length: opts.clients }, (_, i) => steady(i)), stampede(), flashSale(), fault]);
  clearInterval(progress);
  const seconds = elapsed();
  log(`  traffic done after ${seconds.toFixed(0)} s; waiting for the outbox to drain and the data platform to catch up...`);

  // --- the audit ---
  const notes: string[] = [];
  const drainStart = Date.now();
  const paidInDb = async () => (await sql.rows<{ id: string }>(`SELECT id FROM orders WHERE status = 'PAID' ORDER BY id`)).map((r) => Number(r.id));
  let events: Array<{ orderId: number }> = [];
  let paidIds: number[] = [];
  for (;;) {
    paidIds = await paidInDb();
    const unsent = await sql.value('SELECT count(*) AS v FROM outbox WHERE sent_at IS NULL');
    events = (await (await fetch(platform.baseUrl + '/events')).json()) as Array<{ orderId: number }>;
    if ((unsent === 0 && events.length >= paidIds.length) || Date.now() - drainStart > 60_000) break;
    await sleep(500);
  }
  notes.push(`data platform caught up ${((Date.now() - drainStart) / 1_000).toFixed(1)} s after the traffic stopped`);
  const stream = await streamInfo(natsUrl);
  if (stream !== undefined) {
    notes.push(
      `JetStream stream ORDERS (replicas ${stream.replicas}${stream.leader ? `, leader ${stream.leader}` : ''}) holds ${stream.messages.toLocaleString('en-US')} messages ` +
        `(deduplicated by event id) for ${paidIds.length.toLocaleString('en-US')} PAID orders`,
    );
  }

  const audit: AuditLine[] = await sql.audit();
  audit.push(dataPlatformAudit(paidIds, events));
  // What the clients were told against the data.
  const chargesInDb = await sql.rows<{ n: string; amount: string }>(`SELECT count(*) AS n, coalesce(sum(amount), 0) AS amount FROM balance_history WHERE type = 'CHARGE' AND id > $1`, [seededHistory]);
  const chargeLine = answersAudit('charges (Idempotency-Key)', told.charges.answered, told.charges.unanswered, Number(chargesInDb[0]!.n),
    `, ${told.charges.replays} repeated with the same key, ${told.charges.replayMismatch} answered differently`);
  if (told.charges.replayMismatch > 0) chargeLine.ok = false;
  if (told.charges.unanswered === 0 && Number(chargesInDb[0]!.amount) !== told.charges.amount) {
    chargeLine.ok = false;
    chargeLine.text += `; amount charged ${chargesInDb[0]!.amount} <> answered ${told.charges.amount}`;
  }
  audit.push(chargeLine);
  const allOrders = await sql.value(`SELECT count(*) AS v FROM orders`);
  audit.push(answersAudit('orders (Idempotency-Key)', told.orders.answered + told.flash.bought + told.flash.failed, told.orders.unanswered + told.flash.unanswered, allOrders));
  const paidSet = new Set(paidIds);
  const toldPaidNotPaid = [...told.paidIds].filter((id) => !paidSet.has(id)).length;
  audit.push({
    invariant: 'payments',
    ok: toldPaidNotPaid === 0 && told.payments.notPaid === 0,
    text: `${told.paidIds.size.toLocaleString('en-US')} orders answered PAID, ${toldPaidNotPaid} of them not PAID in the database; ${told.payments.answered} /payments answered PAID (${told.payments.doubleSent} sent twice at once), ${told.payments.short} short of balance (402), ${told.payments.notPaid} refused otherwise, ${told.payments.unanswered} never answered`,
  });
  const issued = await sql.value('SELECT count(*) AS v FROM coupon_issues WHERE coupon_id = $1', [coupon.id]);
  const s = told.stampede;
  audit.push({
    invariant: 'coupon stampede',
    ok: issued === 100 && s.issued <= issued && s.issued + s.alreadyIssued + s.unanswered >= issued && s.issued + s.soldOut + s.alreadyIssued + s.unanswered === s.asked,
    text: `${s.asked} users for 100: ${issued} issued (${s.issued} answered 201, ${s.alreadyIssued} ALREADY_ISSUED on a retry), ${s.soldOut} SOLD_OUT, ${s.unanswered} never answered`,
  });
  const flashHeld = await sql.value(
    `SELECT coalesce(sum(i.quantity), 0) AS v FROM order_items i JOIN orders o ON o.id = i.order_id WHERE i.product_id = $1 AND o.status <> 'CANCELLED'`,
    [flash.id],
  );
  const flashLeft = await sql.value('SELECT stock AS v FROM products WHERE id = $1', [flash.id]);
  const f = told.flash;
  audit.push({
    invariant: 'flash sale',
    ok: flashHeld + flashLeft === flashStock && flashLeft === 0 && f.bought + f.failed === flashHeld,
    text: `${f.buyers} buyers for ${flashStock} units: ${f.bought} bought, ${f.failed} held unpaid (402), ${f.outOfStock} OUT_OF_STOCK, ${f.unanswered} never answered; ${flashHeld} sold or held, ${flashLeft} left, ${Math.max(0, flashHeld - flashStock)} oversold`,
  });

  // A 500 is a defect: show what the instances logged about it.
  const errorLines = [...h.instances, ...h.gone].flatMap((i) => i.output().split('\n').filter((l) => /"level":50/.test(l)));
  if (errorLines.length > 0) {
    notes.push(`instances logged ${errorLines.length} errors; the first: ${errorLines.slice(0, 2).map((l) => l.slice(0, 600)).join('\n  ')}`);
  }
  notes.push(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} (1 / 5 / 15 min) at the end; the load generator, instances, data platform and services share it`);
  log('');
  log(formatReport({ title, seconds, recorder: h.rec, audit, notes }));
  return audit.every((a) => a.ok) ? 0 : 1;
}

/** Runs fn(0..n-1) with at most `concurrency` at once. */
async function pool(h: Harness, n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, async () => {
    while (next < n && !h.stopped) await fn(next++);
  }));
}

async function adminPost(h: Harness, p: string, body: unknown): Promise<{ id: number }> {
  const res = await fetch(h.instances[0]!.baseUrl + '/api/v1' + p, { method: 'POST', headers: { 'content-type': 'application/json', ...ADMIN }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: number };
}

/** Waits until a new JetStream cluster has elected its meta leader (the stream cannot be made before). */
async function waitForJetStream(url: string): Promise<void> {
  const nc = await connectNats(url, 'loadtest');
  try {
    const elected = async () => Boolean(await (await jetstreamManager(nc)).getAccountInfo());
    await until("the JetStream cluster's meta leader", elected, undefined, { intervalMs: 250 });
  } finally {
    await nc.close();
  }
}

async function streamInfo(url: string): Promise<{ messages: number; replicas: number; leader: string | undefined } | undefined> {
  const nc = await connectNats(url, 'loadtest-audit');
  try {
    const info = await (await jetstreamManager(nc)).streams.info('ORDERS');
    return { messages: info.state.messages, replicas: info.config.num_replicas, leader: info.cluster?.leader };
  } catch {
    return undefined;
  } finally {
    await nc.close();
  }
}

/** Waits until every instance answers /ready 200; answers the seconds it took. */
async function allReady(h: Harness, from: number): Promise<number> {
  const states = () => Promise.all(h.instances.map((i) => fetch(i.baseUrl + '/ready').then((r) => r.status).catch(() => 0)));
  await until('every instance to answer /ready 200', states, (all) => all.every((s) => s === 200), { timeoutMs: 120_000, intervalMs: 200 });
  return (Date.now() - from) / 1_000;
}

async function injectFault(
  h: Harness,
  opts: Options,
  s: { nats?: PrivateNats; cluster?: PrivateNatsCluster; privateRedis?: PrivateRedis; privatePg?: PrivatePostgres; env: Record<string, string> },
): Promise<void> {
  if (!opts.fault && !s.cluster) return;
  await sleep(opts.seconds * 300);
  const t0 = Date.now();
  const say = (msg: string) => log(`  t=${((Date.now() - h.rec.started) / 1_000).toFixed(0).padStart(3)} s  ${msg}`);
  h.rec.faultWindow = { from: t0, to: undefined };
  if (s.cluster) {
    // The node that leads the stream, so that the cluster must elect another leader mid-traffic.
    const before = await streamInfo(s.cluster.url);
    const node = Number(/^n(\d)$/.exec(before?.leader ?? '')?.[1] ?? 1);
    say(`killing NATS node n${node} (SIGKILL), the stream's leader (stream replicas: ${before?.replicas ?? '?'})`);
    await s.cluster.kill(node);
    // The node stays down to the end: the other two keep the stream's quorum.
    h.rec.faultWindow.to = Date.now() + 10_000;
    return;
  }
  switch (opts.fault) {
    case 'redis-restart':
      say('Redis stopped (SIGKILL, every key lost)');
      await s.privateRedis!.down();
      await sleep(3_000);
      await s.privateRedis!.up();
      say('Redis started again, empty');
      break;
    case 'nats-stop':
      say('NATS stopped for 10 s');
      await s.nats!.down();
      await sleep(10_000);
      await s.nats!.up();
      say('NATS started again');
      break;
    case 'kill-instance': {
      const victim = h.instances[0]!;
      say(`instance ${victim.baseUrl} killed (SIGKILL); it stays in the rotation until its replacement is up`);
      victim.process.kill('SIGKILL');
      await victim.stop();
      const replacement = await startInstance(s.env, { timeoutMs: START_TIMEOUT_MS });
      h.instances[0] = replacement;
      h.gone.push(victim);
      say(`replacement instance up at ${replacement.baseUrl}`);
      break;
    }
    case 'pg-restart':
      say('PostgreSQL stopped (pg_ctl stop -m fast)');
      await s.privatePg!.stop('fast');
      await sleep(5_000);
      await s.privatePg!.start();
      say('PostgreSQL started again');
      break;
  }
  const recovered = await allReady(h, t0);
  h.rec.faultWindow.to = Date.now();
  say(`every instance ready again, ${recovered.toFixed(1)} s after the fault began (no instance restarted${opts.fault === 'kill-instance' ? ' but the killed one' : ''})`);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('load test failed to run:', err);
    process.exit(2);
  },
);
