import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../platform/db/db.js';
import { couponIssues, coupons } from './coupons.tables.js';

export type CouponRow = typeof coupons.$inferSelect;
export type NewCoupon = Omit<typeof coupons.$inferInsert, 'id' | 'issuedQuantity' | 'createdAt'>;

export async function insertCoupon(db: Db, c: NewCoupon): Promise<CouponRow> {
  const [row] = await db.insert(coupons).values(c).returning();
  return row!;
}

export async function findCoupon(db: Db, id: number): Promise<CouponRow | undefined> {
  const [row] = await db.select().from(coupons).where(eq(coupons.id, id)).limit(1);
  return row;
}

export interface IssueState {
  alreadyIssued: boolean;
  soldOut: boolean;
}

/** Whether the user holds the coupon and whether any are left, in one round trip. */
export async function readIssueState(db: Db, couponId: number, userId: number): Promise<IssueState | undefined> {
  const [row] = await queryRows<{ already_issued: boolean; sold_out: boolean }>(
    db,
    sql`SELECT EXISTS (SELECT 1 FROM coupon_issues WHERE coupon_id = ${couponId} AND user_id = ${userId}) AS already_issued,
               issued_quantity >= total_quantity AS sold_out
        FROM coupons WHERE id = ${couponId}`,
  );
  return row && { alreadyIssued: row.already_issued, soldOut: row.sold_out };
}

export interface IssuedRow {
  issuedAt: string;
  expiresAt: string;
}

/** Inserts the (coupon, user) row unless it exists; undefined means the user already holds it. */
export async function insertIssueIfAbsent(db: Db, couponId: number, userId: number, validityDays: number): Promise<IssuedRow | undefined> {
  const [row] = await queryRows<{ issued_at: string; expires_at: string }>(
    db,
    sql`INSERT INTO coupon_issues (coupon_id, user_id, issued_at, expires_at)
        VALUES (${couponId}, ${userId}, now(), now() + make_interval(days => ${validityDays}))
        ON CONFLICT (coupon_id, user_id) DO NOTHING
        RETURNING issued_at, expires_at`,
  );
  return row && { issuedAt: row.issued_at, expiresAt: row.expires_at };
}

/**
 * Takes one from the remaining quantity if any is left and the database's clock is inside the
 * issue window (start inclusive, end exclusive); false otherwise.
 */
export async function takeOneIfAvailable(db: Db, couponId: number): Promise<boolean> {
  const rows = await queryRows<{ id: number }>(
    db,
    sql`UPDATE coupons SET issued_quantity = issued_quantity + 1
        WHERE id = ${couponId} AND issued_quantity < total_quantity
          AND now() >= issue_start_at AND now() < issue_end_at
        RETURNING id`,
  );
  return rows.length === 1;
}

/** Why takeOneIfAvailable refused: the window (by the database's clock) or the quantity. */
export async function refusalReason(db: Db, couponId: number): Promise<'NOT_ACTIVE' | 'SOLD_OUT'> {
  const [row] = await queryRows<{ active: boolean }>(
    db,
    sql`SELECT now() >= issue_start_at AND now() < issue_end_at AS active FROM coupons WHERE id = ${couponId}`,
  );
  return row?.active ? 'SOLD_OUT' : 'NOT_ACTIVE';
}

export interface UserCouponRow {
  couponId: number;
  name: string;
  discountType: 'FIXED' | 'PERCENTAGE';
  discountValue: number;
  minimumOrderAmount: number;
  maxDiscountAmount: number | null;
  issuedAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  orderId: number | null;
}

export async function listUserCoupons(db: Db, userId: number): Promise<UserCouponRow[]> {
  return db
    .select({
      couponId: coupons.id,
      name: coupons.name,
      discountType: coupons.discountType,
      discountValue: coupons.discountValue,
      minimumOrderAmount: coupons.minimumOrderAmount,
      maxDiscountAmount: coupons.maxDiscountAmount,
      issuedAt: couponIssues.issuedAt,
      expiresAt: couponIssues.expiresAt,
      usedAt: couponIssues.usedAt,
      orderId: couponIssues.orderId,
    })
    .from(couponIssues)
    .innerJoin(coupons, eq(coupons.id, couponIssues.couponId))
    .where(and(eq(couponIssues.userId, userId)))
    .orderBy(desc(couponIssues.id));
}

/**
 * Whether a coupon is sold out, how many hold it, and (only `withHolders`: callers ask it for
 * coupons whose total is small) every holder, read in one statement so all come from one snapshot
 * (a holder list older than the sold-out flag would turn ALREADY_ISSUED into SOLD_OUT).
 */
export async function readHolders(
  db: Db,
  couponId: number,
  withHolders: boolean,
): Promise<{ soldOut: boolean; issued: number; holders: number[] } | undefined> {
  const [row] = await queryRows<{ sold_out: boolean; issued: number; holders: Array<number | string> | null }>(
    db,
    sql`SELECT c.issued_quantity >= c.total_quantity AS sold_out, c.issued_quantity AS issued,
               CASE WHEN ${withHolders}::boolean THEN (SELECT array_agg(i.user_id) FROM coupon_issues i WHERE i.coupon_id = c.id) END AS holders
        FROM coupons c WHERE c.id = ${couponId}`,
  );
  return row && { soldOut: row.sold_out, issued: Number(row.issued), holders: (row.holders ?? []).map(Number) };
}

/** Which of these users hold the coupon: one probe of the unique (coupon, user) index per user. */
export async function holdersAmong(db: Db, couponId: number, userIds: number[]): Promise<Set<number>> {
  const rows = await db
    .select({ userId: couponIssues.userId })
    .from(couponIssues)
    .where(and(eq(couponIssues.couponId, couponId), inArray(couponIssues.userId, userIds)));
  return new Set(rows.map((r) => r.userId));
}
