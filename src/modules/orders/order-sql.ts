import { sql, type SQL } from 'drizzle-orm';
import { UNPAID } from './order-state.js';

/** `'CREATED', 'PAYMENT_FAILED'`: the unpaid states, for `status IN (…)`. Constants, never input. */
export const UNPAID_LIST = sql.raw(UNPAID.map((s) => `'${s}'`).join(', '));

/**
 * A timestamp as the ISO-8601 UTC text the API answers with, formatted by the database so that
 * nothing is parsed in JavaScript after the commit.
 */
export const isoText = (column: SQL | string): SQL =>
  sql`to_char((${typeof column === 'string' ? sql.raw(column) : column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The `order.paid` event's payload, built from a CTE named `paid_order` (the order's columns and
 * an `items` jsonb array) and one named `event_key` (its `event_id`).
 */
export const ORDER_PAID_EVENT = sql`
  INSERT INTO outbox (event_id, topic, aggregate_id, payload)
  SELECT k.event_id, 'order.paid', o.id, jsonb_build_object(
    'eventId', k.event_id, 'orderId', o.id, 'orderNumber', o.order_number, 'userId', o.user_id,
    'items', o.items, 'itemAmount', o.item_amount, 'shippingAmount', o.shipping_amount,
    'discountAmount', o.discount_amount, 'paymentAmount', o.payment_amount, 'paidAt', ${isoText('o.paid_at')})
  FROM paid_order o, event_key k`;

/** An order line as the API and the event show it, from columns named like order_items'. */
export const ITEM_JSON = sql`jsonb_build_object('productId', product_id, 'name', product_name, 'unitPrice', unit_price,
  'quantity', quantity, 'amount', amount)`;
