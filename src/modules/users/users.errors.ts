import { AppError } from '../../platform/http/errors.js';

export class UserNotFoundError extends AppError {
  constructor(userId: number) {
    super('USER_NOT_FOUND', `User ${userId} not found`, { userId });
  }
}
