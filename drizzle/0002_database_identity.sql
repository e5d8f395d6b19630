CREATE TABLE "app_meta" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL
);
--> statement-breakpoint
-- Redis keys are namespaced by this id, so gate state left by another database can never apply here.
INSERT INTO "app_meta" ("key", "value") VALUES ('database_id', gen_random_uuid()::text);
