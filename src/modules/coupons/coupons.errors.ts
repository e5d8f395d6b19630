import { AppError } from '../../platform/http/errors.js';

export class CouponNotFoundError extends AppError {
  constructor(couponId: number) {
    super('COUPON_NOT_FOUND', `Coupon ${couponId} not found`, { couponId });
  }
}

export class CouponNotActiveError extends AppError {
  constructor(couponId: number, issueStartAt: string, issueEndAt: string) {
    super('COUPON_NOT_ACTIVE', `Coupon ${couponId} can only be issued from ${issueStartAt} until ${issueEndAt}`, {
      couponId,
      issueStartAt,
      issueEndAt,
    });
  }
}

export class CouponAlreadyIssuedError extends AppError {
  constructor(couponId: number, userId: number) {
    super('COUPON_ALREADY_ISSUED', `User ${userId} already holds coupon ${couponId}`, { couponId, userId });
  }
}

export class CouponSoldOutError extends AppError {
  constructor(couponId: number) {
    super('COUPON_SOLD_OUT', `Coupon ${couponId} is sold out`, { couponId });
  }
}
