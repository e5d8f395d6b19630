import { Type, type Static } from 'typebox';
import { Id, Money, Text } from '../../platform/http/schemas.js';

export const CreateUserBody = Type.Object({
  name: Text(30),
});
export type CreateUserBody = Static<typeof CreateUserBody>;

export const UserParams = Type.Object({ userId: Id });
export type UserParams = Static<typeof UserParams>;

export const UserBalance = Type.Object({ userId: Id, name: Type.String(), balance: Money }, { $id: 'UserBalance' });
