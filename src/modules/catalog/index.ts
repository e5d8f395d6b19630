export { catalogRoutes } from './catalog.routes.js';
export { changeProduct, createProduct, getProduct, type ProductView } from './catalog.service.js';
export { ProductNotFoundError } from './catalog.errors.js';
export { CreateProductBody, PatchProductBody, Product, ProductParams } from './catalog.schema.js';
export { products } from './catalog.tables.js';
