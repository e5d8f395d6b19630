import pg from 'pg';
import { http } from './instances.js';

/** Direct SQL on a test database, for fast set-up and for checking invariants in the data. */
export class ShopSql {
  readonly pool: pg.Pool;
  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 4 });
  }

  async value(text: string, params: unknown[] = []): Promise<number> {
    return Number((await this.pool.query(text, params)).rows[0]?.v);
  }

  async rows<T = Record<string, any>>(text: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pool.query(text, params)).rows as T[];
  }

  /** `n` users, each charged `balance` through the ledger; returns their ids. */
  async users(n: number, balance: number): Promise<number[]> {
    const rows = await this.rows<{ id: string }>(
      `WITH u AS (INSERT INTO users (name, balance) SELECT 'buyer ' || g, $2 FROM generate_series(1, $1) g RETURNING id, balance),
            h AS (INSERT INTO balance_history (user_id, type, amount, balance_after) SELECT id, 'CHARGE', balance, balance FROM u WHERE balance > 0)
       SELECT id FROM u ORDER BY id`,
      [n, balance],
    );
    return rows.map((r) => Number(r.id));
  }

  /**
   * SPEC invariants 1 to 3 (and 4 up to the outbox) over the whole database: every product's stock
   * is the sum of its movements and equals supplied - sold - held; every balance equals its ledger
   * and is not negative; no order paid twice; a coupon never issued past its total, never twice to
   * one user, used by at most one order; exactly the PAID orders have an order.paid event.
   */
  async invariantViolations(): Promise<Record<string, number>> {
    return {
      stockNotSumOfMovements: await this.value(
        `SELECT count(*) AS v FROM products p WHERE p.stock <> (SELECT coalesce(sum(delta), 0) FROM stock_movements m WHERE m.product_id = p.id)`,
      ),
      stockNotSuppliedMinusSoldMinusHeld: await this.value(
        `SELECT count(*) AS v FROM products p
         WHERE p.stock <> (SELECT coalesce(sum(delta), 0) FROM stock_movements m WHERE m.product_id = p.id AND m.kind IN ('INITIAL', 'ADMIN_SET', 'ADMIN_DELTA'))
                        - (SELECT coalesce(sum(i.quantity), 0) FROM order_items i JOIN orders o ON o.id = i.order_id
                           WHERE i.product_id = p.id AND o.status IN ('PAID', 'CREATED', 'PAYMENT_FAILED'))`,
      ),
      negativeStock: await this.value(`SELECT count(*) AS v FROM products WHERE stock < 0`),
      balanceNotLedger: await this.value(
        `SELECT count(*) AS v FROM users u WHERE u.balance <> (SELECT coalesce(sum(CASE type WHEN 'PAYMENT' THEN -amount ELSE amount END), 0)
                                                               FROM balance_history h WHERE h.user_id = u.id)`,
      ),
      ordersPaidTwice: await this.value(
        `SELECT count(*) AS v FROM (SELECT order_id FROM balance_history WHERE type = 'PAYMENT' GROUP BY order_id HAVING count(*) > 1) x`,
      ),
      paidWithoutPayment: await this.value(
        `SELECT count(*) AS v FROM orders o WHERE (o.status = 'PAID') <> EXISTS (SELECT 1 FROM balance_history h WHERE h.order_id = o.id AND h.type = 'PAYMENT' AND h.amount = o.payment_amount)`,
      ),
      eventsNotExactlyPaid: await this.value(
        `SELECT count(*) AS v FROM orders o WHERE (o.status = 'PAID') <> EXISTS (SELECT 1 FROM outbox e WHERE e.topic = 'order.paid' AND e.aggregate_id = o.id)`,
      ),
      couponsNotMatchingOrders: await this.value(
        `SELECT count(*) AS v FROM orders o WHERE o.coupon_id IS NOT NULL AND (o.status <> 'CANCELLED') <> EXISTS (SELECT 1 FROM coupon_issues ci WHERE ci.order_id = o.id)`,
      ),
      negativeBalance: await this.value(`SELECT count(*) AS v FROM users WHERE balance < 0`),
      couponsIssuedPastTotal: await this.value(
        `SELECT count(*) AS v FROM coupons c WHERE c.issued_quantity > c.total_quantity
                                              OR (SELECT count(*) FROM coupon_issues ci WHERE ci.coupon_id = c.id) > c.total_quantity`,
      ),
      couponCounterNotIssues: await this.value(
        `SELECT count(*) AS v FROM coupons c WHERE c.issued_quantity <> (SELECT count(*) FROM coupon_issues ci WHERE ci.coupon_id = c.id)`,
      ),
      couponsIssuedTwiceToOneUser: await this.value(
        `SELECT count(*) AS v FROM (SELECT 1 FROM coupon_issues GROUP BY coupon_id, user_id HAVING count(*) > 1) x`,
      ),
      couponIssuesUsedByTwoOrders: await this.value(
        `SELECT count(*) AS v FROM coupon_issues ci
         WHERE (SELECT count(*) FROM orders o WHERE o.coupon_id = ci.coupon_id AND o.user_id = ci.user_id AND o.status <> 'CANCELLED') > 1`,
      ),
      eventsDoubled: await this.value(
        `SELECT count(*) AS v FROM (SELECT aggregate_id FROM outbox WHERE topic = 'order.paid' GROUP BY aggregate_id HAVING count(*) > 1) x`,
      ),
    };
  }

  /**
   * The whole-database audit of SPEC section 4 as report lines: each invariant with its figures and
   * whether it holds (the violations are those of `invariantViolations`).
   */
  async audit(): Promise<AuditLine[]> {
    const v = await this.invariantViolations();
    const [stock] = await this.rows<Record<string, string>>(
      `SELECT count(*) AS products, coalesce(sum(stock), 0) AS left,
              (SELECT coalesce(sum(delta), 0) FROM stock_movements WHERE kind IN ('INITIAL', 'ADMIN_SET', 'ADMIN_DELTA')) AS supplied,
              (SELECT coalesce(sum(i.quantity), 0) FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.status = 'PAID') AS sold,
              (SELECT coalesce(sum(i.quantity), 0) FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.status IN ('CREATED', 'PAYMENT_FAILED')) AS held
       FROM products`,
    );
    const [money] = await this.rows<Record<string, string>>(
      `SELECT count(*) AS users, coalesce(sum(balance), 0) AS balance,
              (SELECT count(*) FROM balance_history WHERE type = 'CHARGE') AS charges,
              (SELECT count(*) FROM balance_history WHERE type = 'PAYMENT') AS payments
       FROM users`,
    );
    const [coupons] = await this.rows<Record<string, string>>(
      `SELECT count(*) AS coupons, coalesce(sum(total_quantity), 0) AS total, coalesce(sum(issued_quantity), 0) AS issued,
              (SELECT count(*) FROM coupon_issues WHERE order_id IS NOT NULL) AS used
       FROM coupons`,
    );
    const statuses = await this.rows<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM orders GROUP BY status ORDER BY status`);
    const [events] = await this.rows<Record<string, string>>(
      `SELECT count(*) AS events, count(*) FILTER (WHERE sent_at IS NULL) AS unsent FROM outbox WHERE topic = 'order.paid'`,
    );
    const n = (x: unknown) => Number(x).toLocaleString('en-US');
    const bad = (...keys: string[]) => keys.reduce((sum, k) => sum + (v[k] ?? 0), 0);
    return [
      {
        invariant: 'stock',
        ok: bad('negativeStock', 'stockNotSumOfMovements', 'stockNotSuppliedMinusSoldMinusHeld') === 0,
        text:
          `${n(v['negativeStock'])} oversold, sold ${n(stock!['sold'])} + held ${n(stock!['held'])} + left ${n(stock!['left'])} = supplied ${n(stock!['supplied'])}; ` +
          `${n(v['stockNotSuppliedMinusSoldMinusHeld'])} of ${n(stock!['products'])} products off, ${n(v['stockNotSumOfMovements'])} not the sum of their movements`,
      },
      {
        invariant: 'balance',
        ok: bad('balanceNotLedger', 'negativeBalance', 'ordersPaidTwice', 'paidWithoutPayment') === 0,
        text:
          `ledger = balance for ${n(Number(money!['users']) - v['balanceNotLedger']!)} of ${n(money!['users'])} users, ${n(v['negativeBalance'])} negative; ` +
          `${n(money!['payments'])} payments, ${n(v['ordersPaidTwice'])} orders paid twice, ${n(v['paidWithoutPayment'])} PAID without exactly their payment`,
      },
      {
        invariant: 'coupons',
        ok: bad('couponsIssuedPastTotal', 'couponCounterNotIssues', 'couponsIssuedTwiceToOneUser', 'couponIssuesUsedByTwoOrders', 'couponsNotMatchingOrders') === 0,
        text:
          `issued ${n(coupons!['issued'])} <= total ${n(coupons!['total'])} for ${n(coupons!['coupons'])} coupons (${n(v['couponsIssuedPastTotal'])} past it, ` +
          `${n(v['couponCounterNotIssues'])} counters off), ${n(v['couponsIssuedTwiceToOneUser'])} issued twice to a user, ` +
          `${n(coupons!['used'])} used, ${n(v['couponIssuesUsedByTwoOrders'])} by two orders, ${n(v['couponsNotMatchingOrders'])} orders without their coupon`,
      },
      {
        invariant: 'outbox',
        ok: bad('eventsNotExactlyPaid', 'eventsDoubled') === 0,
        text:
          `${n(events!['events'])} order.paid events for ${statuses.map((s) => `${n(s.n)} ${s.status}`).join(', ') || 'no orders'}; ` +
          `${n(v['eventsNotExactlyPaid'])} orders with an event iff not PAID, ${n(v['eventsDoubled'])} doubled, ${n(events!['unsent'])} unsent`,
      },
    ];
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

export const NO_VIOLATIONS = {
  stockNotSumOfMovements: 0,
  stockNotSuppliedMinusSoldMinusHeld: 0,
  negativeStock: 0,
  balanceNotLedger: 0,
  ordersPaidTwice: 0,
  paidWithoutPayment: 0,
  eventsNotExactlyPaid: 0,
  couponsNotMatchingOrders: 0,
  negativeBalance: 0,
  couponsIssuedPastTotal: 0,
  couponCounterNotIssues: 0,
  couponsIssuedTwiceToOneUser: 0,
  couponIssuesUsedByTwoOrders: 0,
  eventsDoubled: 0,
};

export interface AuditLine {
  /** stock, balance, coupons, outbox, and the harness's own (data platform, charges...). */
  invariant: string;
  ok: boolean;
  text: string;
}

/** Creates a product through an instance's admin API. */
export async function createProduct(baseUrl: string, token: string, p: { name?: string; price: number; stock: number }) {
  const r = await http(baseUrl, 'POST', '/api/v1/admin/products', { name: 'item', ...p }, { authorization: `Bearer ${token}` });
  if (r.status !== 201) throw new Error(`product not created: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { id: number; stock: number; price: number };
}
