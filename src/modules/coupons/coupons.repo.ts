import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../platform/db/db.js';
import { rawStatement } from '../../platform/db/prepared.js';
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
  issuedAt: Date | string;
  expiresAt: Date | string;
}

/**
 * What issuing did for one user: the row it wrote and how many of the coupon were left after its
 * statement (0: that statement took the last ones), or whether the user already held the coupon.
 */
export type IssueOutcome = { issued: IssuedRow; left: number } | { issued: undefined; alreadyIssued: boolean };

/** {@link issueMany} for one user: `alreadyIssued: false` when none was taken (window or quantity). */
export async function issueOne(db: Db, couponId: number, userId: number): Promise<IssueOutcome> {
  return (await issueMany(db, couponId, [userId]))?.get(userId) ?? { issued: undefined, alreadyIssued: false };
}

/**
 * Issues one coupon to several users in ONE autocommit statement: those who hold it already are
 * left out, and the rest get it only if all of them fit in the remaining quantity and the
 * database's clock is inside the issue window (start inclusive, end exclusive); else nothing is
 * taken, and undefined tells the caller to go one by one. The coupon's hot row is locked from the
 * increment to the commit with nothing but the inserts in between: no round trip to the
 * application under the lock. `userIds` must be distinct. A concurrent request of one of these
 * users that passed the same NOT EXISTS breaks the unique (coupon, user) index, which aborts the
 * whole statement, increment included (the caller answers ALREADY_ISSUED, or goes one by one).
 */
export async function issueMany(db: Db, couponId: number, userIds: number[]): Promise<Map<number, IssueOutcome> | undefined> {
  const rows = await issueManyStatement(db, { couponId, userIds: `{${userIds.join(',')}}` });
  if (!rows[0]?.took) return undefined;
  return new Map(
    rows.map((r): [number, IssueOutcome] => [
      Number(r.user_id),
      r.issued_at ? { issued: { issuedAt: r.issued_at, expiresAt: r.expires_at! }, left: Number(r.left) } : { issued: undefined, alreadyIssued: true },
    ]),
  );
}

const issueManyStatement = rawStatement<
  { user_id: number | string; issued_at: Date | string | null; expires_at: Date | string | null; took: boolean; left: number | string | null },
  Record<string, unknown>
>(
  'coupons_issue_many',
  sql`WITH req AS (
        SELECT u FROM unnest(${sql.placeholder('userIds')}::bigint[]) u
      ), fresh AS (
        SELECT r.u FROM req r
        WHERE NOT EXISTS (SELECT 1 FROM coupon_issues ci WHERE ci.coupon_id = ${sql.placeholder('couponId')}::bigint AND ci.user_id = r.u)
      ), taken AS (
        UPDATE coupons SET issued_quantity = issued_quantity + (SELECT count(*) FROM fresh)
        WHERE id = ${sql.placeholder('couponId')}::bigint AND issued_quantity + (SELECT count(*) FROM fresh) <= total_quantity
          AND now() >= issue_start_at AND now() < issue_end_at
        RETURNING validity_days, total_quantity - issued_quantity AS left
      ), issued AS (
        INSERT INTO coupon_issues (coupon_id, user_id, issued_at, expires_at)
        SELECT ${sql.placeholder('couponId')}::bigint, f.u, now(), now() + make_interval(days => t.validity_days)
        FROM fresh f, taken t
        RETURNING user_id, issued_at, expires_at
      )
      SELECT r.u AS user_id, i.issued_at, i.expires_at, EXISTS (SELECT 1 FROM taken) AS took, (SELECT t.left FROM taken t) AS left
      FROM req r LEFT JOIN issued i ON i.user_id = r.u`,
);

/** Why issuing took none though the user holds none: the window (by the database's clock) or the quantity. */
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
 * coupons whose total is small; with `onlyFinal`, only once it is sold out and the list is final)
 * every holder, read in one statement so all come from one snapshot (a holder list older than the
 * sold-out flag would turn ALREADY_ISSUED into SOLD_OUT).
 */
export async function readHolders(
  db: Db,
  couponId: number,
  withHolders: boolean,
  onlyFinal = false,
): Promise<{ soldOut: boolean; issued: number; holders: number[] } | undefined> {
  const [row] = await queryRows<{ sold_out: boolean; issued: number; holders: Array<number | string> | null }>(
    db,
    sql`SELECT c.issued_quantity >= c.total_quantity AS sold_out, c.issued_quantity AS issued,
               CASE WHEN ${withHolders}::boolean AND (NOT ${onlyFinal}::boolean OR c.issued_quantity >= c.total_quantity) THEN (SELECT array_agg(i.user_id) FROM coupon_issues i WHERE i.coupon_id = c.id) END AS holders
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
