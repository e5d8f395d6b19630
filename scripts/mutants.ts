/**
 * Hand-written mutants of the rules the service must keep: each breaks one rule on purpose, the way
 * a careless change would, and names the test files (run in the server project) that must notice.
 * Many rules live in SQL text and Lua scripts, which generic mutation tools leave alone.
 *
 * To add one: give it a stable id, say which rule it breaks, and list its edits. Each `find` must
 * occur exactly once in its file (the runner refuses a mutant whose text has moved, so a refactor
 * that outdates one is noticed). List the test files that should catch it, cheapest first: the run
 * stops at the first failing test.
 */
export interface Edit {
  file: string;
  find: string;
  replace: string;
}

export interface Mutant {
  /** Stable and unique, `area.what-breaks`; `npm run mutate -- <text>` runs the ids containing it. */
  id: string;
  /** The rule this mutant breaks, in words. */
  rule: string;
  edits: Edit[];
  /** Test files, run in the server project, that must fail. */
  tests: string[];
}

const T = {
  balance: 'src/modules/balance/balance.test.ts',
  balanceRace: 'test/balance-race.test.ts',
  inFlight: 'test/idempotency-in-flight.test.ts',
  catalog: 'src/modules/catalog/catalog.test.ts',
  lookups: 'src/platform/db/lookups.test.ts',
  lookupsServer: 'test/lookups.test.ts',
  admin: 'src/modules/admin/admin.test.ts',
  coupons: 'src/modules/coupons/coupons.test.ts',
  userCoupons: 'src/modules/coupons/user-coupons.test.ts',
  windowUnit: 'src/modules/coupons/issue-window.test.ts',
  windowClock: 'src/modules/coupons/issue-window-clock.test.ts',
  gate: 'src/modules/coupons/coupon-gate.test.ts',
  largeCoupons: 'src/modules/coupons/large-coupons.test.ts',
  stampede: 'test/coupon-stampede.test.ts',
  orders: 'src/modules/orders/orders.test.ts',
  payments: 'src/modules/orders/payments.test.ts',
  ordersRace: 'test/orders-race.test.ts',
  placeOrders: 'src/modules/orders/place-orders.test.ts',
  combiner: 'src/shared/combiner.test.ts',
  stock: 'src/modules/catalog/stock.test.ts',
  relay: 'src/platform/events/relay.test.ts',
  dataPlatform: 'test/data-platform.test.ts',
  loadShedding: 'src/platform/http/load-shedding.test.ts',
  requestId: 'src/platform/http/request-id.test.ts',
  batcher: 'src/shared/batcher.test.ts',
  process: 'test/process.test.ts',
  cluster: 'test/cluster.test.ts',
} as const;

const F = {
  balanceRepo: 'src/modules/balance/balance.repo.ts',
  balanceSchema: 'src/modules/balance/balance.schema.ts',
  idempotency: 'src/platform/idempotency/idempotency.ts',
  catalogService: 'src/modules/catalog/catalog.service.ts',
  catalogRepo: 'src/modules/catalog/catalog.repo.ts',
  adminAuth: 'src/platform/http/admin-auth.ts',
  migrate: 'src/platform/db/migrate.ts',
  couponsRepo: 'src/modules/coupons/coupons.repo.ts',
  couponsService: 'src/modules/coupons/coupons.service.ts',
  couponsCatalog: 'src/modules/coupons/coupons.catalog.ts',
  issueWindow: 'src/modules/coupons/issue-window.ts',
  memoryGate: 'src/modules/coupons/coupon-gate.ts',
  redisGate: 'src/modules/coupons/coupon-gate.redis.ts',
  couponsMigration: 'drizzle/0001_coupons.sql',
  placeOrder: 'src/modules/orders/place-order.repo.ts',
  placeOrdersSql: 'drizzle/0007_place_orders_set_based.sql',
  payOrder: 'src/modules/orders/pay-order.repo.ts',
  expireOrders: 'src/modules/orders/expire-orders.repo.ts',
  ordersService: 'src/modules/orders/orders.service.ts',
  combiner: 'src/shared/combiner.ts',
  outboxRepo: 'src/platform/events/outbox.repo.ts',
  relay: 'src/platform/events/relay.ts',
  prepared: 'src/platform/db/prepared.ts',
  lookups: 'src/platform/db/lookups.ts',
  loadShedding: 'src/platform/http/load-shedding.ts',
  earlyErrors: 'src/platform/http/early-errors.ts',
  batcher: 'src/shared/batcher.ts',
  cluster: 'src/cluster.ts',
  server: 'src/server.ts',
} as const;

