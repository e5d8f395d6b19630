import type { AppContext } from '../../platform/context.js';
import type { Db } from '../../platform/db/db.js';
import { PgCode, pgCode } from '../../platform/db/pg-errors.js';
import { Batcher } from '../../shared/batcher.js';
import { Lru } from '../../shared/lru.js';
import { toIso } from '../../shared/time.js';
import { assertUserExists, UserNotFoundError, userExistenceChecker } from '../users/index.js';
import type { CouponGate, GateOutcome, GateVerdict } from './coupon-gate.js';
import { CouponAlreadyIssuedError, CouponNotActiveError, CouponNotFoundError, CouponSoldOutError } from './coupons.errors.js';
import { findCoupon, holdersAmong, insertIssueIfAbsent, readHolders, readIssueState, refusalReason, takeOneIfAvailable, type CouponRow } from './coupons.repo.js';
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
/** A coupon the database called sold out, with its final holders when it is small enough to keep them. */
interface SoldOut {
  holders: Set<number> | undefined;
}

/** Holder ids the sold-out memo keeps at most, over all its coupons (a few MB). */
const MEMO_HOLDER_BUDGET = 250_000;

/**
 * First-come-first-served issuing. The checks run in the contract's order: user, coupon, issue
 * window, already issued, quantity. Users and coupon definitions never change once they exist, so
 * a positive answer is remembered in-process. The gate answers repeats of confirmed holders and
 * coupons the database has called sold out; everything else reaches the database.
 *
 * Sold out is final (no route raises a total, and holders are never removed), so once the database
 * says a coupon is sold out, its holder list is final too: this instance reads it once and from
 * then on answers both ALREADY_ISSUED and SOLD_OUT itself, with no I/O.
 *
 * Memory never grows with a coupon's holders: only a coupon of at most `couponHolderSetMax` in
 * total has its holders kept (by the gate, and by the sold-out memo); for a larger one (a welcome
 * coupon for every user) "already issued?" is answered by the unique (coupon, user) index, the
 * questions of one event-loop tick in one query.
 */
export class CouponIssuer {
  private readonly knownUsers = new Lru<number, true>(100_000);
  private readonly definitions = new Lru<number, CouponRow>(10_000);
  private readonly soldOut: Lru<number, Promise<SoldOut | undefined>>;
  private readonly userExists: (userId: number) => Promise<boolean>;
  private readonly holderSetMax: number;
  private readonly holds: Batcher<string, boolean>;

  constructor(
    private readonly ctx: AppContext,
    private readonly gate: CouponGate | undefined,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.userExists = userExistenceChecker(ctx.db);
    this.holderSetMax = ctx.config.couponHolderSetMax;
    this.soldOut = new Lru(Math.max(10, Math.min(1_000, Math.floor(MEMO_HOLDER_BUDGET / Math.max(1, this.holderSetMax)))));
    this.holds = new Batcher(async (pairs) => {
      const users = new Map<number, number[]>();
      for (const p of pairs) {
        const [c, u] = p.split(':').map(Number) as [number, number];
        const list = users.get(c);
        if (list) list.push(u);
        else users.set(c, [u]);
      }
      const found = new Map<string, boolean>();
      for (const [c, us] of users) for (const u of await holdersAmong(ctx.db, c, us)) found.set(`${c}:${u}`, true);
      return found;
    }, false);
  }

  async issue(couponId: number, userId: number): Promise<IssuedCoupon> {
    await this.assertUser(userId);
    const coupon = await this.definition(couponId);
    if (!isWithinIssueWindow(coupon, this.now())) throw notActive(coupon);

    const large = coupon.totalQuantity > this.holderSetMax;
    const soldOut = await this.soldOut.get(couponId);
    if (soldOut) return this.refuseSoldOut(soldOut, couponId, userId);
    // A large coupon's holders are kept nowhere but in the database: its unique index answers first.
    if (large && (await this.isHolder(couponId, userId))) return this.refuse(new CouponAlreadyIssuedError(couponId, userId), 'database');

    const verdict = await this.admit(coupon, userId);
    if (verdict === 'ALREADY_ISSUED') return this.refuse(new CouponAlreadyIssuedError(couponId, userId), 'gate');
    if (verdict === 'SOLD_OUT') {
      // The gate's flag only repeats what the database said; the database's holder list (or its
      // index) tells a holder (ALREADY_ISSUED) from everyone else, even one the gate's set has missed.
      const final = await this.learnSoldOut(coupon);
      if (final) return this.refuseSoldOut(final, couponId, userId);
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
      if (outcome === 'SOLD_OUT') void this.learnSoldOut(coupon);
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

  /**
   * Reads, once per coupon, whether the database says it is sold out and, for a coupon small enough,
   * who holds it.
   */
  private learnSoldOut(coupon: CouponRow): Promise<SoldOut | undefined> {
    const known = this.soldOut.get(coupon.id);
    if (known) return known;
    const withHolders = coupon.totalQuantity <= this.holderSetMax;
    const pending = readHolders(this.ctx.db, coupon.id, withHolders).then(
      (read) => {
        if (read?.soldOut) return { holders: withHolders ? new Set(read.holders) : undefined };
        this.soldOut.delete(coupon.id);
        return undefined;
      },
      () => {
        this.soldOut.delete(coupon.id);
        return undefined;
      },
    );
    this.soldOut.set(coupon.id, pending);
    return pending;
  }

  /** Answers a request for a sold-out coupon: ALREADY_ISSUED to a holder, SOLD_OUT to everyone else. */
  private async refuseSoldOut(soldOut: SoldOut, couponId: number, userId: number): Promise<never> {
    const holder = soldOut.holders ? soldOut.holders.has(userId) : await this.isHolder(couponId, userId);
    return this.refuse(holder ? new CouponAlreadyIssuedError(couponId, userId) : new CouponSoldOutError(couponId), soldOut.holders ? 'memo' : 'database');
  }

  /** Whether the user holds the coupon, by the unique index; the questions of one tick share a query. */
  private isHolder(couponId: number, userId: number): Promise<boolean> {
    return this.holds.get(`${couponId}:${userId}`);
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
