import { pgTable, text } from 'drizzle-orm/pg-core';

/** Facts about this database itself, such as its identity (`database_id`, set by the migration). */
export const appMeta = pgTable('app_meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});
