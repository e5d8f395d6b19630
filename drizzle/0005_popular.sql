CREATE TABLE "popular_products" (
	"run_date" date NOT NULL,
	"rank" integer NOT NULL,
	"run_id" bigint NOT NULL,
	"product_id" bigint NOT NULL,
	"product_name" varchar(100) NOT NULL,
	"price" bigint NOT NULL,
	"sales_count" bigint NOT NULL,
	CONSTRAINT "popular_products_pk" PRIMARY KEY("run_date","rank"),
	CONSTRAINT "popular_products_rank_valid" CHECK ("popular_products"."rank" BETWEEN 1 AND 5),
	CONSTRAINT "popular_products_sales_positive" CHECK ("popular_products"."sales_count" > 0)
);
--> statement-breakpoint
CREATE TABLE "popular_runs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "popular_runs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"run_date" date NOT NULL,
	"trigger" varchar(10) NOT NULL,
	"timezone" varchar(64) NOT NULL,
	"window_start" timestamp (3) with time zone NOT NULL,
	"window_end" timestamp (3) with time zone NOT NULL,
	"computed_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "popular_runs_trigger_valid" CHECK ("popular_runs"."trigger" IN ('SCHEDULE', 'MANUAL', 'STARTUP')),
	CONSTRAINT "popular_runs_window_valid" CHECK ("popular_runs"."window_end" > "popular_runs"."window_start")
);
--> statement-breakpoint
ALTER TABLE "popular_products" ADD CONSTRAINT "popular_products_run_id_popular_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."popular_runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "popular_products" ADD CONSTRAINT "popular_products_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "popular_runs_scheduled_once" ON "popular_runs" USING btree ("run_date") WHERE "popular_runs"."trigger" = 'SCHEDULE';--> statement-breakpoint
CREATE INDEX "orders_paid_at_idx" ON "orders" USING btree ("paid_at") WHERE "orders"."status" = 'PAID';