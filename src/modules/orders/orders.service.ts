import { Counter } from 'prom-client';
import { Combiner } from '../../shared/combiner.js';
import { KeyedLimiter } from '../../shared/keyed-limiter.js';
import type { AppContext } from '../../platform/context.js';
import type { Db } from '../../platform/db/db.js';
import { runIdempotent, type Answer, type Outcome } from '../../platform/idempotency/idempotency.js';
import { OutOfStockError, ProductNotFoundError } from '../catalog/index.js';
import { assertUserExists, UserNotFoundError } from '../users/index.js';
import {
  CouponNotUsableError,
  DuplicateOrderLineError,
  insufficientBalance,
  OrderNotFoundError,
  OrderNotPayableError,
} from './orders.errors.js';
import { findOrder, findOrderOwner, listOrdersBefore } from './orders.repo.js';
import { payOrderAtomically, type StoredOrder } from './pay-order.repo.js';
import { placeOrderAtomically, placeOrders, type PlaceOrderInput, type PlaceOrderResult } from './place-order.repo.js';
import type { PlaceOrderBody } from './orders.schema.js';

export type OrderView = StoredOrder;

/** Business counters, registered once per app's registry. */
const counters = (() => {
  const byRegistry = new WeakMap<object, { orders: Counter<'result'>; payments: Counter<'result'> }>();
  return (ctx: AppContext) => {
    let c = byRegistry.get(ctx.metrics.registry);
    if (!c) {
      const registers = [ctx.metrics.registry];
      c = {
        orders: new Counter({ name: 'orders_placed_total', help: 'Orders written, by the state they were left in', labelNames: ['result'], registers }),
        payments: new Counter({ name: 'order_payments_total', help: 'POST /payments that ran, by the state they left', labelNames: ['result'], registers }),
      };
      byRegistry.set(ctx.metrics.registry, c);
    }
    return c;
  };
})();

export interface OrderPage {
  items: OrderView[];
  nextCursor: string | null;
}

/**
 * Runs one atomic statement. Without a key it runs on its own (autocommit: the hot rows are
 * locked only inside the database); with one, inside runIdempotent's transaction.
 */
function once<T>(
  ctx: AppContext,
  scope: string,
  key: string | undefined,
  owner: () => Promise<number>,
  request: unknown,
  work: (db: Db) => Promise<Outcome<T>>,
) {
  if (key === undefined) return work(ctx.db).then((o): Answer<T> => ({ ...o, replayed: false }));
  return owner().then((userId) => runIdempotent(ctx.db, { scope, userId, key, request }, work));
}

/**
 * Orders and pays in one call. Checks in the contract's order: body, user, products, coupon,
 * stock, then payment. A short balance answers 402 and leaves the order PAYMENT_FAILED, holding
 * its stock and coupon until it is paid or its hold ends.
 */
export async function placeOrder(ctx: AppContext, body: PlaceOrderBody, idempotencyKey?: string): Promise<Answer<unknown>> {
  const seen = new Set<number>();
  for (const line of body.products) {
    if (seen.has(line.productId)) throw new DuplicateOrderLineError(line.productId);
    seen.add(line.productId);
  }
  const couponId = body.couponId ?? null;
  const input: PlaceOrderInput = {
    userId: body.userId,
    lines: body.products,
    couponId,
    shippingFee: ctx.config.shippingFee,
    freeShippingThreshold: ctx.config.freeShippingThreshold,
    holdSeconds: ctx.config.orderHoldMinutes * 60,
  };
  let answer: Answer<unknown>;
  if (idempotencyKey === undefined) {
    // Orders without a key leave in batches (see placeOrders): under load, many share one commit.
    answer = { ...outcomeOf(await combinerFor(ctx).submit(input), body, couponId), replayed: false };
  } else {
    // A hot product's orders queue here rather than as backends waiting on its row lock.
    const release = await productTurns.acquire(body.products.map((l) => l.productId));
    try {
      const request = { userId: body.userId, products: body.products, couponId };
      answer = await runIdempotent(ctx.db, { scope: 'orders.place', userId: body.userId, key: idempotencyKey, request }, async (db) =>
        outcomeOf(await placeOrderAtomically(db, input), body, couponId),
      );
    } finally {
      release();
    }
  }
  if (!answer.replayed) {
    ctx.events.committed();
    counters(ctx).orders.inc({ result: answer.status === 201 ? 'PAID' : 'PAYMENT_FAILED' });
  }
  return answer;
}

/**
 * The combiner of a database handle: ORDER_BATCHES_IN_FLIGHT batches at once, of up to
 * ORDER_BATCH_MAX orders. A batch holds its products' rows from its start to its commit, so more
 * batches in flight only add backends waiting on a hot row (measured in docs/benchmarks.md).
 */
