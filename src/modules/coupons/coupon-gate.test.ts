import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { REDIS_URL } from '../../../test/helpers/databases.js';
import { deleteKeysUnder } from '../../../test/helpers/redis-keys.js';
import { MemoryCouponGate, type CouponGate, type GateLoader } from './coupon-gate.js';
import { RedisCouponGate } from './coupon-gate.redis.js';

// The gate's rules, the same for both implementations; the database is a stub loader here because
// the gate never decides an issue, it only refuses or lets through.
const prefix = `test:gate:${randomBytes(4).toString('hex')}:`;
const redis = new Redis(REDIS_URL, { keyPrefix: prefix });
afterAll(async () => {
  await deleteKeysUnder(redis, prefix);
  redis.disconnect();
});

// holderSetMax 1,000 keeps every test coupon's holders; 0 makes every coupon "large" (counted only).
describe.each([
  ['memory', 'keeping holders', (load: GateLoader) => new MemoryCouponGate(load, 1_000)],
  ['redis', 'keeping holders', (load: GateLoader) => new RedisCouponGate(redis, load, () => {}, 200, 1_000)],
  ['memory', 'counting holders', (load: GateLoader) => new MemoryCouponGate(load, 0)],
  ['redis', 'counting holders', (load: GateLoader) => new RedisCouponGate(redis, load, () => {}, 200, 0)],
])('%s coupon gate %s', (_kind, mode, make) => {
  const keeps = mode === 'keeping holders';
  let loads = 0;
  let askedHolders: boolean[] = [];
  let db: { holders: number[]; soldOut: boolean };
  let gate: CouponGate;
  let coupon = 0;
  beforeEach(() => {
    loads = 0;
    askedHolders = [];
    db = { holders: [], soldOut: false };
    gate = make(async (_id, withHolders) => {
      loads++;
      askedHolders.push(withHolders);
      return { holders: withHolders ? db.holders : [], issued: db.holders.length, soldOut: db.soldOut };
    });
    coupon = Math.floor(Math.random() * 1e9);
  });

  it('admits up to the total, then answers FULL (not SOLD_OUT) while requests are in flight', async () => {
    expect(await gate.admit(coupon, 1, 2)).toBe('ADMITTED');
    expect(await gate.admit(coupon, 2, 2)).toBe('ADMITTED');
    expect(await gate.admit(coupon, 3, 2)).toBe('FULL');
    expect(await gate.admit(coupon, 1, 2)).toBe('PASS'); // the same user, still in flight
  });

  it('answers SOLD_OUT once told the database called the coupon sold out, whoever asked it', async () => {
    expect(await gate.admit(coupon, 1, 1)).toBe('ADMITTED');
    await gate.settle(coupon, 1, 'ISSUED', true);
    expect(await gate.admit(coupon, 2, 1)).toBe('FULL');
    await gate.markSoldOut(coupon);
    expect(await gate.admit(coupon, 2, 1)).toBe('SOLD_OUT');
  });

  it('gives the place back when the database fails, and keeps it when it issues', async () => {
    expect(await gate.admit(coupon, 1, 1)).toBe('ADMITTED');
    await gate.settle(coupon, 1, 'FAILED', true);
    // A failure confirms nothing: the same user may try again.
    expect(await gate.admit(coupon, 1, 1)).toBe('ADMITTED');
    await gate.settle(coupon, 1, 'FAILED', true);
    expect(await gate.admit(coupon, 2, 1)).toBe('ADMITTED');
    await gate.settle(coupon, 2, 'ISSUED', true);
    // A counting gate does not know who holds it (the issuer asks the index), only that it is taken.
    expect(await gate.admit(coupon, 2, 1)).toBe(keeps ? 'ALREADY_ISSUED' : 'FULL');
    expect(await gate.admit(coupon, 3, 1)).toBe('FULL');
  });

  it('refuses with SOLD_OUT only once the database said so', async () => {
    expect(await gate.admit(coupon, 1, 1)).toBe('ADMITTED');
    await gate.settle(coupon, 2, 'SOLD_OUT', false);
    expect(await gate.admit(coupon, 3, 1)).toBe('SOLD_OUT');
  });

  it('starts from the database: its holders (or their number) and its sold-out state', async () => {
    db = { holders: [7, 8], soldOut: true };
    expect(await gate.admit(coupon, 7, 2)).toBe(keeps ? 'ALREADY_ISSUED' : 'SOLD_OUT');
    expect(await gate.admit(coupon, 9, 2)).toBe('SOLD_OUT');
    expect(loads).toBe(1);
    // A large coupon's holder list is never loaded.
    expect(askedHolders).toEqual([keeps]);
  });

  it('counts the holders the database has: 2 of 3 taken leaves one place', async () => {
    db = { holders: [7, 8], soldOut: false };
    expect(await gate.admit(coupon, 1, 3)).toBe('ADMITTED');
    expect(await gate.admit(coupon, 2, 3)).toBe('FULL');
  });

  it('learns a holder the database reported, even one it never admitted (when it keeps holders)', async () => {
    await gate.admit(coupon, 1, 5); // loads the state
    await gate.settle(coupon, 4, 'ALREADY_ISSUED', false);
    expect(await gate.admit(coupon, 4, 5)).toBe(keeps ? 'ALREADY_ISSUED' : 'ADMITTED');
  });
});

