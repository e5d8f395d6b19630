import type { Db } from '../../platform/db/db.js';
import { UserNotFoundError } from './users.errors.js';
import { insertUser, userExists, type UserRow } from './users.repo.js';

export interface UserView {
  userId: number;
  name: string;
  balance: number;
}

export const toUserView = (row: Pick<UserRow, 'id' | 'name' | 'balance'>): UserView => ({
  userId: row.id,
  name: row.name,
  balance: row.balance,
});

/** Registers a user with a zero balance. */
export async function createUser(db: Db, name: string): Promise<UserView> {
  return toUserView(await insertUser(db, name));
}

/** Throws USER_NOT_FOUND unless the user exists. */
export async function assertUserExists(db: Db, userId: number): Promise<void> {
  if (!(await userExists(db, userId))) throw new UserNotFoundError(userId);
}
