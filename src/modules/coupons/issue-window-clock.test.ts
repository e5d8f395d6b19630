import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, HOUR, newCoupon, newUser, type TestApp } from '../../../test/helpers/app.js';
import { scalar } from '../../../test/helpers/sql.js';
import { NO_EVENTS } from '../../platform/events/relay.js';
import type { AppContext } from '../../platform/context.js';
import { queryRows, sql, type Db } from '../../platform/db/db.js';
import { Metrics } from '../../platform/http/metrics.js';
import { CouponIssuer } from './coupons.service.js';
import { UserDirectory } from '../users/index.js';

// The issue window is checked twice: in JavaScript by the issuer's clock, then by the database's own
// clock in the conditional increment, which alone decides. These tests set the two clocks apart: the
// issuer's is injected, and the database's now() is shadowed by test_clock.now() (a function earlier
// in search_path than pg_catalog), so a boundary instant can be hit to the millisecond.
const FAKE_CLOCK_PATH = 'public,test_clock,pg_catalog';

describe('the issue window by the database clock', () => {
  let t: TestApp;
  let db: Db;
  let closeDb: () => Promise<void>;
  let start: Date;
  let end: Date;
  let coupon: { id: number };

  beforeAll(async () => {
    t = await createTestApp();
    for (const statement of [
      'CREATE SCHEMA test_clock',
      'CREATE TABLE test_clock.setting (at timestamptz NOT NULL)',
      'INSERT INTO test_clock.setting VALUES (now())',
      "CREATE FUNCTION test_clock.now() RETURNS timestamptz LANGUAGE sql STABLE AS 'SELECT at FROM test_clock.setting'",
    ]) {
      await t.database.db.execute(statement as never);
    }
    if (t.url) {
      // Its own pool, so every connection the issuer takes has the shadowing search_path.
      const pool = new pg.Pool({ connectionString: t.url, max: 4, options: `-c TimeZone=UTC -c search_path=${FAKE_CLOCK_PATH}` });
      db = drizzle(pool) as unknown as Db;
      closeDb = () => pool.end();
    } else {
      // PGlite has one session: set it there, and put it back afterwards.
      await t.database.db.execute(`SET search_path TO ${FAKE_CLOCK_PATH}` as never);
      db = t.database.db;
      closeDb = async () => {
        await t.database.db.execute('RESET search_path' as never);
      };
    }
  });
  afterAll(async () => {
    await closeDb?.();
    await t?.close();
  });

  beforeEach(async () => {
    start = new Date(Math.floor(Date.now() / 1000) * 1000 - HOUR);
    end = new Date(start.getTime() + 2 * HOUR);
    coupon = await newCoupon(t.app, { issueStartAt: start.toISOString(), issueEndAt: end.toISOString(), totalQuantity: 10 });
  });

  const setDatabaseClock = (at: Date) => t.database.db.execute(`UPDATE test_clock.setting SET at = '${at.toISOString()}'` as never);
  const issuerAt = (now: Date) => {
    const ctx: AppContext = { config: t.config, database: t.database, db, metrics: new Metrics(), redis: undefined, events: NO_EVENTS, eventSink: undefined };
    return new CouponIssuer(ctx, undefined, new UserDirectory(ctx.db), () => now);
  };
  const issuedCount = () => scalar(t.database.db, `SELECT issued_quantity AS v FROM coupons WHERE id = ${coupon.id}`);
  const issueRows = () => scalar(t.database.db, `SELECT count(*) AS v FROM coupon_issues WHERE coupon_id = ${coupon.id}`);

  it('reads the shadowed clock (the fake works, or the tests below prove nothing)', async () => {
    await setDatabaseClock(new Date('2031-05-06T07:08:09.123Z'));
    const [row] = await queryRows<{ at: Date | string }>(db, sql`SELECT now() AS at`);
    expect(new Date(row!.at).toISOString()).toBe('2031-05-06T07:08:09.123Z');
  });

  it('refuses at the exact end instant by the database clock, though the issuer saw the window open', async () => {
    const userId = await newUser(t.app);
    await setDatabaseClock(end);
    await expect(issuerAt(new Date(end.getTime() - 1)).issue(coupon.id, userId)).rejects.toMatchObject({ code: 'COUPON_NOT_ACTIVE' });
    expect(await issueRows()).toBe(0);
    expect(await issuedCount()).toBe(0);
  });

  it('refuses after the end by the database clock, though the issuer saw the window open', async () => {
    const userId = await newUser(t.app);
    await setDatabaseClock(new Date(end.getTime() + HOUR));
    await expect(issuerAt(new Date(end.getTime() - HOUR)).issue(coupon.id, userId)).rejects.toMatchObject({ code: 'COUPON_NOT_ACTIVE' });
    expect(await issuedCount()).toBe(0);
  });

  it('refuses one millisecond before the start by the database clock', async () => {
    const userId = await newUser(t.app);
    await setDatabaseClock(new Date(start.getTime() - 1));
    await expect(issuerAt(start).issue(coupon.id, userId)).rejects.toMatchObject({ code: 'COUPON_NOT_ACTIVE' });
    expect(await issuedCount()).toBe(0);
  });

  it('issues at the exact start instant by the database clock, stamped with that clock', async () => {
    const userId = await newUser(t.app);
    await setDatabaseClock(start);
    const issued = await issuerAt(start).issue(coupon.id, userId);
    expect(issued).toMatchObject({ couponId: coupon.id, userId, status: 'AVAILABLE', issuedAt: start.toISOString() });
    expect(await issuedCount()).toBe(1);
  });

  it('issues one millisecond before the end by the database clock', async () => {
    const userId = await newUser(t.app);
    await setDatabaseClock(new Date(end.getTime() - 1));
    await expect(issuerAt(new Date(end.getTime() - 1)).issue(coupon.id, userId)).resolves.toMatchObject({ status: 'AVAILABLE' });
    expect(await issuedCount()).toBe(1);
  });

  it('checks the window before "already issued" and before the quantity (by the issuer clock)', async () => {
    const holder = await newUser(t.app);
    const single = await newCoupon(t.app, { issueStartAt: start.toISOString(), issueEndAt: end.toISOString(), totalQuantity: 1 });
    await setDatabaseClock(start);
    await issuerAt(start).issue(single.id, holder);
    const other = await newUser(t.app);
    const closed = issuerAt(end);
    // A holder of a sold-out coupon hears that its window is over, not that it is held or gone.
    await expect(closed.issue(single.id, holder)).rejects.toMatchObject({ code: 'COUPON_NOT_ACTIVE' });
    await expect(closed.issue(single.id, other)).rejects.toMatchObject({ code: 'COUPON_NOT_ACTIVE' });
    await expect(issuerAt(start).issue(single.id, other)).rejects.toMatchObject({ code: 'COUPON_SOLD_OUT' });
  });
});
