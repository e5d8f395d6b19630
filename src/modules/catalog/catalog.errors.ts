import { AppError } from '../../platform/http/errors.js';

export class ProductNotFoundError extends AppError {
  constructor(productId: number) {
    super('PRODUCT_NOT_FOUND', `Product ${productId} not found`, { productId });
  }
}

export class OutOfStockError extends AppError {
  constructor(details: { productId: number; requested: number; available: number }) {
    super('OUT_OF_STOCK', `Only ${details.available} of product ${details.productId} left, ${details.requested} requested`, details);
  }
}
