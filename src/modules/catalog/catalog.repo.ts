import { asc, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/db.js';
import { batchedById } from '../../platform/db/prepared.js';
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
 * prepared `id = ANY(…)` query. Only for the root handle, never inside a transaction.
 */
export const loadProduct = batchedById((db) =>
  db
    .select(columns)
    .from(products)
    .where(sql`${products.id} = ANY(${sql.placeholder('ids')})`)
    .prepare('catalog_products_by_ids'),
);

/** Products after `afterId` by id; one more than `limit` is read to know whether a next page exists. */
export async function listProductsAfter(db: Db, afterId: number, limit: number): Promise<ProductRow[]> {
  return db.select(columns).from(products).where(gt(products.id, afterId)).orderBy(asc(products.id)).limit(limit + 1);
}

export async function insertProduct(db: Db, p: { name: string; price: number; stock: number }): Promise<ProductRow> {
  const [row] = await db.insert(products).values(p).returning(columns);
  return row!;
}

/** Sets price and/or stock in one statement; undefined when the product does not exist. */
export async function updateProduct(db: Db, id: number, patch: { price?: number; stock?: number }): Promise<ProductRow | undefined> {
  const [row] = await db
    .update(products)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(products.id, id))
    .returning(columns);
  return row;
}
