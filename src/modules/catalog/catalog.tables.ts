import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgTable, timestamp, varchar } from 'drizzle-orm/pg-core';

export const products = pgTable(
  'products',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    name: varchar('name', { length: 100 }).notNull(),
    price: bigint('price', { mode: 'number' }).notNull(),
    stock: integer('stock').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    check('products_price_positive', sql`${t.price} > 0`),
    check('products_stock_non_negative', sql`${t.stock} >= 0`),
  ],
);

/** Where supply comes from (an operator) and where it goes (an order holds it, or gives it back). */
export const STOCK_SUPPLY_KINDS = ['INITIAL', 'ADMIN_SET', 'ADMIN_DELTA'] as const;
export const STOCK_MOVEMENT_KINDS = [...STOCK_SUPPLY_KINDS, 'RESERVE', 'RELEASE'] as const;
export type StockMovementKind = (typeof STOCK_MOVEMENT_KINDS)[number];

/**
 * Every change of a product's stock, written in the same statement as the change: the stock is
 * always the sum of its movements, and supplied - sold - held = stock can be checked from the data.
 */
export const stockMovements = pgTable(
  'stock_movements',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    productId: bigint('product_id', { mode: 'number' })
      .notNull()
      .references(() => products.id),
    kind: varchar('kind', { length: 20, enum: STOCK_MOVEMENT_KINDS }).notNull(),
    /** Signed: positive adds to the stock, negative takes from it. */
    delta: integer('delta').notNull(),
    /** The order that reserved or released, for RESERVE and RELEASE. */
    orderId: bigint('order_id', { mode: 'number' }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index('stock_movements_product_idx').on(t.productId, t.id),
    check('stock_movements_kind_valid', sql`${t.kind} IN ('INITIAL', 'ADMIN_SET', 'ADMIN_DELTA', 'RESERVE', 'RELEASE')`),
    check('stock_movements_delta_nonzero', sql`${t.delta} <> 0`),
    check(
      'stock_movements_order_kinds',
      sql`(${t.kind} IN ('RESERVE', 'RELEASE')) = (${t.orderId} IS NOT NULL)
          AND (${t.kind} <> 'RESERVE' OR ${t.delta} < 0) AND (${t.kind} <> 'RELEASE' OR ${t.delta} > 0)`,
    ),
  ],
);
