import { Type, type Static } from 'typebox';
import { Id, Money } from '../../platform/http/schemas.js';

export const CreateUserBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 30, pattern: '\\S' }),
});
export type CreateUserBody = Static<typeof CreateUserBody>;

export const UserParams = Type.Object({ userId: Id });
export type UserParams = Static<typeof UserParams>;

export const UserBalance = Type.Object({ userId: Id, name: Type.String(), balance: Money }, { $id: 'UserBalance' });
