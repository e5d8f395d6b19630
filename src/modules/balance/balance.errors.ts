import { AppError } from '../../platform/http/errors.js';

export class BalanceLimitExceededError extends AppError {
  constructor(details: { userId: number; balance: number; amount: number; maxBalance: number }) {
    super('BALANCE_LIMIT_EXCEEDED', `Charging ${details.amount} would take the balance past ${details.maxBalance}`, details);
  }
}
