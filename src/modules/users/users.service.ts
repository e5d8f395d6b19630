import type { Db } from '../../platform/db/db.js';
import { UserNotFoundError } from './users.errors.js';
import { Batcher } from '../../shared/batcher.js';
import { existingUserIds, insertUser, userExists, type UserRow } from './users.repo.js';

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

/**
 * Existence checks for hot paths: lookups made in the same tick share one query. Users are never
 * deleted, so callers may remember a positive answer.
 */
export function userExistenceChecker(db: Db): (userId: number) => Promise<boolean> {
  const batcher = new Batcher<number, boolean>(
    async (ids) => new Map([...(await existingUserIds(db, ids))].map((id) => [id, true])),
    false,
  );
  return (userId) => batcher.get(userId);
}
