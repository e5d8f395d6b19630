import { Type, type Static } from 'typebox';
import { Id, Money, Text } from '../../platform/http/schemas.js';

export const Product = Type.Object(
  {
    id: Id,
    name: Type.String(),
    price: Money,
    stock: Type.Integer({ minimum: 0 }),
  },
  { $id: 'Product' },
);

export const ProductParams = Type.Object({ productId: Id });
export type ProductParams = Static<typeof ProductParams>;

const Name = Text(100);
const Price = Type.Integer({ minimum: 1, maximum: 1_000_000_000 });
const Stock = Type.Integer({ minimum: 0, maximum: 2_000_000_000 });

export const CreateProductBody = Type.Object({ name: Name, price: Price, stock: Stock });
export type CreateProductBody = Static<typeof CreateProductBody>;

export const PatchProductBody = Type.Object({ price: Type.Optional(Price), stock: Type.Optional(Stock) });
export type PatchProductBody = Static<typeof PatchProductBody>;
