import type { Db } from '../../platform/db/db.js';
import { UserNotFoundError } from './users.errors.js';
import { findUserById, insertUser, userExists, type UserRow } from './users.repo.js';

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

/** The user, or USER_NOT_FOUND. */
export async function getUser(db: Db, userId: number): Promise<UserRow> {
  const row = await findUserById(db, userId);
  if (!row) throw new UserNotFoundError(userId);
  return row;
}

/** Throws USER_NOT_FOUND unless the user exists. */
export async function assertUserExists(db: Db, userId: number): Promise<void> {
  if (!(await userExists(db, userId))) throw new UserNotFoundError(userId);
}