describe('redis coupon gate, when Redis loses or keeps stale state', () => {
  const holders = { holders: [1, 2], issued: 2, soldOut: false };
  let loads = 0;
  const load: GateLoader = async () => {
    loads++;
    return holders;
  };
  const gate = new RedisCouponGate(redis, load, () => {}, 200);
  const counting = new RedisCouponGate(redis, load, () => {}, 200, 0);

  it('rebuilds once from the database when its keys vanish, even under concurrent requests', async () => {
    const coupon = Math.floor(Math.random() * 1e9);
    expect(await gate.admit(coupon, 1, 3)).toBe('ALREADY_ISSUED');
    await redis.del(`coupon:{${coupon}}:issued`, `coupon:{${coupon}}:pending`);
    loads = 0;
    const verdicts = await Promise.all([3, 4, 5, 6].map((u) => gate.admit(coupon, u, 3)));
    expect(loads).toBe(1);
    expect(verdicts.filter((v) => v === 'ADMITTED')).toHaveLength(1);
    expect(verdicts.filter((v) => v === 'FULL')).toHaveLength(3);
    expect(await gate.admit(coupon, 2, 3)).toBe('ALREADY_ISSUED');
    // The rebuilt set stays: the expiry that guarded its rebuild is gone (-1: no expiry).
    expect(await redis.ttl(`coupon:{${coupon}}:issued`)).toBe(-1);
  });

  it('rebuilds the count of a large coupon once when it vanishes, even under concurrent requests', async () => {
    const coupon = Math.floor(Math.random() * 1e9);
    expect(await counting.admit(coupon, 3, 3)).toBe('ADMITTED');
    await counting.settle(coupon, 3, 'FAILED', true);
    await redis.del(`coupon:{${coupon}}:count`, `coupon:{${coupon}}:pending`);
    loads = 0;
    const verdicts = await Promise.all([3, 4, 5, 6].map((u) => counting.admit(coupon, u, 3)));
    expect(loads).toBe(1);
    expect(verdicts.filter((v) => v === 'ADMITTED')).toHaveLength(1);
    expect(verdicts.filter((v) => v === 'FULL')).toHaveLength(3);
    // No holder set was ever written for it: the state stays a few bytes whatever the holders.
    expect(await redis.exists(`coupon:{${coupon}}:issued`)).toBe(0);
    expect(await redis.get(`coupon:{${coupon}}:count`)).toBe('2');
  });

  it('stops holding a place for an admission that never settled once its time is up', async () => {
    const coupon = Math.floor(Math.random() * 1e9);
    expect(await gate.admit(coupon, 3, 3)).toBe('ADMITTED'); // its instance "dies" here
    expect(await gate.admit(coupon, 4, 3)).toBe('FULL');
    await new Promise((r) => setTimeout(r, 250));
    expect(await gate.admit(coupon, 4, 3)).toBe('ADMITTED');
  });
});
