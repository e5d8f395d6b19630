import type { Db } from '../../platform/db/db.js';
import { ProductNotFoundError } from './catalog.errors.js';
import { findProductById, insertProduct, listProductsAfter, loadProduct, updateProduct, type ProductRow } from './catalog.repo.js';

export type ProductView = ProductRow;

export interface ProductPage {
  items: ProductView[];
  nextCursor: string | null;
}

/** The product with its stock as committed at this moment (never cached). */
export async function getProduct(db: Db, productId: number): Promise<ProductView> {
  const row = await loadProduct(db, productId);
  if (!row) throw new ProductNotFoundError(productId);
  return row;
}

/** Products by id; the cursor is the last id of the previous page, so pages stay stable under inserts. */
export async function listProducts(db: Db, cursor: string | undefined, limit: number): Promise<ProductPage> {
  const rows = await listProductsAfter(db, cursor === undefined ? 0 : Number(cursor), limit);
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  return { items, nextCursor: hasMore ? String(items[items.length - 1]!.id) : null };
}

export function createProduct(db: Db, input: { name: string; price: number; stock: number }): Promise<ProductView> {
  return insertProduct(db, input);
}

/** Changes price and/or stock; stock is set, not added, and can never go below zero. */
export async function changeProduct(db: Db, productId: number, patch: { price?: number; stock?: number }): Promise<ProductView> {
  const row = Object.keys(patch).length === 0 ? await findProductById(db, productId) : await updateProduct(db, productId, patch);
  if (!row) throw new ProductNotFoundError(productId);
  return row;
}