const one = (file: string, find: string, replace: string): Edit[] => [{ file, find, replace }];

// The window and quantity conditions of the conditional increment, as written in issueMany.
const DB_WINDOW = 'AND now() >= issue_start_at AND now() < issue_end_at\n';
const QUANTITY = 'AND issued_quantity + (SELECT count(*) FROM fresh) <= total_quantity\n';

export const MUTANTS: Mutant[] = [
  // Reads by id: each caller its own row, one index probe per id, planned once.
  {
    id: 'lookups.answers-shifted',
    rule: 'each lookup answers the row of its own id, column by column',
    edits: one(F.prepared, 'row[keys[i]!] = decoders[i]!(values[i]!);', 'row[keys[i]!] = decoders[i]!(values[(i + 1) % keys.length]!);'),
    tests: [T.lookups],
  },
  {
    id: 'lookups.scan-the-table',
    rule: 'a lookup probes the primary key once per id, whatever the size of the table',
    edits: one(F.prepared, '= wanted.id LIMIT 1) t`', '= wanted.id) t`'),
    tests: [T.lookupsServer],
  },
  {
    id: 'lookups.custom-plans',
    rule: 'lookups are planned once per connection (generic plans)',
    edits: one(F.lookups, "['plan_cache_mode=force_generic_plan']", '[]'),
    tests: [T.lookupsServer],
  },
  {
    id: 'lookups.parse-every-time',
    rule: 'a lookup statement is parsed once per connection, then only bound and executed',
    edits: one(F.lookups, 'if (previous === undefined) {', 'if (previous === undefined || true) {'),
    tests: [T.lookups],
  },
  {
    id: 'lookups.nullable-column',
    rule: 'a lookup is refused, when made, a column that may be null (its text would be misread)',
    edits: one(F.prepared, 'if (!column.notNull) throw', 'if (false) throw'),
    tests: [T.lookups],
  },
  {
    id: 'batcher.one-throw-stops-the-batch',
    rule: 'a callback that throws does not keep the other callers of its batch from their answers',
    edits: one(F.batcher, 'try {\n          call(key, done);\n        } catch (error) {\n          this.onCallbackError(error);\n        }', 'call(key, done);'),
    tests: [T.batcher],
  },
  // The service's V8 flags (src/node-flags.ts): every worker runs with them; a process without them says so.
  {
    id: 'node-flags.workers-without',
    rule: 'the workers of WORKERS=N run with the service flags even when the primary was started without them',
    edits: one(F.cluster, 'cluster.setupPrimary({ execArgv: withServiceFlags(process.execArgv) });', 'void withServiceFlags;'),
    tests: [T.cluster],
  },
  {
    id: 'node-flags.silent',
    rule: 'a process started without the service flags says so in its log',
    edits: one(F.server, 'if (missing.length > 0) {', 'if (missing.length > 1) {'),
    tests: [T.process],
  },
  // Balance: the limit, the bounds of one charge, the ledger, no lost update.
  {
    id: 'balance.limit-equal-refused',
    rule: 'a balance equal to MAX_BALANCE is allowed',
    edits: one(F.balanceRepo, 'balance + ${amount} <= ${maxBalance}', 'balance + ${amount} < ${maxBalance}'),
    tests: [T.balance],
  },
  {
    id: 'balance.limit-dropped',
    rule: 'a charge never takes the balance past MAX_BALANCE',
    edits: one(F.balanceRepo, 'WHERE id = ${userId} AND balance + ${amount} <= ${maxBalance}', 'WHERE id = ${userId}'),
    tests: [T.balance, T.balanceRace],
  },
  {
    id: 'balance.charge-max',
    rule: 'one charge is at most 1,000,000',
    edits: one(F.balanceSchema, 'maximum: MAX_CHARGE', 'maximum: MAX_CHARGE + 1'),
    tests: [T.balance],
  },
  {
    id: 'balance.charge-min',
    rule: 'one charge is at least 1',
    edits: one(F.balanceSchema, 'minimum: 1, maximum: MAX_CHARGE', 'minimum: 0, maximum: MAX_CHARGE'),
    tests: [T.balance],
  },
  {
    id: 'balance.ledger-missing',
    rule: 'every charge writes its ledger row in the same statement',
    edits: one(F.balanceRepo, "SELECT id, 'CHARGE', ${amount}, balance FROM u", "SELECT id, 'CHARGE', ${amount}, balance FROM u WHERE false"),
    tests: [T.balance],
  },
  {
    id: 'balance.ledger-balance-after',
    rule: "the ledger row records the balance after the charge",
    edits: one(F.balanceRepo, "SELECT id, 'CHARGE', ${amount}, balance FROM u", "SELECT id, 'CHARGE', ${amount}, balance - ${amount} FROM u"),
    tests: [T.balance],
  },
  {
    id: 'balance.lost-update',
    rule: 'concurrent charges add up (no read-then-write)',
    // The subquery reads the balance as of the statement's snapshot, so a charge that waited for
    // another one's row lock writes over it: the classic lost update.
    edits: one(F.balanceRepo, 'SET balance = balance + ${amount}', 'SET balance = (SELECT b.balance FROM users b WHERE b.id = ${userId}) + ${amount}'),
    tests: [T.balance, T.balanceRace],
  },

  // Idempotency: same key and body replays, another body is refused, 24 hours, one at a time.
  {
    id: 'idempotency.hash-ignored',
    rule: 'a key reused with another request is refused (IDEMPOTENCY_KEY_REUSED)',
    edits: one(F.idempotency, 'if (stored.request_hash !== hash) {', 'if (false) {'),
    tests: [T.balance],
  },
  {
    id: 'idempotency.ttl-ignored',
    rule: 'a key is forgotten after 24 hours',
    edits: one(F.idempotency, '\n            AND created_at > now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})', ''),
    tests: [T.balance],
  },
  {
    id: 'idempotency.ttl-short',
    rule: 'a key is remembered for 24 hours',
    edits: one(F.idempotency, 'export const IDEMPOTENCY_TTL_HOURS = 24;', 'export const IDEMPOTENCY_TTL_HOURS = 1;'),
    tests: [T.balance],
  },
  {
    id: 'idempotency.purge-fresh',
    rule: 'purging deletes only keys older than the TTL',
    edits: one(F.idempotency, 'DELETE FROM idempotency_keys WHERE created_at <= now()', 'DELETE FROM idempotency_keys WHERE created_at >= now()'),
    tests: [T.balance],
  },
  {
    id: 'idempotency.lock-dropped',
    rule: 'concurrent repeats of one key take turns: one charge',
    edits: one(F.idempotency, 'await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${keyLockName(scope, userId, key)}, 0))`);', ''),
    tests: [T.balance, T.balanceRace],
  },
  {
    id: 'idempotency.failure-forgotten',
    rule: 'a business failure under a key is remembered and replayed',
    edits: one(F.idempotency, 'if (!(err instanceof AppError) || err.statusCode >= 500) throw err;', 'throw err;'),
    tests: [T.balance],
  },
  {
    id: 'idempotency.wait-unbounded',
    rule: 'a repeat waits at most 2 s for the first, then answers IDEMPOTENCY_KEY_IN_USE',
    edits: one(F.idempotency, "await tx.execute(sql.raw(`SET LOCAL lock_timeout = '${WAIT_FOR_IN_FLIGHT}'`));", ''),
    tests: [T.inFlight],
  },

  // Products: the page cursor.
  {
    id: 'catalog.has-more-off-by-one',
    rule: 'a page says there is more only when there is (no phantom last page)',
    edits: one(F.catalogService, 'const hasMore = rows.length > limit;', 'const hasMore = rows.length >= limit;'),
    tests: [T.catalog],
  },
  {
    id: 'catalog.no-look-ahead',
    rule: 'a page reads one more row than it shows, to know whether more exist',
    edits: one(F.catalogRepo, '.limit(limit + 1)', '.limit(limit)'),
    tests: [T.catalog],
  },
  {
    id: 'catalog.cursor-inclusive',
    rule: 'the next page starts after the cursor (each product once)',
    edits: one(F.catalogRepo, 'gt(products.id, afterId)', 'gt(products.id, afterId - 1)'),
    tests: [T.catalog],
  },

  // Admin and start-up.
  {
    id: 'admin.any-token',
    rule: 'admin routes need the exact bearer token',
    edits: one(F.adminAuth, '!timingSafeEqual(digest(match[1]), expected)', 'false'),
    tests: [T.admin],
  },
  {
    id: 'admin.disabled-ignored',
    rule: 'without ADMIN_TOKEN the admin routes answer 403 ADMIN_DISABLED',
    edits: one(F.adminAuth, "if (!expected) throw new AppError('ADMIN_DISABLED', 'Admin API is disabled: ADMIN_TOKEN is not set');", ''),
    tests: [T.admin],
  },
  {
    id: 'migrate.lock-dropped',
    rule: 'instances starting together migrate one at a time',
    edits: one(F.migrate, "await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);", ''),
    tests: [T.balanceRace],
  },

  // Coupons: quantity, one per user, the window by both clocks, expiry, the list's status.
  {
    id: 'coupon.quantity-dropped',
    rule: 'the increment takes coupons only while enough are left',
    edits: one(F.couponsRepo, QUANTITY, '\n'),
    tests: [T.coupons, T.stampede],
  },
  {
    id: 'coupon.quantity-and-check-dropped',
    rule: 'never past the total, even with the CHECK constraint gone too (answers must show it)',
    edits: [
      { file: F.couponsRepo, find: QUANTITY, replace: '\n' },
      {
        file: F.couponsMigration,
        find: ' AND "coupons"."issued_quantity" <= "coupons"."total_quantity"',
        replace: '',
      },
    ],
    tests: [T.coupons, T.stampede],
  },
  {
    id: 'coupon.quantity-off-by-one',
    rule: 'exactly the total, not one more',
    edits: one(F.couponsRepo, QUANTITY, 'AND issued_quantity + (SELECT count(*) FROM fresh) <= total_quantity + 1\n'),
    tests: [T.coupons, T.stampede],
  },
  {
    id: 'coupon.one-per-user',
    rule: 'one coupon per user: a repeat is 409 ALREADY_ISSUED, never a second row or a 500',
    edits: [
      // Without the NOT EXISTS a repeat takes one more and breaks the unique index; without the mapping, that is a 500.
      { file: F.couponsRepo, find: "\n        WHERE NOT EXISTS (SELECT 1 FROM coupon_issues ci WHERE ci.coupon_id = ${sql.placeholder('couponId')}::bigint AND ci.user_id = r.u)", replace: '' },
      { file: F.couponsService, find: "if (pgCode(err) === PgCode.uniqueViolation && pgConstraint(err) === 'coupon_issues_coupon_user_unique') {", replace: 'if (false) {' },
    ],
    tests: [T.coupons, T.stampede],
  },
  {
    id: 'coupon.window-db-dropped',
    rule: "the database's clock decides the issue window",
    edits: one(F.couponsRepo, DB_WINDOW, '\n'),
    tests: [T.windowClock],
  },
  {
    id: 'coupon.window-db-end-inclusive',
    rule: 'the window ends before issueEndAt (end exclusive), by the database clock',
    edits: one(F.couponsRepo, DB_WINDOW, 'AND now() >= issue_start_at AND now() <= issue_end_at\n'),
    tests: [T.windowClock],
  },
  {
    id: 'coupon.window-db-start-exclusive',
    rule: 'the window opens at issueStartAt (start inclusive), by the database clock',
    edits: one(F.couponsRepo, DB_WINDOW, 'AND now() > issue_start_at AND now() < issue_end_at\n'),
    tests: [T.windowClock],
  },
  {
    id: 'coupon.window-refusal-reason',
    rule: 'a refusal by the database clock is COUPON_NOT_ACTIVE, not SOLD_OUT',
    edits: one(F.couponsRepo, "return row?.active ? 'SOLD_OUT' : 'NOT_ACTIVE';", "return 'SOLD_OUT';"),
    tests: [T.windowClock],
  },
  {
    id: 'coupon.window-js-dropped',
    rule: 'the window is checked before "already issued" and the quantity',
    edits: one(F.couponsService, 'if (!isWithinIssueWindow(coupon, this.now())) throw notActive(coupon);', ''),
    tests: [T.windowClock, T.coupons],
  },
  {
    id: 'coupon.window-js-end-inclusive',
    rule: 'the window ends before issueEndAt (end exclusive), by the issuer clock',
    edits: one(F.issueWindow, 'now.getTime() < window.issueEndAt.getTime()', 'now.getTime() <= window.issueEndAt.getTime()'),
    tests: [T.windowUnit, T.windowClock],
  },
  {
    id: 'coupon.validity-days',
    rule: 'an issued coupon expires validityDays after issue',
    edits: one(F.couponsRepo, 'make_interval(days => t.validity_days)', 'make_interval(hours => t.validity_days)'),
    tests: [T.coupons],
  },
  {
    id: 'coupon.used-before-expired',
    rule: 'a used coupon lists as USED even once expired',
    edits: one(
      F.couponsCatalog,
      "status: r.usedAt ? 'USED' : r.expiresAt <= now ? 'EXPIRED' : 'AVAILABLE',",
      "status: r.expiresAt <= now ? 'EXPIRED' : r.usedAt ? 'USED' : 'AVAILABLE',",
    ),
    tests: [T.userCoupons],
  },
  {
    id: 'coupon.expiry-instant',
    rule: 'a coupon is EXPIRED from expiresAt on (that instant included)',
    edits: one(F.couponsCatalog, 'r.expiresAt <= now ?', 'r.expiresAt < now ?'),
    tests: [T.userCoupons],
  },
  {
    id: 'coupon.memo-holder-forgotten',
    rule: 'once sold out, a holder still hears ALREADY_ISSUED, everyone else SOLD_OUT',
    edits: one(
      F.couponsService,
      'const holder = soldOut.holders ? soldOut.holders.has(userId) :',
      'const holder = soldOut.holders ? false :',
    ),
    tests: [T.coupons],
  },

  // The admission gate: it refuses only what the database confirmed, and never over-admits.
  {
    id: 'gate.memory-never-full',
    rule: 'the gate admits no more requests than places left',
    edits: one(F.memoryGate, "if ((s.issued ? s.issued.size : s.count) + s.pending.size >= totalQuantity) return 'FULL';", ''),
    tests: [T.gate],
  },
  {
    id: 'gate.memory-sold-out-before-holder',
    rule: 'a holder hears ALREADY_ISSUED even when the coupon is sold out',
    edits: one(
      F.memoryGate,
      "if (s.issued?.has(userId)) return 'ALREADY_ISSUED';\n    if (s.soldOut) return 'SOLD_OUT';",
      "if (s.soldOut) return 'SOLD_OUT';\n    if (s.issued?.has(userId)) return 'ALREADY_ISSUED';",
    ),
    tests: [T.gate],
  },
  {
    id: 'gate.memory-failure-as-holder',
    rule: 'a failed issue confirms no holder',
    edits: one(F.memoryGate, "if (outcome === 'ISSUED' || outcome === 'ALREADY_ISSUED') s.issued?.add(userId);", "if (outcome !== 'SOLD_OUT') s.issued?.add(userId);"),
    tests: [T.gate],
  },
  {
    id: 'gate.redis-full-off-by-one',
    rule: 'the gate admits no more requests than places left (Redis)',
    edits: one(F.redisGate, ">= tonumber(ARGV[2]) then return 'FULL' end", "> tonumber(ARGV[2]) then return 'FULL' end"),
    tests: [T.gate],
  },
  {
    id: 'gate.redis-full-as-sold-out',
    rule: 'a gate full of requests in flight defers to the database, never refuses SOLD_OUT itself',
    edits: one(F.redisGate, ">= tonumber(ARGV[2]) then return 'FULL' end", ">= tonumber(ARGV[2]) then return 'SOLD_OUT' end"),
    tests: [T.gate],
  },
  {
    id: 'gate.redis-sold-out-before-holder',
    rule: 'a holder hears ALREADY_ISSUED even when the coupon is sold out (Redis)',
    edits: one(F.redisGate, "local holders\nif ARGV[4] == '1' then", "if redis.call('EXISTS', KEYS[3]) == 1 then return 'SOLD_OUT' end\nlocal holders\nif ARGV[4] == '1' then"),
    tests: [T.gate],
  },
  {
    id: 'gate.redis-pending-never-expires',
    rule: 'an admission that never settled stops holding a place after its TTL',
    edits: one(F.redisGate, "redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[3]))", ''),
    tests: [T.gate],
  },
  {
    id: 'gate.redis-sold-out-not-recorded',
    rule: 'the gate remembers the sold-out the database reported',
    edits: one(F.redisGate, "if ARGV[2] == 'SOLD_OUT' then redis.call('SET', KEYS[3], '1') end", ''),
    tests: [T.gate],
  },
  {
    id: 'gate.redis-failure-as-holder',
    rule: 'a failed issue confirms no holder (Redis)',
    edits: one(F.redisGate, "if (ARGV[2] == 'ISSUED' or ARGV[2] == 'ALREADY_ISSUED')", "if (ARGV[2] ~= 'SOLD_OUT')"),
    tests: [T.gate],
  },
  {
    id: 'gate.memory-count-not-raised',
    rule: 'a large coupon counts every issue: no more admissions than places left',
    edits: one(F.memoryGate, "if (outcome === 'ISSUED') s.count++;", ''),
    tests: [T.gate],
  },
  {
    id: 'gate.redis-count-not-raised',
    rule: 'a large coupon counts every issue: no more admissions than places left (Redis)',
    edits: one(F.redisGate, "if ARGV[2] == 'ISSUED' and redis.call('EXISTS', KEYS[4]) == 1 then redis.call('INCR', KEYS[4]) end", ''),
    tests: [T.gate],
  },
  {
    id: 'gate.redis-large-keeps-holders',
    rule: "a coupon above the threshold never loads or keeps its holder list (memory bounded)",
    edits: one(F.redisGate, 'const counted = totalQuantity > this.holderSetMax;', 'const counted = false;'),
    tests: [T.gate],
  },
  {
    id: 'coupon.large-sold-out-holder',
    rule: 'once a large coupon is sold out, the index still tells a holder ALREADY_ISSUED',
    edits: one(F.couponsService, ': await this.isHolder(couponId, userId);\n', ': false;\n'),
    tests: [T.largeCoupons],
  },
  {
    id: 'gate.redis-no-rebuild',
    rule: 'a gate whose keys vanished rebuilds from the database before answering',
    edits: one(F.redisGate, "if redis.call('EXISTS', KEYS[1]) == 0 then return 'REBUILD' end\n", ''),
    tests: [T.gate],
  },
  // Orders: stock never oversold, coupon used once, money taken once, amounts as the contract says.
  {
    id: 'orders.stock-check',
    rule: 'an order is refused when a line asks more than the stock',
    edits: one(F.placeOrdersSql, 'v_stock_ok := v_stock_ok AND pr_stock[px] >= v_qty;', 'v_stock_ok := v_stock_ok AND pr_stock[px] >= 0;'),
    tests: [T.orders, T.ordersRace],
  },
  {
    id: 'orders.batch-answers-swapped',
    rule: 'each order of a batch gets its own answer, in the batch order',
    edits: one(F.placeOrder, 'return rows.map((r, i) =>', 'return rows.reverse().map((r, i) =>'),
    tests: [T.placeOrders],
  },
  {
    id: 'orders.batch-unbounded',
    rule: 'a batch holds at most maxBatch items',
    edits: one(F.combiner, 'this.queue.splice(0, this.maxBatch)', 'this.queue.splice(0)'),
    tests: [T.combiner],
  },
  {
    id: 'orders.batch-sees-earlier-orders',
    rule: 'each order of a batch sees the stock the orders before it left',
    edits: one(F.placeOrdersSql, '        pr_stock[px] := pr_stock[px] - v_qty;\n', ''),
    tests: [T.placeOrders],
  },
  {
    id: 'orders.lock-rows-first',
    rule: 'the rows an order changes are locked before they are read, so no concurrent order decides on the same stock',
    edits: one(F.placeOrdersSql, 'WHERE id = ANY (a_products) ORDER BY id FOR UPDATE) p;', 'WHERE id = ANY (a_products) ORDER BY id) p;'),
    tests: [T.ordersRace],
  },
  // A used or expired coupon is refused three times over (the verdict, the conditional update, the
  // service's reading of the verdict); each guard alone is redundant, so each mutant drops all three.
  {
    id: 'orders.coupon-used-accepted',
    rule: 'a used coupon is not usable, and is used by at most one order',
    edits: [
      { file: F.placeOrdersSql, find: 'v_owned AND NOT v_used AND NOT v_expired', replace: 'v_owned AND NOT v_expired' },
      { file: F.placeOrdersSql, find: 'ci.user_id = x.u AND ci.used_at IS NULL AND ci.expires_at > v_now', replace: 'ci.user_id = x.u AND ci.expires_at > v_now' },
      { file: F.ordersService, find: "if (c.used) throw new CouponNotUsableError(couponId, 'USED');", replace: '' },
    ],
    tests: [T.orders],
  },
  {
    id: 'orders.coupon-expired-accepted',
    rule: 'an expired coupon is not usable',
    edits: [
      { file: F.placeOrdersSql, find: 'v_owned AND NOT v_used AND NOT v_expired', replace: 'v_owned AND NOT v_used' },
      { file: F.placeOrdersSql, find: 'ci.used_at IS NULL AND ci.expires_at > v_now', replace: 'ci.used_at IS NULL' },
      { file: F.ordersService, find: "if (c.expired) throw new CouponNotUsableError(couponId, 'EXPIRED');", replace: '' },
    ],
    tests: [T.orders],
  },
  {
    id: 'orders.balance-condition',
    rule: 'the balance is taken only if it covers the payment',
    edits: [
      { file: F.placeOrdersSql, find: 'v_paid := us_balance[ux] >= v_payment;', replace: 'v_paid := true;' },
      { file: F.placeOrdersSql, find: 'WHERE u.id = x.id AND x.spent > 0 AND u.balance >= x.spent;', replace: 'WHERE u.id = x.id AND x.spent > 0;' },
    ],
    tests: [T.orders, T.ordersRace],
  },
  {
    id: 'orders.discount-cap-ignored',
    rule: 'a PERCENTAGE discount is capped by maxDiscountAmount',
    edits: one(F.placeOrdersSql, 'coalesce(cp_cap[cx], v_item)', 'v_item'),
    tests: [T.orders],
  },
  {
    id: 'orders.percentage-rounds-up',
    rule: 'a PERCENTAGE discount is floor(itemAmount * value / 100)',
    edits: one(F.placeOrdersSql, 'least(v_item * cp_value[cx] / 100,', 'least((v_item * cp_value[cx] + 99) / 100,'),
    tests: [T.orders],
  },
  {
    id: 'orders.fixed-above-items',
    rule: 'no discount exceeds the item amount',
    edits: one(F.placeOrdersSql, "WHEN cp_type[cx] = 'FIXED' THEN least(cp_value[cx], v_item)", "WHEN cp_type[cx] = 'FIXED' THEN cp_value[cx]"),
    tests: [T.orders],
  },
  {
    id: 'orders.free-shipping-exclusive',
    rule: 'shipping is free from FREE_SHIPPING_THRESHOLD on (inclusive)',
    edits: one(F.placeOrdersSql, 'CASE WHEN v_item >= p_threshold THEN 0', 'CASE WHEN v_item > p_threshold THEN 0'),
    tests: [T.orders],
  },
  {
    id: 'orders.minimum-exclusive',
    rule: 'an order exactly at the minimum order amount may use the coupon',
    edits: one(F.placeOrdersSql, 'v_item >= v_minimum', 'v_item > v_minimum'),
    tests: [T.orders],
  },
  {
    id: 'orders.event-for-unpaid',
    rule: 'only a PAID order has an order.paid event',
    edits: one(F.placeOrdersSql, '      IF v_paid THEN\n        v_event := gen_random_uuid();', '      IF true THEN\n        v_event := gen_random_uuid();'),
    tests: [T.orders],
  },
  {
    id: 'orders.duplicate-lines',
    rule: 'a product listed twice in one order is 400',
    edits: one(F.ordersService, 'if (seen.has(line.productId)) throw new DuplicateOrderLineError(line.productId);', ''),
    tests: [T.orders],
  },
  {
    id: 'payments.no-order-lock',
    rule: 'concurrent payments of one order take turns: the money is taken once',
    edits: one(F.payOrder, 'FROM orders WHERE id = ${orderId}::bigint FOR UPDATE', 'FROM orders WHERE id = ${orderId}::bigint'),
    tests: [T.ordersRace],
  },
  {
    id: 'payments.paid-again',
    rule: 'a PAID order is never paid again',
    edits: one(F.payOrder, 'WHERE status IN (${UNPAID_LIST}) AND live', "WHERE status IN (${UNPAID_LIST}, 'PAID') AND live"),
    tests: [T.orders, T.payments],
  },
  {
    id: 'payments.past-hold-accepted',
    rule: 'an order past its hold cannot be paid, swept or not',
    edits: one(F.payOrder, 'WHERE status IN (${UNPAID_LIST}) AND live', 'WHERE status IN (${UNPAID_LIST})'),
    tests: [T.payments],
  },
  {
    id: 'payments.balance-condition',
    rule: 'a payment takes the balance only if it covers it',
    edits: one(F.payOrder, 'WHERE u.id = p.user_id AND u.balance >= p.payment_amount', 'WHERE u.id = p.user_id'),
    tests: [T.orders],
  },
  {
    id: 'expiry.sweeps-paid',
    rule: 'the sweeper cancels only unpaid orders',
    edits: one(F.expireOrders, 'WHERE status IN (${UNPAID_LIST}) AND hold_until <= now()', 'WHERE hold_until <= now()'),
    tests: [T.payments],
  },
  {
    id: 'expiry.early',
    rule: 'an unpaid order keeps its stock and coupon until its hold ends',
    edits: one(F.expireOrders, 'AND hold_until <= now()', "AND hold_until <= now() + interval '1 hour'"),
    tests: [T.payments],
  },
  {
    id: 'expiry.coupon-kept',
    rule: 'a cancelled order gives its coupon back',
    edits: one(F.expireOrders, 'FROM due WHERE ci.order_id = due.id AND', 'FROM due WHERE false AND ci.order_id = due.id AND'),
    tests: [T.payments],
  },
  {
    id: 'expiry.stock-kept',
    rule: 'a cancelled order gives its stock back',
    edits: one(F.expireOrders, 'SET stock = p.stock + h.qty', 'SET stock = p.stock'),
    tests: [T.payments],
  },
  {
    id: 'stock.set-delta-ignores-old',
    rule: "an operator's set records its delta from the stock it replaced",
    edits: one(F.catalogRepo, "SELECT id, 'ADMIN_SET', stock - before FROM upd", "SELECT id, 'ADMIN_SET', stock FROM upd"),
    tests: [T.stock],
  },
  {
    id: 'stock.delta-below-zero',
    rule: 'stockDelta never takes the stock below zero (409 OUT_OF_STOCK)',
    edits: one(F.catalogRepo, 'BETWEEN 0 AND ${max}::bigint', 'BETWEEN -1000000 AND ${max}::bigint'),
    tests: [T.stock],
  },
  {
    id: 'relay.never-marks-sent',
    rule: 'an event the sink accepted is marked sent',
    edits: one(F.relay, '      await markSent(tx, ids);\n', ''),
    tests: [T.relay],
  },
  {
    id: 'relay.no-backoff',
    rule: 'an event that failed waits before it is tried again',
    edits: one(F.outboxRepo, 'next_attempt_at = now() + make_interval', 'next_attempt_at = now() - make_interval'),
    tests: [T.relay],
  },
  {
    id: 'outage.database-away-is-500',
    rule: 'a database that cannot be reached is answered 503 SERVICE_UNAVAILABLE with Retry-After, not 500',
    edits: one('src/platform/http/error-handler.ts', '    if (isDatabaseUnavailable(err)) {', '    if (false && isDatabaseUnavailable(err)) {'),
    tests: ['test/postgres-outage.test.ts'],
  },
  {
    id: 'load-shedding.client-gone-keeps-slot',
    rule: 'the in-flight slot of a client that went away before its answer is freed',
    edits: one(F.loadShedding, "socket.on('close', this.onClose)", "socket.on('close', () => undefined)"),
    tests: [T.loadShedding],
  },
  {
    id: 'load-shedding.freed-twice',
    rule: 'an answer finishing after its client went away frees no slot a second time',
    edits: one(F.loadShedding, 'socket[kCounted]! > 0', 'socket[kCounted]! > -1_000'),
    tests: [T.loadShedding],
  },
  {
    id: 'load-shedding.never-freed',
    rule: 'a slot is freed when its answer has gone',
    edits: one(F.loadShedding, '      this.count--;\n', ''),
    tests: [T.loadShedding],
  },
  {
    id: 'request-id.same-prefix-everywhere',
    rule: 'fresh request ids of two processes differ',
    edits: one(F.earlyErrors, 'randomUUID().slice(0, 24)', "'7c1e2f3a-0b1c-4d5e-8f90-'"),
    tests: [T.requestId],
  },
  {
    id: 'request-id.repeats',
    rule: 'fresh request ids never repeat within a process',
    edits: one(F.earlyErrors, '  issued++;\n', ''),
    tests: [T.requestId],
  },
  {
    id: 'cluster.dead-worker-not-replaced',
    rule: 'WORKERS=N: a worker that dies is replaced',
    edits: one('src/cluster.ts', '      slot.timer = setTimeout(() => fork(index), delay);', '      slot.timer = setTimeout(() => undefined, delay);'),
    tests: ['test/cluster.test.ts'],
  },
];
