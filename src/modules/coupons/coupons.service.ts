import type { AppContext } from '../../platform/context.js';
import type { Db } from '../../platform/db/db.js';
import { PgCode, pgCode } from '../../platform/db/pg-errors.js';
import { Lru } from '../../shared/lru.js';
import { toIso } from '../../shared/time.js';
import { assertUserExists, UserNotFoundError, userExistenceChecker } from '../users/index.js';
import type { CouponGate, GateOutcome, GateVerdict } from './coupon-gate.js';
import { CouponAlreadyIssuedError, CouponNotActiveError, CouponNotFoundError, CouponSoldOutError } from './coupons.errors.js';
import { findCoupon, insertIssueIfAbsent, readHolders, readIssueState, refusalReason, takeOneIfAvailable, type CouponRow } from './coupons.repo.js';
import { isWithinIssueWindow } from './issue-window.js';

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

type Refusal = CouponAlreadyIssuedError | CouponSoldOutError | CouponNotActiveError;
type DecidedBy = 'memo' | 'gate' | 'database';

/**
 * First-come-first-served issuing. The checks run in the contract's order: user, coupon, issue
 * window, already issued, quantity. Users and coupon definitions never change once they exist, so
 * a positive answer is remembered in-process. The gate answers repeats of confirmed holders and
 * coupons the database has called sold out; everything else reaches the database.
 *
 * Sold out is final (no route raises a total, and holders are never removed), so once the database
 * says a coupon is sold out, its holder list is final too: this instance reads it once and from
 * then on answers both ALREADY_ISSUED and SOLD_OUT itself, with no I/O.
 */
export class CouponIssuer {
  private readonly knownUsers = new Lru<number, true>(100_000);
  private readonly definitions = new Lru<number, CouponRow>(10_000);
  private readonly soldOut = new Lru<number, Promise<Set<number> | undefined>>(1_000);
  private readonly userExists: (userId: number) => Promise<boolean>;

  constructor(
    private readonly ctx: AppContext,
    private readonly gate: CouponGate | undefined,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.userExists = userExistenceChecker(ctx.db);
  }

  async issue(couponId: number, userId: number): Promise<IssuedCoupon> {
    await this.assertUser(userId);
    const coupon = await this.definition(couponId);
    if (!isWithinIssueWindow(coupon, this.now())) throw notActive(coupon);

    const holders = await this.soldOut.get(couponId);
    if (holders) return this.refuse(holders.has(userId) ? new CouponAlreadyIssuedError(couponId, userId) : new CouponSoldOutError(couponId), 'memo');

    const verdict = await this.admit(coupon, userId);
    if (verdict === 'ALREADY_ISSUED') return this.refuse(new CouponAlreadyIssuedError(couponId, userId), 'gate');
    if (verdict === 'SOLD_OUT') {
      // The gate's flag only repeats what the database said; the database's holder list tells a
      // holder (ALREADY_ISSUED) from everyone else, even one the gate's set has missed.
      const final = await this.learnSoldOut(couponId);
      if (final) return this.refuse(final.has(userId) ? new CouponAlreadyIssuedError(couponId, userId) : new CouponSoldOutError(couponId), 'memo');
    }

    let outcome: GateOutcome = 'FAILED';
    try {
      const issued = await this.issueInDatabase(coupon, userId, verdict !== 'ADMITTED');
      outcome = 'ISSUED';
      this.count('ISSUED', 'database');
      return issued;
    } catch (err) {
      if (err instanceof CouponAlreadyIssuedError) outcome = 'ALREADY_ISSUED';
      if (err instanceof CouponSoldOutError) outcome = 'SOLD_OUT';
      if (outcome !== 'FAILED') this.count(outcome, 'database');
      if (outcome === 'SOLD_OUT') void this.learnSoldOut(couponId);
      throw err;
    } finally {
      const settled = this.gate?.settle(couponId, userId, outcome, verdict === 'ADMITTED');
      // With the gate unreachable, tell it best-effort without making the answer wait on it.
      if (verdict !== 'UNAVAILABLE') await settled;
    }
  }

  private async admit(coupon: CouponRow, userId: number): Promise<GateVerdict | 'UNAVAILABLE'> {
    if (!this.gate) return 'UNAVAILABLE';
    try {
      return await this.gate.admit(coupon.id, userId, coupon.totalQuantity);
    } catch {
      return 'UNAVAILABLE'; // Redis away: the database alone decides, slower but still right.
    }
  }

  /**
   * The truth. Unless the gate reserved a place, one read first answers what the database already
   * knows (holder, sold out) without a transaction. Then the unique (coupon, user) row, then the
   * conditional increment (quantity and window), so the coupon's hot row lock is held only from
   * the increment to the commit.
   */
  private async issueInDatabase(coupon: CouponRow, userId: number, precheck: boolean): Promise<IssuedCoupon> {
    if (precheck) {
      const state = await readIssueState(this.ctx.db, coupon.id, userId);
      if (state?.alreadyIssued) throw new CouponAlreadyIssuedError(coupon.id, userId);
      if (state?.soldOut) throw new CouponSoldOutError(coupon.id);
    }
    try {
      return await this.ctx.db.transaction(async (txRaw) => {
        const tx = txRaw as unknown as Db;
        const row = await insertIssueIfAbsent(tx, coupon.id, userId, coupon.validityDays);
        if (!row) throw new CouponAlreadyIssuedError(coupon.id, userId);
        if (!(await takeOneIfAvailable(tx, coupon.id))) {
          throw (await refusalReason(tx, coupon.id)) === 'NOT_ACTIVE' ? notActive(coupon) : new CouponSoldOutError(coupon.id);
        }
        return {
          couponId: coupon.id,
          userId,
          name: coupon.name,
          discountType: coupon.discountType,
          discountValue: coupon.discountValue,
          status: 'AVAILABLE' as const,
          issuedAt: toIso(row.issuedAt),
          expiresAt: toIso(row.expiresAt),
        };
      });
    } catch (err) {
      // Only if a user vanished after we saw it: answer USER_NOT_FOUND, asked outside the dead transaction.
      if (pgCode(err) === PgCode.foreignKeyViolation) await assertUserExists(this.ctx.db, userId);
      throw err;
    }
  }

  /** Reads, once per coupon, whether the database says it is sold out and who holds it. */
  private learnSoldOut(couponId: number): Promise<Set<number> | undefined> {
    const known = this.soldOut.get(couponId);
    if (known) return known;
    const pending = readHolders(this.ctx.db, couponId).then(
      (read) => {
        if (read?.soldOut) return new Set(read.holders);
        this.soldOut.delete(couponId);
        return undefined;
      },
      () => {
        this.soldOut.delete(couponId);
        return undefined;
      },
    );
    this.soldOut.set(couponId, pending);
    return pending;
  }

  private refuse(err: Refusal, decidedBy: DecidedBy): never {
    this.count(err.code === 'COUPON_SOLD_OUT' ? 'SOLD_OUT' : err.code === 'COUPON_ALREADY_ISSUED' ? 'ALREADY_ISSUED' : 'NOT_ACTIVE', decidedBy);
    throw err;
  }

  private count(result: string, decidedBy: DecidedBy): void {
    this.ctx.metrics.couponIssues.inc({ result, decided_by: decidedBy });
  }

  private async assertUser(userId: number): Promise<void> {
    if (this.knownUsers.get(userId)) return;
    if (!(await this.userExists(userId))) throw new UserNotFoundError(userId);
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

const notActive = (c: CouponRow) => new CouponNotActiveError(c.id, c.issueStartAt.toISOString(), c.issueEndAt.toISOString());
