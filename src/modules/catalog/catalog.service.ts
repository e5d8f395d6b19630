import type { Db } from '../../platform/db/db.js';
import type { Done } from '../../shared/batcher.js';
import { ProductNotFoundError } from './catalog.errors.js';
import { ValidationError } from '../../platform/http/errors.js';
import { addStock, findProductById, insertProduct, listProductsAfter, productsById, setStock, updatePrice, type ProductRow } from './catalog.repo.js';
import { MAX_STOCK } from './catalog.schema.js';
import { OutOfStockError } from './catalog.errors.js';

export interface ProductPatch {
  price?: number;
  stock?: number;
  stockDelta?: number;
}

export type ProductView = ProductRow;

export interface ProductPage {
  items: ProductView[];
  nextCursor: string | null;
}

/**
 * The product with its stock as committed at this moment (never cached), answered to `done`
 * (`ProductNotFoundError` when there is none). A callback, not a promise: this is the hottest
 * read there is, and a promise per request was measurable in its CPU profile.
 */
export function readProduct(db: Db, productId: number, done: Done<ProductView>): void {
  productsById.loadWith(db, productId, (err, row) => {
    if (err !== null) done(err);
    else if (row === undefined) done(new ProductNotFoundError(productId));
    else done(null, row);
  });
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

/**
 * Changes the price and/or the stock: `stock` sets it, `stockDelta` adds to it (safe during a sale:
 * it never overwrites reservations made meanwhile). Every stock change is recorded as a movement.
 */
export async function changeProduct(db: Db, productId: number, patch: ProductPatch): Promise<ProductView> {
  if (patch.stock !== undefined && patch.stockDelta !== undefined) {
    throw new ValidationError('Give either stock (sets it) or stockDelta (adds to it), not both', {
      issues: [{ field: 'body', message: 'stock and stockDelta are mutually exclusive' }],
    });
  }
  let row: ProductRow | undefined;
  if (patch.stock !== undefined) row = await setStock(db, productId, patch.stock, patch.price);
  else if (patch.stockDelta !== undefined) {
    row = await addStock(db, productId, patch.stockDelta, MAX_STOCK, patch.price);
    if (!row) {
      const current = await findProductById(db, productId);
      if (current && current.stock + patch.stockDelta < 0) {
        throw new OutOfStockError({ productId, requested: -patch.stockDelta, available: current.stock });
      }
      if (current) throw new ValidationError(`The stock would exceed ${MAX_STOCK}`, { productId, stock: current.stock, stockDelta: patch.stockDelta });
    }
  } else if (patch.price !== undefined) row = await updatePrice(db, productId, patch.price);
  else row = await findProductById(db, productId);
  if (!row) throw new ProductNotFoundError(productId);
  return row;
}
