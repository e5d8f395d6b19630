import type { Scenario } from './lib.js';
import type { Fixture } from './run.js';

export interface PreparedScenario {
  scenario: Scenario;
  /** Checks the data after the run and says what it found. */
  verify?: () => Promise<string>;
}

export interface BenchScenario {
  prepare(f: Fixture): Promise<PreparedScenario>;
}

/** The scenarios of one mode, in the order they run. */
export function scenarios(_mode: 'embedded' | 'postgres', _redis: boolean): BenchScenario[] {
  return [
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
}
