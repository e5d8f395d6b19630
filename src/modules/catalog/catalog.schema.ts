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
export const MAX_STOCK = 2_000_000_000;
const Stock = Type.Integer({ minimum: 0, maximum: MAX_STOCK });

export const CreateProductBody = Type.Object({ name: Name, price: Price, stock: Stock });
export type CreateProductBody = Static<typeof CreateProductBody>;

export const PatchProductBody = Type.Object(
  {
    price: Type.Optional(Price),
    stock: Type.Optional({ ...Stock, description: 'sets the stock; not together with stockDelta' }),
    stockDelta: Type.Optional(
      Type.Integer({
        minimum: -MAX_STOCK,
        maximum: MAX_STOCK,
        description: 'adds to the stock (negative removes; 409 OUT_OF_STOCK below 0); not together with stock',
      }),
    ),
  },
  { additionalProperties: false, description: 'Only these fields; `stock` and `stockDelta` together is 400.' },
);
export type PatchProductBody = Static<typeof PatchProductBody>;
