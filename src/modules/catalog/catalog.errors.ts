import { AppError } from '../../platform/http/errors.js';

export class ProductNotFoundError extends AppError {
  constructor(productId: number) {
    super('PRODUCT_NOT_FOUND', `Product ${productId} not found`, { productId });
  }
}
