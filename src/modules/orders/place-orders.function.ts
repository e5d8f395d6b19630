import type { Placeholder } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { PLACE_ORDER_SQL } from './place-order.repo.js';

/**
 * The SQL of `place_orders(orders jsonb, shipping_fee, threshold, hold_seconds)`: several orders
 * in one transaction and one round trip. It locks every row the orders may change up front, in the
 * global order (unused coupon issues, users, products, each by id), then runs the one-order
 * statement ({@link PLACE_ORDER_SQL}, the same text) for each order in turn, each on a fresh
 * snapshot that sees the orders before it. So a hot product's row is locked and committed once
 * for the whole batch instead of once per order, and the checks stay exact: nobody else can
 * change the locked rows until the commit, so no order needs a retry.
 *
 * The migration that creates it (drizzle/0006_place_orders_batch.sql) is generated from this
 * text (`npm run db:generate-functions`), and a test keeps the two equal.
 * Each order is `{"u": userId, "c": couponId | null, "i": [productId…], "q": [quantity…]}`.
 */
export function placeOrdersFunctionSql(): string {
  const query = new PgDialect().sqlToQuery(PLACE_ORDER_SQL);
  const names = query.params.map((p) => (p as Placeholder).name);
  const text = query.sql.replace(/\$(\d+)/g, (_, n: string) => `v_${names[Number(n) - 1]!}`);
  // The statement's final SELECT becomes one jsonb row: RETURN QUERY wants the WITH at the top.
  const cut = text.lastIndexOf('\n    SELECT EXISTS');
  if (cut < 0) throw new Error('PLACE_ORDER_SQL no longer ends with its SELECT EXISTS row');
  const statement = `${text.slice(0, cut)}\n    SELECT to_jsonb(answer) FROM (${text.slice(cut).trim()}) answer`;
  return `CREATE OR REPLACE FUNCTION place_orders(p_orders jsonb, p_shipping_fee bigint, p_threshold bigint, p_hold_seconds double precision)
RETURNS SETOF jsonb LANGUAGE plpgsql AS $place_orders$
DECLARE
  o jsonb;
  v_ids bigint[];
  v_qtys int[];
  v_lineCount int;
  v_userId bigint;
  v_couponId bigint;
  v_shippingFee bigint := p_shipping_fee;
  v_threshold bigint := p_threshold;
  v_holdSeconds double precision := p_hold_seconds;
BEGIN
  -- Everything the orders may change, locked first and in the global order. Used coupon issues
  -- are left alone (an order never takes one; the expiry sweeper may be releasing it).
  PERFORM 1 FROM coupon_issues ci
    WHERE (ci.coupon_id, ci.user_id) IN (SELECT (e->>'c')::bigint, (e->>'u')::bigint FROM jsonb_array_elements(p_orders) e WHERE e->>'c' IS NOT NULL)
      AND ci.used_at IS NULL
    ORDER BY ci.id FOR UPDATE;
  PERFORM 1 FROM users WHERE id IN (SELECT (e->>'u')::bigint FROM jsonb_array_elements(p_orders) e) ORDER BY id FOR UPDATE;
  PERFORM 1 FROM products WHERE id IN (SELECT x::bigint FROM jsonb_array_elements(p_orders) e, jsonb_array_elements_text(e->'i') x)
    ORDER BY id FOR UPDATE;
  FOR o IN SELECT value FROM jsonb_array_elements(p_orders) LOOP
    v_userId := (o->>'u')::bigint;
    v_couponId := (o->>'c')::bigint;
    v_ids := ARRAY(SELECT x::bigint FROM jsonb_array_elements_text(o->'i') x);
    v_qtys := ARRAY(SELECT x::int FROM jsonb_array_elements_text(o->'q') x);
    v_lineCount := cardinality(v_ids);
    RETURN QUERY ${statement};
  END LOOP;
END
$place_orders$;
`;
}
