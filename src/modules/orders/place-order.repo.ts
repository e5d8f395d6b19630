import { sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/db.js';
import { rawStatement } from '../../platform/db/prepared.js';
import { PgCode, pgCode, pgConstraint } from '../../platform/db/pg-errors.js';
import { isoText, ITEM_JSON, ORDER_PAID_EVENT } from './order-sql.js';

export interface PlaceOrderInput {
  userId: number;
  lines: Array<{ productId: number; quantity: number }>;
  couponId: number | null;
  shippingFee: number;
  freeShippingThreshold: number;
  holdSeconds: number;
}

export interface LockedLine {
  productId: number;
  name: string;
  unitPrice: number;
  quantity: number;
  amount: number;
  stock: number;
}

/** What the statement saw and did: enough to name the first failed check, or to answer the order. */
export interface PlaceOrderResult {
  userFound: boolean;
  balance: number;
  /** The lines whose product exists, in the request's order, with the stock they found. */
  lines: LockedLine[];
  stockOk: boolean;
  coupon: { owned: boolean; used: boolean; expired: boolean; minimum: number } | undefined;
  amounts: { itemAmount: number; shippingAmount: number; discountAmount: number; paymentAmount: number };
  /** Set when the order was written: PAID, or PAYMENT_FAILED holding its stock and coupon. */
  order: { orderId: number; orderNumber: string; status: 'PAID' | 'PAYMENT_FAILED'; createdAt: string; paidAt: string | null } | undefined;
}

/**
 * Places and pays an order in ONE statement, so no round trip to the application happens while a
 * hot product row is locked. All of it or nothing:
 *  - user, products, coupon and stock are checked on the statement's snapshot;
 *  - only if every check passed: the coupon is taken with a conditional update (unused, unexpired,
 *    held by the user), the balance with a conditional update (else the order stays
 *    PAYMENT_FAILED), and the order, its lines, the ledger row and the outbox event are written;
 *  - last, the products are locked in id order and decremented, with their stock movements; the
 *    CHECK (stock >= 0) refuses a line that no longer fits, aborting the whole statement.
 * Lock order: coupon_issues, users, then products by id (orders → products → coupon_issues for
 * the sweeper, which never waits on a coupon an order holds): no two statements deadlock.
 */
export async function placeOrderAtomically(db: Db, input: PlaceOrderInput, inTransaction: boolean): Promise<PlaceOrderResult> {
  const params = {
    userId: input.userId,
    ids: input.lines.map((l) => l.productId),
    qtys: input.lines.map((l) => l.quantity),
    lineCount: input.lines.length,
    couponId: input.couponId,
    shippingFee: input.shippingFee,
    threshold: input.freeShippingThreshold,
    holdSeconds: input.holdSeconds,
  };
  // The stock is read from the statement's snapshot and decremented under the lock at its end; when
  // a concurrent order took the last units in between, the CHECK aborts everything and a new
  // snapshot decides again (normally: OUT_OF_STOCK with exact figures). In a transaction, each try
  // runs in a savepoint so that an aborted one leaves the transaction usable.
  for (let attempt = 1; ; attempt++) {
    try {
      const [row] = inTransaction ? await db.transaction((tx) => placeOrderStatement(tx as unknown as Db, params)) : await placeOrderStatement(db, params);
      return toResult(row!, input.couponId);
    } catch (err) {
      if (attempt >= MAX_ATTEMPTS || pgCode(err) !== PgCode.checkViolation || pgConstraint(err) !== 'products_stock_non_negative') throw err;
    }
  }
}

const MAX_ATTEMPTS = 5;

/**
 * Places several orders at once, each answered as if it had been placed alone, in the given
 * order: one order runs as {@link placeOrderAtomically}; more run together in `place_orders` (one
 * transaction, one round trip, and one lock and commit of a hot product for all of them). When
 * the database refuses the batch (it rolled back: a deadlock, say), each order runs on its own;
 * when the connection fails, the outcome is unknown and every order fails with it.
 */
export async function placeOrders(db: Db, inputs: PlaceOrderInput[]): Promise<Array<PromiseSettledResult<PlaceOrderResult>>> {
  if (inputs.length > 1) {
    try {
      const first = inputs[0]!;
      const rows = await placeOrdersStatement(db, {
        orders: JSON.stringify(inputs.map((o) => ({ u: o.userId, c: o.couponId, i: o.lines.map((l) => l.productId), q: o.lines.map((l) => l.quantity) }))),
        shippingFee: first.shippingFee,
        threshold: first.freeShippingThreshold,
        holdSeconds: first.holdSeconds,
      });
      if (rows.length !== inputs.length) throw new Error(`place_orders answered ${rows.length} rows for ${inputs.length} orders`);
      return rows.map((r, i) => ({ status: 'fulfilled', value: toResult(r.answer, inputs[i]!.couponId) }));
    } catch (err) {
      if (pgCode(err) === undefined) return inputs.map(() => ({ status: 'rejected', reason: err }));
    }
  }
  return Promise.allSettled(inputs.map((input) => placeOrderAtomically(db, input, false)));
}

const placeOrdersStatement = rawStatement<{ answer: RawResult }, Record<string, unknown>>(
  'orders_place_batch',
  sql`SELECT r AS answer FROM place_orders(${sql.placeholder('orders')}::jsonb, ${sql.placeholder('shippingFee')}::bigint,
        ${sql.placeholder('threshold')}::bigint, ${sql.placeholder('holdSeconds')}::double precision) r`,
);

const userId = sql.placeholder('userId');
const couponId = sql.placeholder('couponId');

/** The one order's statement (placeholders: userId, ids, qtys, lineCount, couponId, shippingFee, threshold, holdSeconds). */
export const PLACE_ORDER_SQL = sql`WITH req AS (
      SELECT r.product_id, r.qty, r.line_no
      FROM unnest(${sql.placeholder('ids')}::bigint[], ${sql.placeholder('qtys')}::int[]) WITH ORDINALITY AS r(product_id, qty, line_no)
    ), usr AS (
      SELECT id, balance FROM users WHERE id = ${userId}::bigint
    ), prod AS (
      SELECT p.id, p.name, p.price, p.stock, r.qty, r.line_no
      FROM products p JOIN req r ON r.product_id = p.id
      WHERE EXISTS (SELECT 1 FROM usr)
    ), cpn AS (
      SELECT c.discount_type, c.discount_value, c.minimum_order_amount, c.max_discount_amount,
             ci.used_at IS NOT NULL AS used, ci.expires_at <= now() AS expired
      FROM coupon_issues ci JOIN coupons c ON c.id = ci.coupon_id
      WHERE ci.coupon_id = ${couponId}::bigint AND ci.user_id = ${userId}::bigint
    ), items AS (
      SELECT coalesce(sum(price * qty), 0)::bigint AS item_amount, count(*)::int AS found,
             coalesce(bool_and(stock >= qty), true) AS stock_ok
      FROM prod
    ), calc AS (
      SELECT i.*, k.used, k.expired, k.minimum_order_amount, k.discount_type IS NOT NULL AS owned,
        CASE WHEN i.item_amount >= ${sql.placeholder('threshold')}::bigint THEN 0 ELSE ${sql.placeholder('shippingFee')}::bigint END AS shipping_amount,
        CASE WHEN k.discount_type IS NULL THEN 0
             WHEN k.discount_type = 'FIXED' THEN least(k.discount_value, i.item_amount)
             ELSE least(i.item_amount * k.discount_value / 100, coalesce(k.max_discount_amount, i.item_amount), i.item_amount)
        END::bigint AS discount_amount
      FROM items i LEFT JOIN cpn k ON true
    ), verdict AS (
      SELECT c.*, c.item_amount - c.discount_amount + c.shipping_amount AS payment_amount,
        EXISTS (SELECT 1 FROM usr) AND c.found = ${sql.placeholder('lineCount')}::int AND c.stock_ok
          AND (${couponId}::bigint IS NULL OR (c.owned AND NOT c.used AND NOT c.expired AND c.item_amount >= c.minimum_order_amount)) AS go
      FROM calc c
    ), new_order AS (
      SELECT nextval(pg_get_serial_sequence('orders', 'id')) AS id FROM verdict WHERE go
    ), coupon_taken AS (
      UPDATE coupon_issues ci SET used_at = now(), order_id = n.id
      FROM new_order n
      WHERE ci.coupon_id = ${couponId}::bigint AND ci.user_id = ${userId}::bigint AND ci.used_at IS NULL AND ci.expires_at > now()
      RETURNING ci.id
    ), placed AS (
      SELECT n.id FROM new_order n WHERE ${couponId}::bigint IS NULL OR EXISTS (SELECT 1 FROM coupon_taken)
    ), paid AS (
      UPDATE users u SET balance = u.balance - v.payment_amount, updated_at = now()
      FROM verdict v, placed
      WHERE u.id = ${userId}::bigint AND u.balance >= v.payment_amount
      RETURNING u.balance
    ), ord AS (
      INSERT INTO orders (id, order_number, user_id, status, item_amount, shipping_amount, discount_amount, payment_amount,
                          coupon_id, created_at, hold_until, paid_at)
      OVERRIDING SYSTEM VALUE
      SELECT n.id, 'ORD-' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD') || '-' || lpad(n.id::text, greatest(8, length(n.id::text)), '0'),
             ${userId}::bigint, CASE WHEN EXISTS (SELECT 1 FROM paid) THEN 'PAID' ELSE 'PAYMENT_FAILED' END,
             v.item_amount, v.shipping_amount, v.discount_amount, v.payment_amount, ${couponId}::bigint,
             now(), now() + make_interval(secs => ${sql.placeholder('holdSeconds')}::double precision), CASE WHEN EXISTS (SELECT 1 FROM paid) THEN now() END
      FROM placed n, verdict v
      RETURNING id, order_number, user_id, status, item_amount, shipping_amount, discount_amount, payment_amount, created_at, paid_at
    ), lines AS (
      INSERT INTO order_items (order_id, product_id, product_name, unit_price, quantity, amount)
      SELECT n.id, l.id, l.name, l.price, l.qty, l.price * l.qty FROM placed n, prod l ORDER BY l.line_no
      RETURNING 1
    ), ledger AS (
      INSERT INTO balance_history (user_id, type, amount, balance_after, order_id)
      SELECT ${userId}::bigint, 'PAYMENT', v.payment_amount, p.balance, n.id FROM paid p, verdict v, placed n
      RETURNING 1
    ), line_json AS (
      SELECT coalesce(jsonb_agg(${ITEM_JSON} ORDER BY line_no), '[]'::jsonb) AS items
      FROM (SELECT id AS product_id, name AS product_name, price AS unit_price, qty AS quantity, price * qty AS amount, line_no, stock
            FROM prod) l
    ), paid_order AS (
      SELECT o.*, j.items FROM ord o, line_json j WHERE o.status = 'PAID'
    ), event_key AS (
      SELECT gen_random_uuid() AS event_id
    ), event AS (${ORDER_PAID_EVENT} RETURNING 1
    ), locked AS (
      -- Last of all, the hot rows: locked (in id order) only once everything else is written, so
      -- each is held just for the decrement and the commit. The counts only order the work.
      SELECT p.id FROM products p
      WHERE p.id IN (SELECT id FROM prod) AND EXISTS (SELECT 1 FROM ord)
        AND (SELECT count(*) FROM lines) + (SELECT count(*) FROM ledger) + (SELECT count(*) FROM event) >= 0
      ORDER BY p.id
      FOR UPDATE
    ), reserved AS (
      -- Checked again under the lock by CHECK (stock >= 0): a line that no longer fits aborts the
      -- whole statement (products_stock_non_negative), and the caller tries again.
      UPDATE products p SET stock = p.stock - l.qty, updated_at = now()
      FROM prod l, locked k
      WHERE p.id = l.id AND k.id = l.id
      RETURNING p.id, l.qty
    ), moves AS (
      INSERT INTO stock_movements (product_id, kind, delta, order_id)
      SELECT r.id, 'RESERVE', -r.qty, n.id FROM reserved r, placed n
      RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM usr) AS user_found, (SELECT balance FROM usr) AS balance,
           (SELECT count(*) FROM moves)::int AS reserved_lines,
           (SELECT coalesce(jsonb_agg(jsonb_build_object('productId', id, 'stock', stock) ORDER BY line_no), '[]'::jsonb) FROM prod) AS stock,
           j.items, v.stock_ok, v.owned, v.used, v.expired, v.minimum_order_amount,
           v.item_amount, v.shipping_amount, v.discount_amount, v.payment_amount,
           o.id AS order_id, o.order_number, o.status, ${isoText('o.created_at')} AS created_at, ${isoText('o.paid_at')} AS paid_at
    FROM verdict v CROSS JOIN line_json j LEFT JOIN ord o ON true`;

const placeOrderStatement = rawStatement<RawResult, Record<string, unknown>>('orders_place_and_pay', PLACE_ORDER_SQL);

interface RawResult {
  user_found: boolean;
  balance: number | string | null;
  stock: Array<{ productId: number; stock: number }>;
  items: Array<{ productId: number; name: string; unitPrice: number; quantity: number; amount: number }>;
  stock_ok: boolean;
  owned: boolean;
  used: boolean | null;
  expired: boolean | null;
  minimum_order_amount: number | string | null;
  item_amount: number | string;
  shipping_amount: number | string;
  discount_amount: number | string;
  payment_amount: number | string;
  order_id: number | string | null;
  order_number: string | null;
  status: 'PAID' | 'PAYMENT_FAILED' | null;
  created_at: string | null;
  paid_at: string | null;
}

function toResult(r: RawResult, couponId: number | null): PlaceOrderResult {
  const stockOf = new Map(r.stock.map((s) => [s.productId, s.stock]));
  return {
    userFound: r.user_found,
    balance: Number(r.balance ?? 0),
    lines: r.items.map((i) => ({ ...i, stock: stockOf.get(i.productId) ?? 0 })),
    stockOk: r.stock_ok,
    coupon:
      couponId === null
        ? undefined
        : { owned: r.owned, used: r.used === true, expired: r.expired === true, minimum: Number(r.minimum_order_amount ?? 0) },
    amounts: {
      itemAmount: Number(r.item_amount),
      shippingAmount: Number(r.shipping_amount),
      discountAmount: Number(r.discount_amount),
      paymentAmount: Number(r.payment_amount),
    },
    order:
      r.order_id === null
        ? undefined
        : { orderId: Number(r.order_id), orderNumber: r.order_number!, status: r.status!, createdAt: r.created_at!, paidAt: r.paid_at },
  };
}
