export { catalogRoutes } from './catalog.routes.js';
export { changeProduct, createProduct, type ProductView } from './catalog.service.js';
export { OutOfStockError, ProductNotFoundError } from './catalog.errors.js';
export { CreateProductBody, PatchProductBody, Product, ProductParams } from './catalog.schema.js';
export { products, stockMovements, STOCK_SUPPLY_KINDS } from './catalog.tables.js';
