import pg from 'pg';

export type WriteKind = 'UPDATE products' | 'INSERT order + 2 lines';

/** Latencies (ms) of writes to products and orders by 4 writers over `durationMs`. */
export async function measureWrites(pool: pg.Pool, durationMs: number): Promise<Record<WriteKind, number[]>> {
  const out: Record<WriteKind, number[]> = { 'UPDATE products': [], 'INSERT order + 2 lines': [] };
  const end = Date.now() + durationMs;
  const updater = async () => {
    while (Date.now() < end) {
      const t = performance.now();
      // The best sellers (low ids) are the rows the batch reads and ranks.
      await pool.query(`UPDATE products SET stock = stock + 1, updated_at = now() WHERE id = $1`, [1 + Math.floor(Math.random() * 10)]);
      out['UPDATE products'].push(performance.now() - t);
    }
  };
  const orderer = async () => {
    while (Date.now() < end) {
      const t = performance.now();
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // Paid a day ago: inside the window the batch is reading.
        const { rows } = await client.query(
          `INSERT INTO orders (order_number, user_id, status, item_amount, shipping_amount, discount_amount, payment_amount, hold_until, paid_at)
           VALUES ('W' || gen_random_uuid(), 1, 'PAID', 3004, 0, 0, 3004, now(), now() - interval '1 day') RETURNING id`,
        );
        await client.query(
          `INSERT INTO order_items (order_id, product_id, product_name, unit_price, quantity, amount)
           VALUES ($1, 1, 'product 1', 1001, 1, 1001), ($1, 2, 'product 2', 1002, 2, 2004)`,
          [rows[0].id],
        );
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      out['INSERT order + 2 lines'].push(performance.now() - t);
    }
  };
  await Promise.all([updater(), updater(), orderer(), orderer()]);
  return out;
}

/** `p50 / p99 / max (n)` of latencies in ms. */
export function summary(latencies: number[]): string {
  const s = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(1);
  return `${at(0.5)} / ${at(0.99)} / ${s[s.length - 1]!.toFixed(1)} (${s.length})`;
}
