CREATE TABLE "stock_movements" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "stock_movements_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"product_id" bigint NOT NULL,
	"kind" varchar(20) NOT NULL,
	"delta" integer NOT NULL,
	"order_id" bigint,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stock_movements_kind_valid" CHECK ("stock_movements"."kind" IN ('INITIAL', 'ADMIN_SET', 'ADMIN_DELTA', 'RESERVE', 'RELEASE')),
	CONSTRAINT "stock_movements_delta_nonzero" CHECK ("stock_movements"."delta" <> 0),
	CONSTRAINT "stock_movements_order_kinds" CHECK (("stock_movements"."kind" IN ('RESERVE', 'RELEASE')) = ("stock_movements"."order_id" IS NOT NULL)
          AND ("stock_movements"."kind" <> 'RESERVE' OR "stock_movements"."delta" < 0) AND ("stock_movements"."kind" <> 'RELEASE' OR "stock_movements"."delta" > 0))
);
--> statement-breakpoint
CREATE TABLE "order_items" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "order_items_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"order_id" bigint NOT NULL,
	"product_id" bigint NOT NULL,
	"product_name" varchar(100) NOT NULL,
	"unit_price" bigint NOT NULL,
	"quantity" integer NOT NULL,
	"amount" bigint NOT NULL,
	CONSTRAINT "order_items_order_product_unique" UNIQUE("order_id","product_id"),
	CONSTRAINT "order_items_quantity_positive" CHECK ("order_items"."quantity" > 0),
	CONSTRAINT "order_items_amount_valid" CHECK ("order_items"."unit_price" > 0 AND "order_items"."amount" = "order_items"."unit_price" * "order_items"."quantity")
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "orders_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"order_number" varchar(40) NOT NULL,
	"user_id" bigint NOT NULL,
	"status" varchar(20) NOT NULL,
	"item_amount" bigint NOT NULL,
	"shipping_amount" bigint NOT NULL,
	"discount_amount" bigint NOT NULL,
	"payment_amount" bigint NOT NULL,
	"coupon_id" bigint,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"hold_until" timestamp (3) with time zone NOT NULL,
	"paid_at" timestamp (3) with time zone,
	"cancelled_at" timestamp (3) with time zone,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "orders_order_number_unique" UNIQUE("order_number"),
	CONSTRAINT "orders_status_valid" CHECK ("orders"."status" IN ('CREATED', 'PAID', 'PAYMENT_FAILED', 'CANCELLED')),
	CONSTRAINT "orders_amounts_valid" CHECK ("orders"."item_amount" > 0 AND "orders"."shipping_amount" >= 0 AND "orders"."discount_amount" >= 0 AND "orders"."discount_amount" <= "orders"."item_amount"
          AND "orders"."payment_amount" = "orders"."item_amount" - "orders"."discount_amount" + "orders"."shipping_amount"),
	CONSTRAINT "orders_paid_at_iff_paid" CHECK (("orders"."status" = 'PAID') = ("orders"."paid_at" IS NOT NULL)),
	CONSTRAINT "orders_cancelled_at_iff_cancelled" CHECK (("orders"."status" = 'CANCELLED') = ("orders"."cancelled_at" IS NOT NULL))
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "outbox_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"event_id" uuid NOT NULL,
	"topic" varchar(60) NOT NULL,
	"aggregate_id" bigint NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"sent_at" timestamp (3) with time zone,
	CONSTRAINT "outbox_event_id_unique" UNIQUE("event_id"),
	CONSTRAINT "outbox_topic_aggregate_unique" UNIQUE("topic","aggregate_id"),
	CONSTRAINT "outbox_attempts_non_negative" CHECK ("outbox"."attempts" >= 0)
);
--> statement-breakpoint
ALTER TABLE "stock_movements" ADD CONSTRAINT "stock_movements_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_items" ADD CONSTRAINT "order_items_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_items" ADD CONSTRAINT "order_items_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_coupon_id_coupons_id_fk" FOREIGN KEY ("coupon_id") REFERENCES "public"."coupons"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "stock_movements_product_idx" ON "stock_movements" USING btree ("product_id","id");--> statement-breakpoint
CREATE INDEX "orders_user_id_idx" ON "orders" USING btree ("user_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "orders_unpaid_hold_idx" ON "orders" USING btree ("hold_until") WHERE "orders"."status" IN ('CREATED', 'PAYMENT_FAILED');--> statement-breakpoint
CREATE INDEX "outbox_unsent_idx" ON "outbox" USING btree ("next_attempt_at","id") WHERE "outbox"."sent_at" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "coupon_issues_order_unique" ON "coupon_issues" USING btree ("order_id") WHERE "coupon_issues"."order_id" IS NOT NULL;--> statement-breakpoint
-- Stock that existed before movements were recorded is its opening supply (no order existed then).
INSERT INTO "stock_movements" ("product_id", "kind", "delta") SELECT "id", 'INITIAL', "stock" FROM "products" WHERE "stock" > 0;
