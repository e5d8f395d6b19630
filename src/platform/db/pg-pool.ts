import pg from 'pg';

/**
 * A pool of PostgreSQL connections with what every connection of the service has: UTC, a
 * statement timeout, and `settings` (`name=value`) on top.
 */
export function openPool(url: string, max: number, applicationName: string, settings: string[] = []): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    application_name: applicationName,
    options: ['TimeZone=UTC', 'statement_timeout=15000', ...settings].map((s) => `-c ${s}`).join(' '),
    // A saturated pool fails a request after 5 s instead of queueing it without end.
    connectionTimeoutMillis: 5_000,
  });
  // A client that loses its connection (database restart, failover, a killed backend) must fail
  // its query, not crash the process: idle clients report through the pool, checked-out ones
  // through their own 'error' event, which needs a listener from the start.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}
