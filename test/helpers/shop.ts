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
   * SPEC invariants 1 and 2 over the whole database: every product's stock is the sum of its
   * movements and equals supplied - sold - held; every balance equals its ledger; no order paid twice.
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
    };
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
};

/** Creates a product through an instance's admin API. */
export async function createProduct(baseUrl: string, token: string, p: { name?: string; price: number; stock: number }) {
  const r = await http(baseUrl, 'POST', '/api/v1/admin/products', { name: 'item', ...p }, { authorization: `Bearer ${token}` });
  if (r.status !== 201) throw new Error(`product not created: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { id: number; stock: number; price: number };
}
