import path from 'node:path';
import pg from 'pg';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { projectRoot } from '../../shared/project-root.js';
import type { Database } from './db.js';

const MIGRATIONS_DIR = path.join(projectRoot(), 'drizzle');
// Any constant works; it only has to be the same in every instance.
const MIGRATION_LOCK_KEY = 7_240_001;

/**
 * Applies the committed SQL migrations. On a server, a session advisory lock makes instances that
 * start together take turns: the first migrates, the others find nothing left to do.
 */
export async function runMigrations(database: Database, url: string | undefined): Promise<void> {
  if (database.kind === 'pglite' || !url) {
    await migratePglite(database.db as unknown as PgliteDatabase, { migrationsFolder: MIGRATIONS_DIR });
    return;
  }
  const client = new pg.Client({ connectionString: url, application_name: 'ecommerce-migrate' });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await migratePg(drizzlePg(client), { migrationsFolder: MIGRATIONS_DIR });
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    await client.end();
  }
}
