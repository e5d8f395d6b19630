import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgTable, timestamp, unique, varchar } from 'drizzle-orm/pg-core';
import { coupons } from '../coupons/coupons.tables.js';
import { products } from '../catalog/catalog.tables.js';
import { users } from '../users/users.tables.js';

export const ORDER_STATUSES = ['CREATED', 'PAID', 'PAYMENT_FAILED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** An order and its money; the amounts are fixed when it is placed and the constraints keep them consistent. */
export const orders = pgTable(
  'orders',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    orderNumber: varchar('order_number', { length: 40 }).notNull().unique('orders_order_number_unique'),
    userId: bigint('user_id', { mode: 'number' })
      .notNull()
      .references(() => users.id),
    status: varchar('status', { length: 20, enum: ORDER_STATUSES }).notNull(),
    itemAmount: bigint('item_amount', { mode: 'number' }).notNull(),
    shippingAmount: bigint('shipping_amount', { mode: 'number' }).notNull(),
    discountAmount: bigint('discount_amount', { mode: 'number' }).notNull(),
    paymentAmount: bigint('payment_amount', { mode: 'number' }).notNull(),
    couponId: bigint('coupon_id', { mode: 'number' }).references(() => coupons.id),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /** Unpaid orders hold their stock and coupon until this instant, then the sweeper cancels them. */
    holdUntil: timestamp('hold_until', { withTimezone: true, precision: 3 }).notNull(),
    paidAt: timestamp('paid_at', { withTimezone: true, precision: 3 }),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true, precision: 3 }),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index('orders_user_id_idx').on(t.userId, t.id.desc()),
    // The sweeper's queue: only unpaid orders are in it, oldest hold first.
    index('orders_unpaid_hold_idx').on(t.holdUntil).where(sql`${t.status} IN ('CREATED', 'PAYMENT_FAILED')`),
    // The popular-products batch reads paid orders by time of payment (added with popular, migration 0005).
    index('orders_paid_at_idx').on(t.paidAt).where(sql`${t.status} = 'PAID'`),
    check('orders_status_valid', sql`${t.status} IN ('CREATED', 'PAID', 'PAYMENT_FAILED', 'CANCELLED')`),
    check(
      'orders_amounts_valid',
      sql`${t.itemAmount} > 0 AND ${t.shippingAmount} >= 0 AND ${t.discountAmount} >= 0 AND ${t.discountAmount} <= ${t.itemAmount}
          AND ${t.paymentAmount} = ${t.itemAmount} - ${t.discountAmount} + ${t.shippingAmount}`,
    ),
    check('orders_paid_at_iff_paid', sql`(${t.status} = 'PAID') = (${t.paidAt} IS NOT NULL)`),
    check('orders_cancelled_at_iff_cancelled', sql`(${t.status} = 'CANCELLED') = (${t.cancelledAt} IS NOT NULL)`),
  ],
);

/** The lines of an order, with the product's name and price as they were when it was placed. */
export const orderItems = pgTable(
  'order_items',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    orderId: bigint('order_id', { mode: 'number' })
      .notNull()
      .references(() => orders.id),
    productId: bigint('product_id', { mode: 'number' })
      .notNull()
      .references(() => products.id),
    productName: varchar('product_name', { length: 100 }).notNull(),
    unitPrice: bigint('unit_price', { mode: 'number' }).notNull(),
    quantity: integer('quantity').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
  },
  (t) => [
    unique('order_items_order_product_unique').on(t.orderId, t.productId),
    check('order_items_quantity_positive', sql`${t.quantity} > 0`),
    check('order_items_amount_valid', sql`${t.unitPrice} > 0 AND ${t.amount} = ${t.unitPrice} * ${t.quantity}`),
  ],
);
