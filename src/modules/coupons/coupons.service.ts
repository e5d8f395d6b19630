import type { AppContext } from '../../platform/context.js';
import type { Db } from '../../platform/db/db.js';
import { PgCode, pgCode } from '../../platform/db/pg-errors.js';
import { Lru } from '../../shared/lru.js';
import { toIso } from '../../shared/time.js';
import { assertUserExists } from '../users/index.js';
import type { CouponGate, GateOutcome, GateVerdict } from './coupon-gate.js';
import { CouponAlreadyIssuedError, CouponNotActiveError, CouponNotFoundError, CouponSoldOutError } from './coupons.errors.js';
import { findCoupon, insertIssueIfAbsent, readHolders, readIssueState, takeOneIfAvailable, type CouponRow } from './coupons.repo.js';

export interface IssuedCoupon {
  couponId: number;
  userId: number;
  name: string;
  discountType: 'FIXED' | 'PERCENTAGE';
  discountValue: number;
  status: 'AVAILABLE';
  issuedAt: string;
  expiresAt: string;
}

/**
 * First-come-first-served issuing. The checks run in the contract's order: user, coupon, issue
 * window, already issued, quantity. Users and coupon definitions never change once they exist, so
 * a positive answer is remembered in-process; the gate answers repeats and sold-out requests, and
 * only admitted requests reach the issuing transaction.
 *
 * Sold out is final (no route raises a total, and holders are never removed), so once this instance
 * has read from the database that a coupon is sold out, its holder list is final too: from then on
 * both ALREADY_ISSUED and SOLD_OUT are answered here, with no I/O at all.
 */
export class CouponIssuer {
  private readonly knownUsers = new Lru<number, true>(100_000);
  private readonly definitions = new Lru<number, CouponRow>(10_000);
  private readonly soldOut = new Lru<number, Promise<Set<number> | undefined>>(10_000);

  constructor(
    private readonly ctx: AppContext,
    private readonly gate: CouponGate | undefined,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async issue(couponId: number, userId: number): Promise<IssuedCoupon> {
    await this.assertUser(userId);
    const coupon = await this.definition(couponId);
    const now = this.now();
    if (now < coupon.issueStartAt || now >= coupon.issueEndAt) {
      throw new CouponNotActiveError(couponId, coupon.issueStartAt.toISOString(), coupon.issueEndAt.toISOString());
    }

    const finalHolders = await this.soldOut.get(couponId);
    if (finalHolders) {
      this.count(finalHolders.has(userId) ? 'ALREADY_ISSUED' : 'SOLD_OUT', 'memo');
      throw finalHolders.has(userId) ? new CouponAlreadyIssuedError(couponId, userId) : new CouponSoldOutError(couponId);
    }

    let verdict: GateVerdict | 'UNAVAILABLE' = 'UNAVAILABLE';
    if (this.gate) {
      try {
        verdict = await this.gate.admit(couponId, userId, coupon.totalQuantity);
      } catch {
        verdict = 'UNAVAILABLE'; // Redis away: the database alone decides, slower but still right.
      }
    }
    if (verdict === 'ALREADY_ISSUED' || verdict === 'SOLD_OUT') {
      if (verdict === 'SOLD_OUT') this.learnSoldOut(couponId);
      this.count(verdict, 'gate');
      throw verdict === 'ALREADY_ISSUED' ? new CouponAlreadyIssuedError(couponId, userId) : new CouponSoldOutError(couponId);
    }
    if (verdict === 'UNAVAILABLE') {
      const state = await readIssueState(this.ctx.db, couponId, userId);
      if (state?.alreadyIssued) return this.reject(new CouponAlreadyIssuedError(couponId, userId));
      if (state?.soldOut) {
        this.learnSoldOut(couponId);
        return this.reject(new CouponSoldOutError(couponId));
      }
    }

    const admitted = verdict === 'ADMITTED';
    let outcome: GateOutcome = 'FAILED';
    try {
      const issued = await this.ctx.db.transaction((tx) => this.issueInTransaction(tx as unknown as Db, coupon, userId));
      outcome = 'ISSUED';
      this.count('ISSUED', 'database');
      return issued;
    } catch (err) {
      if (err instanceof CouponAlreadyIssuedError) outcome = 'ALREADY_ISSUED';
      else if (err instanceof CouponSoldOutError) {
        outcome = 'SOLD_OUT';
        this.learnSoldOut(couponId);
      }
      if (outcome !== 'FAILED') this.count(outcome, 'database');
      throw err;
    } finally {
      if (this.gate && verdict !== 'UNAVAILABLE') await this.gate.settle(couponId, userId, outcome, admitted);
    }
  }

  /**
   * The truth: the unique (coupon, user) row first, then the conditional increment of the issued
   * count, so the coupon's hot row lock is held only from the increment to the commit.
   */
  private async issueInTransaction(tx: Db, coupon: CouponRow, userId: number): Promise<IssuedCoupon> {
    let row;
    try {
      row = await insertIssueIfAbsent(tx, coupon.id, userId, coupon.validityDays);
    } catch (err) {
      if (pgCode(err) === PgCode.foreignKeyViolation) await assertUserExists(tx, userId);
      throw err;
    }
    if (!row) throw new CouponAlreadyIssuedError(coupon.id, userId);
    if (!(await takeOneIfAvailable(tx, coupon.id))) throw new CouponSoldOutError(coupon.id);
    return {
      couponId: coupon.id,
      userId,
      name: coupon.name,
      discountType: coupon.discountType,
      discountValue: coupon.discountValue,
      status: 'AVAILABLE',
      issuedAt: toIso(row.issuedAt),
      expiresAt: toIso(row.expiresAt),
    };
  }

  /**
   * Reads, once, whether the database says the coupon is sold out and who holds it; only a
   * database answer is trusted for this, never the gate's.
   */
  private learnSoldOut(couponId: number): void {
    if (this.soldOut.get(couponId)) return;
    const pending = readHolders(this.ctx.db, couponId).then(
      (read) => {
        if (!read?.soldOut) {
          this.soldOut.delete(couponId);
          return undefined;
        }
        return new Set(read.holders);
      },
      () => {
        this.soldOut.delete(couponId);
        return undefined;
      },
    );
    this.soldOut.set(couponId, pending);
  }

  private reject(err: CouponAlreadyIssuedError | CouponSoldOutError): never {
    this.count(err instanceof CouponSoldOutError ? 'SOLD_OUT' : 'ALREADY_ISSUED', 'database');
    throw err;
  }

  private count(result: string, decidedBy: 'memo' | 'gate' | 'database'): void {
    this.ctx.metrics.couponIssues.inc({ result, decided_by: decidedBy });
  }

  private async assertUser(userId: number): Promise<void> {
    if (this.knownUsers.get(userId)) return;
    await assertUserExists(this.ctx.db, userId);
    this.knownUsers.set(userId, true);
  }

  private async definition(couponId: number): Promise<CouponRow> {
    const cached = this.definitions.get(couponId);
    if (cached) return cached;
    const row = await findCoupon(this.ctx.db, couponId);
    if (!row) throw new CouponNotFoundError(couponId);
    this.definitions.set(couponId, row);
    return row;
  }
}
