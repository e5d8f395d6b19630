/**
 * The admission gate in front of coupon issuing. It refuses only on facts the database has
 * confirmed (the user holds the coupon; the coupon is sold out); everything else still goes
 * through the database, which alone decides. So a gate that is wrong, stale, flushed or down can
 * cost speed, never correctness, and never a wrong refusal.
 *
 * Its state per coupon is bounded: a coupon of at most `holderSetMax` in total keeps the set of its
 * holders (so repeats are refused with no database read); a larger one keeps only the number of
 * holders, and "already issued?" is the database's unique index to answer (the issuer batches it).
 */
export type GateVerdict =
  /** Go to the database holding one of the remaining places. */
  | 'ADMITTED'
  /** Go to the database without a place: the same user is already in flight there. */
  | 'PASS'
  /** Every place is taken by confirmed holders or requests in flight; ask the database, which knows how those end. */
  | 'FULL'
  /** The database confirmed this user holds the coupon (only for coupons whose holders the gate keeps). */
  | 'ALREADY_ISSUED'
  /** The database said the coupon is sold out (final). */
  | 'SOLD_OUT';

/** What the database said about an issue the gate let through. */
export type GateOutcome = 'ISSUED' | 'ALREADY_ISSUED' | 'SOLD_OUT' | 'FAILED';

/** Coupons of at most this many in total keep their holder set (in Redis and in process) by default. */
export const DEFAULT_HOLDER_SET_MAX = 10_000;

export interface CouponGate {
  readonly kind: 'redis' | 'memory';
  /** Throws when the gate cannot answer (Redis down): the caller goes to the database alone. */
  admit(couponId: number, userId: number, totalQuantity: number): Promise<GateVerdict>;
  /** Records the database's answer for a request the gate let through; never throws. */
  settle(couponId: number, userId: number, outcome: GateOutcome, admitted: boolean): Promise<void>;
  /** Records that the database said the coupon is sold out (final), whoever asked it; never throws. */
  markSoldOut(couponId: number): Promise<void>;
}

/**
 * Loads what the gate needs to start over: how many hold the coupon, whether none are left, and,
 * only when asked (`withHolders`, a coupon small enough), every holder.
 */
export type GateLoader = (couponId: number, withHolders: boolean) => Promise<{ holders: number[]; issued: number; soldOut: boolean }>;

interface MemoryState {
  /** Confirmed holders; undefined for a coupon too large to keep them (then `count` counts them). */
  issued: Set<number> | undefined;
  count: number;
  pending: Set<number>;
  soldOut: boolean;
}

/** The in-process gate for a single instance without Redis: same rules, in a Map. */
export class MemoryCouponGate implements CouponGate {
  readonly kind = 'memory' as const;
  private readonly states = new Map<number, Promise<MemoryState>>();

  constructor(
    private readonly load: GateLoader,
    private readonly holderSetMax = DEFAULT_HOLDER_SET_MAX,
  ) {}

  private state(couponId: number, withHolders = true): Promise<MemoryState> {
    let s = this.states.get(couponId);
    if (!s) {
      s = this.load(couponId, withHolders).then(({ holders, issued, soldOut }) => ({
        issued: withHolders ? new Set(holders) : undefined,
        count: issued,
        pending: new Set<number>(),
        soldOut,
      }));
      s.catch(() => this.states.delete(couponId));
      this.states.set(couponId, s);
    }
    return s;
  }

  async admit(couponId: number, userId: number, totalQuantity: number): Promise<GateVerdict> {
    const s = await this.state(couponId, totalQuantity <= this.holderSetMax);
    if (s.issued?.has(userId)) return 'ALREADY_ISSUED';
    if (s.soldOut) return 'SOLD_OUT';
    if (s.pending.has(userId)) return 'PASS';
    if ((s.issued ? s.issued.size : s.count) + s.pending.size >= totalQuantity) return 'FULL';
    s.pending.add(userId);
    return 'ADMITTED';
  }

  async settle(couponId: number, userId: number, outcome: GateOutcome, admitted: boolean): Promise<void> {
    // A settle only follows an admit, which created the state; never load here.
    const s = await this.states.get(couponId)?.catch(() => undefined);
    if (!s) return;
    if (outcome === 'ISSUED' || outcome === 'ALREADY_ISSUED') s.issued?.add(userId);
    if (outcome === 'ISSUED') s.count++;
    if (outcome === 'SOLD_OUT') s.soldOut = true;
    if (admitted) s.pending.delete(userId);
  }

  async markSoldOut(couponId: number): Promise<void> {
    const s = await this.states.get(couponId)?.catch(() => undefined);
    if (s) s.soldOut = true;
  }
}
