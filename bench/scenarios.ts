import type { Scenario } from './lib.js';
import type { Fixture } from './run.js';

export interface PreparedScenario {
  scenario: Scenario;
  /** Checks the data after the run and says what it found. */
  verify?: (statuses: Map<number, number>) => Promise<string>;
}

export interface BenchScenario {
  prepare(f: Fixture): Promise<PreparedScenario>;
}

export const reads: BenchScenario[] = [
  {
    prepare: async (f) => ({
      scenario: { name: 'GET /products/:id (1,000 ids)', path: (i) => `/api/v1/products/${f.productIds[i % f.productIds.length]}` },
    }),
  },
  {
    prepare: async (f) => ({
      scenario: { name: 'GET /users/:id/balance (1,000 ids)', path: (i) => `/api/v1/users/${f.userIds[i % f.userIds.length]}/balance` },
    }),
  },
];

export const STAMPEDE_COUPONS = 100;
export const STAMPEDE_REQUESTS = 20_000;

/** 100 coupons, every user of the fixture (3,000+) asking in turn, 20,000 requests over 50 connections. */
export function couponStampede(label: string): BenchScenario {
  return {
    prepare: async (f) => {
      const coupon = await f.post(
        f.baseUrl,
        '/api/v1/admin/coupons',
        {
          name: 'Stampede',
          code: `BENCH${Date.now().toString(36)}`,
          discountType: 'FIXED',
          discountValue: 1_000,
          totalQuantity: STAMPEDE_COUPONS,
          issueStartAt: new Date(Date.now() - 60_000).toISOString(),
          issueEndAt: new Date(Date.now() + 3_600_000).toISOString(),
          validityDays: 7,
        },
        f.admin,
      );
      const couponId = coupon['id']!;
      return {
        scenario: {
          name: `POST /coupons/issue stampede, ${label}`,
          method: 'POST',
          path: () => '/api/v1/coupons/issue',
          body: (i) => ({ couponId, userId: f.userIds[i % f.userIds.length] }),
          expected: [409],
          amount: STAMPEDE_REQUESTS,
          connections: 50,
        },
        verify: async (statuses) => {
          const created = statuses.get(201) ?? 0;
          const rows = f.count ? await f.count('SELECT count(*) AS v FROM coupon_issues WHERE coupon_id = $1', [couponId]) : undefined;
          const ok = created === STAMPEDE_COUPONS && (rows === undefined || rows === STAMPEDE_COUPONS);
          return `${created} answered 201${rows === undefined ? '' : `, ${rows} rows in coupon_issues`} of ${STAMPEDE_COUPONS} ${ok ? '(exact)' : '(WRONG)'}`;
        },
      };
    },
  };
}
