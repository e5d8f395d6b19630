import { sql } from 'drizzle-orm';
import { queryRows, type Db } from './platform/db/db.js';
import { seedPaidOrders } from './seed-orders.js';

const SEED_LOCK_KEY = 7_240_002;

const DEMO_USERS: Array<[string, number]> = [
  ['Kim Minjun', 500_000],
  ['Lee Seoyeon', 120_000],
  ['Park Jiho', 50_000],
  ['Choi Yuna', 2_000_000],
  ['Jung Doyun', 0],
];

const DEMO_PRODUCTS: Array<[string, number, number]> = [
  ['Wireless Earbuds', 89_000, 120],
  ['Mechanical Keyboard', 129_000, 40],
  ['USB-C Charger 65W', 39_000, 300],
  ['Cotton T-Shirt', 19_900, 500],
  ['Running Shoes', 99_000, 80],
  ['Stainless Tumbler', 25_000, 250],
  ['Desk Lamp', 45_000, 60],
  ['Notebook A5', 3_500, 1_000],
  ['Coffee Beans 1kg', 32_000, 150],
  ['Backpack', 69_000, 70],
  ['Phone Case', 15_000, 400],
  ['Bluetooth Speaker', 59_000, 90],
];

const DAY = 86_400_000;
// [name, code, type, value, minimum order, cap, quantity, starts in days, ends in days, validity days]
const DEMO_COUPONS: Array<[string, string, 'FIXED' | 'PERCENTAGE', number, number, number | null, number, number, number, number]> = [
  ['Welcome 3,000 won', 'WELCOME3000', 'FIXED', 3_000, 20_000, null, 1_000, -1, 30, 14],
  ['Flash 10% (max 10,000)', 'FLASH10', 'PERCENTAGE', 10, 0, 10_000, 100, -1, 7, 7],
  ['Last one standing 50%', 'HALF50', 'PERCENTAGE', 50, 50_000, 30_000, 1, -1, 7, 3],
  ['Next week 5,000 won', 'NEXTWEEK', 'FIXED', 5_000, 30_000, null, 500, 7, 14, 7],
];

/**
 * Fills an empty database with demo users (balances written through the ledger), products, coupons
 * and a few days of paid orders.
 * Once across instances: an advisory lock, then an emptiness check.
 */
export async function seedDemo(db: Db): Promise<boolean> {
  return db.transaction(async (txRaw) => {
    const tx = txRaw as unknown as Db;
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${SEED_LOCK_KEY})`);
    const [counts] = await queryRows<{ n: number }>(
      tx,
      sql`SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM products) AS n`,
    );
    if (Number(counts?.n) > 0) return false;
    for (const [name, balance] of DEMO_USERS) {
      await tx.execute(sql`
        WITH u AS (INSERT INTO users (name, balance) VALUES (${name}, ${balance}) RETURNING id, balance)
        INSERT INTO balance_history (user_id, type, amount, balance_after)
        SELECT id, 'CHARGE', balance, balance FROM u WHERE balance > 0`);
    }
    for (const [name, price, stock] of DEMO_PRODUCTS) {
      await tx.execute(sql`
        WITH p AS (INSERT INTO products (name, price, stock) VALUES (${name}, ${price}, ${stock}) RETURNING id, stock)
        INSERT INTO stock_movements (product_id, kind, delta) SELECT id, 'INITIAL', stock FROM p`);
    }
    const now = Date.now();
    for (const [name, code, type, value, minimum, cap, quantity, startDays, endDays, validity] of DEMO_COUPONS) {
      await tx.execute(sql`
        INSERT INTO coupons (name, code, discount_type, discount_value, minimum_order_amount, max_discount_amount,
                             total_quantity, issue_start_at, issue_end_at, validity_days)
        VALUES (${name}, ${code}, ${type}, ${value}, ${minimum}, ${cap}, ${quantity},
                ${new Date(now + startDays * DAY).toISOString()}, ${new Date(now + endDays * DAY).toISOString()}, ${validity})`);
    }
    await seedPaidOrders(tx, new Date(now));
    return true;
  });
}
