import type { Db } from '../../platform/db/db.js';
import { PgCode, pgCode, pgConstraint } from '../../platform/db/pg-errors.js';
import { ValidationError } from '../../platform/http/errors.js';
import { parseInstant } from '../../shared/time.js';
import { assertUserExists } from '../users/index.js';
import { insertCoupon, listUserCoupons, type CouponRow, type NewCoupon, type UserCouponRow } from './coupons.repo.js';

export interface CouponView {
  id: number;
  name: string;
  code: string;
  discountType: 'FIXED' | 'PERCENTAGE';
  discountValue: number;
  minimumOrderAmount: number;
  maxDiscountAmount: number | null;
  totalQuantity: number;
  issuedQuantity: number;
  issueStartAt: string;
  issueEndAt: string;
  validityDays: number;
}

export interface NewCouponInput {
  name: string;
  code: string;
  discountType: 'FIXED' | 'PERCENTAGE';
  discountValue: number;
  minimumOrderAmount?: number;
  maxDiscountAmount?: number | null;
  totalQuantity: number;
  issueStartAt: string;
  issueEndAt: string;
  validityDays: number;
}

export const toCouponView = (r: CouponRow): CouponView => ({
  id: r.id,
  name: r.name,
  code: r.code,
  discountType: r.discountType,
  discountValue: r.discountValue,
  minimumOrderAmount: r.minimumOrderAmount,
  maxDiscountAmount: r.maxDiscountAmount,
  totalQuantity: r.totalQuantity,
  issuedQuantity: r.issuedQuantity,
  issueStartAt: r.issueStartAt.toISOString(),
  issueEndAt: r.issueEndAt.toISOString(),
  validityDays: r.validityDays,
});

/** Defines a coupon; rules the schema cannot say alone are checked here, and the table's constraints back them. */
export async function defineCoupon(db: Db, input: NewCouponInput): Promise<CouponView> {
  const problems: string[] = [];
  if (input.discountType === 'PERCENTAGE' && input.discountValue > 100) problems.push('a PERCENTAGE discountValue is 1..100');
  if (input.discountType === 'FIXED' && input.maxDiscountAmount != null) problems.push('maxDiscountAmount applies to PERCENTAGE coupons only');
  // Read exactly here, or refused: the answer is built from these, never from what the database sends back.
  const start = parseInstant(input.issueStartAt);
  const end = parseInstant(input.issueEndAt);
  if (!start.ok) problems.push(`issueStartAt ${start.problem}`);
  if (!end.ok) problems.push(`issueEndAt ${end.problem}`);
  if (start.ok && end.ok && !(end.date > start.date)) problems.push('issueEndAt must be after issueStartAt');
  if (problems.length > 0 || !start.ok || !end.ok) throw new ValidationError(problems.join('; '), { problems });
  const values: NewCoupon = {
    name: input.name.trim(),
    code: input.code,
    discountType: input.discountType,
    discountValue: input.discountValue,
    minimumOrderAmount: input.minimumOrderAmount ?? 0,
    maxDiscountAmount: input.maxDiscountAmount ?? null,
    totalQuantity: input.totalQuantity,
    issueStartAt: start.date,
    issueEndAt: end.date,
    validityDays: input.validityDays,
  };
  try {
    const row = await insertCoupon(db, values);
    // Nothing may fail after the commit: the instants come from the validated input.
    return toCouponView({ ...row, issueStartAt: start.date, issueEndAt: end.date });
  } catch (err) {
    if (pgCode(err) === PgCode.uniqueViolation && pgConstraint(err) === 'coupons_code_unique') {
      throw new ValidationError(`A coupon with code ${input.code} already exists`, { field: 'code' });
    }
    throw err;
  }
}

/** A held coupon as the client sees it: times as ISO strings, and the status derived from them. */
export type UserCouponView = Omit<UserCouponRow, 'issuedAt' | 'expiresAt' | 'usedAt'> & {
  status: 'AVAILABLE' | 'USED' | 'EXPIRED';
  issuedAt: string;
  expiresAt: string;
  usedAt: string | null;
};

/** The user's coupons, newest first; EXPIRED is computed from expiresAt, USED wins over it. */
export async function userCoupons(db: Db, userId: number, now: Date = new Date()): Promise<UserCouponView[]> {
  const rows = await listUserCoupons(db, userId);
  if (rows.length === 0) await assertUserExists(db, userId);
  return rows.map((r) => ({
    ...r,
    status: r.usedAt ? 'USED' : r.expiresAt <= now ? 'EXPIRED' : 'AVAILABLE',
    issuedAt: r.issuedAt.toISOString(),
    expiresAt: r.expiresAt.toISOString(),
    usedAt: r.usedAt ? r.usedAt.toISOString() : null,
  }));
}
