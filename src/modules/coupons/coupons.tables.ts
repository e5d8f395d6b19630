import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgTable, timestamp, unique, uniqueIndex, varchar } from 'drizzle-orm/pg-core';
import { users } from '../users/users.tables.js';

export const coupons = pgTable(
  'coupons',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    name: varchar('name', { length: 30 }).notNull(),
    code: varchar('code', { length: 20 }).notNull().unique('coupons_code_unique'),
    discountType: varchar('discount_type', { length: 10, enum: ['FIXED', 'PERCENTAGE'] }).notNull(),
    discountValue: bigint('discount_value', { mode: 'number' }).notNull(),
    minimumOrderAmount: bigint('minimum_order_amount', { mode: 'number' }).notNull().default(0),
    maxDiscountAmount: bigint('max_discount_amount', { mode: 'number' }),
    totalQuantity: integer('total_quantity').notNull(),
    /** How many have been issued: only ever raised by a conditional UPDATE that keeps it <= total. */
    issuedQuantity: integer('issued_quantity').notNull().default(0),
    issueStartAt: timestamp('issue_start_at', { withTimezone: true, precision: 3 }).notNull(),
    issueEndAt: timestamp('issue_end_at', { withTimezone: true, precision: 3 }).notNull(),
    validityDays: integer('validity_days').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    check('coupons_discount_type_valid', sql`${t.discountType} IN ('FIXED', 'PERCENTAGE')`),
    check('coupons_discount_value_valid', sql`${t.discountValue} > 0 AND (${t.discountType} = 'FIXED' OR ${t.discountValue} <= 100)`),
    check('coupons_minimum_non_negative', sql`${t.minimumOrderAmount} >= 0`),
    check('coupons_max_discount_valid', sql`${t.maxDiscountAmount} IS NULL OR (${t.maxDiscountAmount} >= 0 AND ${t.discountType} = 'PERCENTAGE')`),
    check('coupons_quantity_valid', sql`${t.totalQuantity} > 0 AND ${t.issuedQuantity} >= 0 AND ${t.issuedQuantity} <= ${t.totalQuantity}`),
    check('coupons_window_valid', sql`${t.issueEndAt} > ${t.issueStartAt}`),
    check('coupons_validity_positive', sql`${t.validityDays} > 0`),
  ],
);

/** One row per coupon a user holds; the unique key makes a second issue to the same user impossible. */
export const couponIssues = pgTable(
  'coupon_issues',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    couponId: bigint('coupon_id', { mode: 'number' })
      .notNull()
      .references(() => coupons.id),
    userId: bigint('user_id', { mode: 'number' })
      .notNull()
      .references(() => users.id),
    issuedAt: timestamp('issued_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true, precision: 3 }),
    /** The order that used it: at most one, set together with used_at. */
    orderId: bigint('order_id', { mode: 'number' }),
  },
  (t) => [
    unique('coupon_issues_coupon_user_unique').on(t.couponId, t.userId),
    index('coupon_issues_user_idx').on(t.userId, t.id),
    // An order uses at most one coupon, and the sweeper finds it by order when it gives it back.
    uniqueIndex('coupon_issues_order_unique').on(t.orderId).where(sql`${t.orderId} IS NOT NULL`),
    check('coupon_issues_expiry_after_issue', sql`${t.expiresAt} > ${t.issuedAt}`),
    check('coupon_issues_used_with_order', sql`(${t.usedAt} IS NULL) = (${t.orderId} IS NULL)`),
  ],
);