const combiners = new WeakMap<Db, Combiner<PlaceOrderInput, PlaceOrderResult>>();
function combinerFor(ctx: AppContext): Combiner<PlaceOrderInput, PlaceOrderResult> {
  let c = combiners.get(ctx.db);
  if (!c) {
    const db = ctx.db;
    c = new Combiner((inputs) => placeOrders(db, inputs), ctx.config.orderBatchesInFlight, ctx.config.orderBatchMax);
    combiners.set(db, c);
  }
  return c;
}

/**
 * Orders of one product with a key that this instance sends to the database at once. Every order
 * of a hot product waits for the previous one's commit anyway; more in flight only adds backends
 * that wait on the row lock and compete for CPU with the one holding it.
 */
const PRODUCT_CONCURRENCY = 4;
const productTurns = new KeyedLimiter(PRODUCT_CONCURRENCY);

function outcomeOf(r: PlaceOrderResult, body: PlaceOrderBody, couponId: number | null): Outcome<unknown> {
  if (!r.userFound) throw new UserNotFoundError(body.userId);
  const found = new Map(r.lines.map((l) => [l.productId, l]));
  const missing = body.products.find((l) => !found.has(l.productId));
  if (missing) throw new ProductNotFoundError(missing.productId);
  if (couponId !== null && r.coupon) {
    const c = r.coupon;
    if (!c.owned) throw new CouponNotUsableError(couponId, 'NOT_OWNED');
    if (c.used) throw new CouponNotUsableError(couponId, 'USED');
    if (c.expired) throw new CouponNotUsableError(couponId, 'EXPIRED');
    if (r.amounts.itemAmount < c.minimum) {
      throw new CouponNotUsableError(couponId, 'MINIMUM_NOT_MET', { minimumOrderAmount: c.minimum, itemAmount: r.amounts.itemAmount });
    }
  }
  if (!r.stockOk) {
    const short = r.lines.find((l) => l.stock < l.quantity)!;
    throw new OutOfStockError({ productId: short.productId, requested: short.quantity, available: short.stock });
  }
  // Every check passed yet nothing was written: the coupon was used by a concurrent order.
  if (!r.order) throw new CouponNotUsableError(couponId ?? 0, 'USED');
  const order: OrderView = {
    orderId: r.order.orderId,
    orderNumber: r.order.orderNumber,
    userId: body.userId,
    status: r.order.status,
    items: r.lines.map(({ stock: _stock, ...item }) => item),
    ...r.amounts,
    couponId,
    createdAt: r.order.createdAt,
    paidAt: r.order.paidAt,
  };
  if (order.status === 'PAID') return { status: 201, body: order };
  return { status: 402, body: insufficientBalance(order, r.balance).toBody() };
}

/**
 * Pays a CREATED or PAYMENT_FAILED order. A PAID order answers 200 and takes nothing, so a client
 * may retry safely; concurrent calls take turns on the order's row lock.
 */
export async function payOrder(ctx: AppContext, orderId: number, idempotencyKey?: string): Promise<Answer<unknown>> {
  // A key belongs to the user who owns the order (keys are per user): one read, only with a key.
  const owner = async () => {
    const userId = await findOrderOwner(ctx.db, orderId);
    if (userId === undefined) throw new OrderNotFoundError(orderId);
    return userId;
  };
  const answer = await once(ctx, 'payments.pay', idempotencyKey, owner, { orderId }, async (db): Promise<Outcome<unknown>> => {
    const r = await payOrderAtomically(db, orderId);
    if (!r) throw new OrderNotFoundError(orderId);
    if (r.statusBefore === 'CANCELLED') throw new OrderNotPayableError(orderId, r.statusBefore, 'CANCELLED');
    if (r.order.status === 'PAID') return { status: 200, body: r.order };
    if (!r.live) throw new OrderNotPayableError(orderId, r.statusBefore, 'EXPIRED');
    return { status: 402, body: insufficientBalance(r.order, r.balance).toBody() };
  });
  if (!answer.replayed) {
    if (answer.status === 200) ctx.events.committed();
    counters(ctx).payments.inc({ result: answer.status === 200 ? 'PAID' : 'PAYMENT_FAILED' });
  }
  return answer;
}

export async function getOrder(ctx: AppContext, orderId: number): Promise<OrderView> {
  const order = await findOrder(ctx.db, orderId);
  if (!order) throw new OrderNotFoundError(orderId);
  return order;
}

/** The user's orders, newest first; the cursor is the last order id of the previous page. */
export async function listUserOrders(ctx: AppContext, userId: number, cursor: string | undefined, limit: number): Promise<OrderPage> {
  const rows = await listOrdersBefore(ctx.db, userId, cursor === undefined ? undefined : Number(cursor), limit);
  if (rows.length === 0) await assertUserExists(ctx.db, userId);
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  return { items, nextCursor: hasMore ? String(items[items.length - 1]!.orderId) : null };
}
