import type { AppContext } from '../../platform/context.js';
import { PgCode, pgCode, pgConstraint } from '../../platform/db/pg-errors.js';
import { Batcher } from '../../shared/batcher.js';
import { Combiner } from '../../shared/combiner.js';
import { InFlight } from '../../shared/in-flight.js';
import { Lru } from '../../shared/lru.js';
import { toIso } from '../../shared/time.js';
import { assertUserExists, UserNotFoundError, type UserDirectory } from '../users/index.js';
import type { CouponGate, GateOutcome, GateVerdict } from './coupon-gate.js';
import { CouponAlreadyIssuedError, CouponNotActiveError, CouponNotFoundError, CouponSoldOutError } from './coupons.errors.js';
import { findCoupon, holdersAmong, issueMany, issueOne, readHolders, readIssueState, refusalReason, type CouponRow, type IssueOutcome } from './coupons.repo.js';
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
  private readonly definitions = new Lru<number, Promise<CouponRow>>(10_000);
  private readonly soldOut: Lru<number, Promise<SoldOut | undefined>>;
  private readonly holderSetMax: number;
  private readonly holds: Batcher<string, boolean>;
  /** Issues this instance has in the database, per coupon, that hold a place the gate reserved. */
  private readonly issuing = new InFlight<number>();
  private readonly issuers = new Lru<number, Combiner<number, IssueOutcome>>(1_000);

  constructor(
    private readonly ctx: AppContext,
    private readonly gate: CouponGate | undefined,
    private readonly users: UserDirectory,
    private readonly now: () => Date = () => new Date(),
  ) {
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

    let verdict = await this.admit(coupon, userId);
    if (verdict === 'FULL' && this.issuing.busy(couponId)) {
      // Every place is held by requests in flight, some of them this instance's: wait for those to
      // end rather than queue on the coupon's row behind them (a stampede's first moments). If they
      // took the last places, this instance is already reading the final holders; else ask again.
      await this.issuing.idle(couponId);
      const known = await this.soldOut.get(couponId);
      if (known) return this.refuseSoldOut(known, couponId, userId);
      verdict = await this.admit(coupon, userId);
    }
    if (verdict === 'ALREADY_ISSUED') return this.refuse(new CouponAlreadyIssuedError(couponId, userId), 'gate');
    if (verdict === 'SOLD_OUT' || verdict === 'FULL') {
      // SOLD_OUT: the gate's flag only repeats what the database said; the database's holder list
      // (or its index) tells a holder (ALREADY_ISSUED) from everyone else, even one the gate's set
      // has missed. FULL: most likely sold out; one read shared by this instance's requests says so,
      // instead of one each. Only if it is not (places held by other instances' requests in flight,
      // or by requests that died) does each request ask the database for itself.
      const final = await this.learnSoldOut(coupon);
      if (final) return this.refuseSoldOut(final, couponId, userId);
    }

    let outcome: GateOutcome = 'FAILED';
    const done = verdict === 'ADMITTED' ? this.issuing.enter(couponId) : undefined;
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
      done?.();
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
   * knows (holder, sold out) without touching the coupon's row. Then one statement takes one from
   * the quantity (window and quantity by the database) and writes the (coupon, user) row
   * (`issueOne`, or `issueMany` for the reserved places of a coupon in flight together).
   */
  private async issueInDatabase(coupon: CouponRow, userId: number, precheck: boolean): Promise<IssuedCoupon> {
    if (precheck) {
      const state = await readIssueState(this.ctx.db, coupon.id, userId);
      if (state?.alreadyIssued) throw new CouponAlreadyIssuedError(coupon.id, userId);
      if (state?.soldOut) throw new CouponSoldOutError(coupon.id);
    }
    try {
      // A place the gate reserved: issued together with the other places of this coupon in flight.
      const outcome = precheck ? await issueOne(this.ctx.db, coupon.id, userId) : await this.issuerOf(coupon.id).submit(userId);
      if (!outcome.issued) {
        if (outcome.alreadyIssued) throw new CouponAlreadyIssuedError(coupon.id, userId);
        throw (await refusalReason(this.ctx.db, coupon.id)) === 'NOT_ACTIVE' ? notActive(coupon) : new CouponSoldOutError(coupon.id);
      }
      // This statement took the last ones: learn the final holders now, before anyone asks.
      if (outcome.left === 0) void this.learnSoldOut(coupon);
      return {
        couponId: coupon.id,
        userId,
        name: coupon.name,
        discountType: coupon.discountType,
        discountValue: coupon.discountValue,
        status: 'AVAILABLE' as const,
        issuedAt: toIso(outcome.issued.issuedAt),
        expiresAt: toIso(outcome.issued.expiresAt),
      };
    } catch (err) {
      // The same user's concurrent request wrote the row first: this statement took nothing.
      if (pgCode(err) === PgCode.uniqueViolation && pgConstraint(err) === 'coupon_issues_coupon_user_unique') {
        throw new CouponAlreadyIssuedError(coupon.id, userId);
      }
      // Only if a user vanished after we saw it: answer USER_NOT_FOUND.
      if (pgCode(err) === PgCode.foreignKeyViolation) await assertUserExists(this.ctx.db, userId);
      throw err;
    }
  }

  /**
   * The issues of one coupon that hold a reserved place leave together: one statement while none
   * of this coupon's is in the database, then what arrived meanwhile in the next (up to 100). A
   * stampede's places are all reserved at once, and one commit per place, each on the coupon's row,
   * made its first moments the slowest of the whole run (docs/benchmarks.md).
   */
  private issuerOf(couponId: number): Combiner<number, IssueOutcome> {
    let c = this.issuers.get(couponId);
    if (!c) {
      const db = this.ctx.db;
      c = new Combiner<number, IssueOutcome>(
        async (userIds) => {
          if (userIds.length > 1 && new Set(userIds).size === userIds.length) {
            try {
              const many = await issueMany(db, couponId, userIds);
              if (many) return userIds.map((u) => ({ status: 'fulfilled', value: many.get(u)! }));
            } catch (err) {
              if (pgCode(err) === undefined) return userIds.map(() => ({ status: 'rejected', reason: err }));
            }
          }
          // Not all of them fit, or the database refused the batch: each on its own, for its own answer.
          return Promise.allSettled(userIds.map((u) => issueOne(db, couponId, u)));
        },
        1,
        100,
      );
      this.issuers.set(couponId, c);
    }
    return c;
  }

  /**
   * Reads, once per coupon, whether the database says it is sold out and, for a coupon small enough,
   * who holds it.
   */
  private learnSoldOut(coupon: CouponRow): Promise<SoldOut | undefined> {
    const known = this.soldOut.get(coupon.id);
    if (known) return known;
    const withHolders = coupon.totalQuantity <= this.holderSetMax;
    const pending = readHolders(this.ctx.db, coupon.id, withHolders, true).then(
      (read) => {
        if (read?.soldOut) {
          // Every instance's gate then answers SOLD_OUT, not FULL, without asking its database.
          void this.gate?.markSoldOut(coupon.id);
          return { holders: withHolders ? new Set(read.holders) : undefined };
        }
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
    if (!this.users.has(userId) && !(await this.users.exists(userId))) throw new UserNotFoundError(userId);
  }

  /** The coupon's terms (they never change), read once: the first requests of a stampede share one read. */
  private definition(couponId: number): Promise<CouponRow> {
    const cached = this.definitions.get(couponId);
    if (cached) return cached;
    const loading = findCoupon(this.ctx.db, couponId).then((row) => {
      if (!row) throw new CouponNotFoundError(couponId);
      return row;
    });
    this.definitions.set(couponId, loading);
    // An unknown coupon is not remembered: it may be created a moment later.
    loading.catch(() => this.definitions.delete(couponId));
    return loading;
  }
}

const notActive = (c: CouponRow) => new CouponNotActiveError(c.id, c.issueStartAt.toISOString(), c.issueEndAt.toISOString());
