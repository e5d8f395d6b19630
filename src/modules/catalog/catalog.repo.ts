import { asc, eq, gt, sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../platform/db/db.js';
import { batchedById, type ByIdLookup } from '../../platform/db/prepared.js';
import { products } from './catalog.tables.js';

export interface ProductRow {
  id: number;
  name: string;
  price: number;
  stock: number;
}

const columns = { id: products.id, name: products.name, price: products.price, stock: products.stock };

export async function findProductById(db: Db, id: number): Promise<ProductRow | undefined> {
  const [row] = await db.select(columns).from(products).where(eq(products.id, id)).limit(1);
  return row;
}

/**
 * The product as committed when the lookup runs; lookups arriving in the same tick share one
 * statement (batchedById). Only for the root handle, never inside a transaction.
 */
export const productsById: ByIdLookup<ProductRow> = batchedById('catalog_products_by_ids', products, columns);

/** Products after `afterId` by id; one more than `limit` is read to know whether a next page exists. */
export async function listProductsAfter(db: Db, afterId: number, limit: number): Promise<ProductRow[]> {
  return db.select(columns).from(products).where(gt(products.id, afterId)).orderBy(asc(products.id)).limit(limit + 1);
}

/** Creates a product and records its opening stock as supply, in one statement. */
export async function insertProduct(db: Db, p: { name: string; price: number; stock: number }): Promise<ProductRow> {
  const [row] = await queryRows<ProductRow>(
    db,
    sql`WITH p AS (
          INSERT INTO products (name, price, stock) VALUES (${p.name}, ${p.price}, ${p.stock}) RETURNING id, name, price, stock
        ), m AS (
          INSERT INTO stock_movements (product_id, kind, delta) SELECT id, 'INITIAL', stock FROM p WHERE stock > 0
        )
        SELECT id, name, price, stock FROM p`,
  );
  return toProductRow(row!);
}

export async function updatePrice(db: Db, id: number, price: number): Promise<ProductRow | undefined> {
  const [row] = await db.update(products).set({ price, updatedAt: sql`now()` }).where(eq(products.id, id)).returning(columns);
  return row;
}

/**
 * Sets the stock (and maybe the price). The row is locked and read in the same statement, so the
 * movement's delta is measured from the stock it really replaced, reservations included.
 */
export async function setStock(db: Db, id: number, stock: number, price: number | undefined): Promise<ProductRow | undefined> {
  const [row] = await queryRows<ProductRow>(
    db,
    sql`WITH old AS (
          SELECT id, stock FROM products WHERE id = ${id} FOR UPDATE
        ), upd AS (
          UPDATE products p SET stock = ${stock}, price = coalesce(${price ?? null}::bigint, p.price), updated_at = now()
          FROM old WHERE p.id = old.id
          RETURNING p.id, p.name, p.price, p.stock, old.stock AS before
        ), m AS (
          INSERT INTO stock_movements (product_id, kind, delta) SELECT id, 'ADMIN_SET', stock - before FROM upd WHERE stock <> before
        )
        SELECT id, name, price, stock FROM upd`,
  );
  return row && toProductRow(row);
}

/**
 * Adds `delta` (negative removes) if the result stays within 0..max; no row back means the product
 * is missing or the stock would leave that range. Relative, so it never erases a reservation.
 */
export async function addStock(db: Db, id: number, delta: number, max: number, price: number | undefined): Promise<ProductRow | undefined> {
  const [row] = await queryRows<ProductRow>(
    db,
    sql`WITH upd AS (
          UPDATE products SET stock = stock + ${delta}::int, price = coalesce(${price ?? null}::bigint, price), updated_at = now()
          WHERE id = ${id} AND stock::bigint + ${delta}::bigint BETWEEN 0 AND ${max}::bigint
          RETURNING id, name, price, stock
        ), m AS (
          INSERT INTO stock_movements (product_id, kind, delta) SELECT id, 'ADMIN_DELTA', ${delta}::int FROM upd WHERE ${delta}::int <> 0
        )
        SELECT id, name, price, stock FROM upd`,
  );
  return row && toProductRow(row);
}

const toProductRow = (r: ProductRow): ProductRow => ({ id: Number(r.id), name: r.name, price: Number(r.price), stock: Number(r.stock) });
