import { AppError } from '../../platform/http/errors.js';

export class OrderNotFoundError extends AppError {
  constructor(orderId: number) {
    super('ORDER_NOT_FOUND', `Order ${orderId} not found`, { orderId });
  }
}

export class OrderNotPayableError extends AppError {
  constructor(orderId: number, status: string, reason: 'CANCELLED' | 'EXPIRED') {
    super('ORDER_NOT_PAYABLE', reason === 'CANCELLED' ? `Order ${orderId} was cancelled` : `Order ${orderId} is past its hold and is being cancelled`, {
      orderId,
      status,
      reason,
    });
  }
}

export type CouponRefusal = 'NOT_OWNED' | 'USED' | 'EXPIRED' | 'MINIMUM_NOT_MET';

const COUPON_REFUSALS: Record<CouponRefusal, string> = {
  NOT_OWNED: 'the user does not hold it',
  USED: 'it was already used',
  EXPIRED: 'it has expired',
  MINIMUM_NOT_MET: 'the order is below its minimum amount',
};

export class CouponNotUsableError extends AppError {
  constructor(couponId: number, reason: CouponRefusal, extra: Record<string, unknown> = {}) {
    super('COUPON_NOT_USABLE', `Coupon ${couponId} cannot be used: ${COUPON_REFUSALS[reason]}`, { couponId, reason, ...extra });
  }
}

export class DuplicateOrderLineError extends AppError {
  constructor(productId: number) {
    super('VALIDATION_ERROR', `Product ${productId} is listed more than once; give one line per product`, {
      issues: [{ field: 'body.products', message: `product ${productId} is listed more than once` }],
    });
  }
}

/** The 402 body: the order exists, unpaid, holding its stock and coupon until paid or cancelled. */
export function insufficientBalance(order: { orderId: number; paymentAmount: number }, balance: number) {
  return new AppError('INSUFFICIENT_BALANCE', `Balance ${balance} is short of the payment amount ${order.paymentAmount}`, {
    orderId: order.orderId,
    status: 'PAYMENT_FAILED',
    paymentAmount: order.paymentAmount,
    balance,
  });
}
