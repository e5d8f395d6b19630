import type { OrderStatus } from './orders.tables.js';

/**
 * The order state machine as data. Placing an order creates it and pays it in one statement, so
 * CREATED is left at once for PAID or PAYMENT_FAILED; the SQL guards each move with
 * `WHERE status IN (…from)`, and these lists are the only source of those lists.
 */
export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  CREATED: ['PAID', 'PAYMENT_FAILED', 'CANCELLED'],
  PAYMENT_FAILED: ['PAID', 'PAYMENT_FAILED', 'CANCELLED'],
  PAID: [],
  CANCELLED: [],
};

/** The states from which `to` can be reached. */
export function statesLeadingTo(to: OrderStatus): OrderStatus[] {
  return (Object.keys(TRANSITIONS) as OrderStatus[]).filter((from) => TRANSITIONS[from].includes(to));
}

/** Unpaid orders hold stock and a coupon; they can still be paid, or be cancelled when their hold ends. */
export const UNPAID: readonly OrderStatus[] = statesLeadingTo('PAID');
