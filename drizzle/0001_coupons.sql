CREATE TABLE "coupon_issues" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "coupon_issues_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"coupon_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"issued_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"used_at" timestamp (3) with time zone,
	"order_id" bigint,
	CONSTRAINT "coupon_issues_coupon_user_unique" UNIQUE("coupon_id","user_id"),
	CONSTRAINT "coupon_issues_expiry_after_issue" CHECK ("coupon_issues"."expires_at" > "coupon_issues"."issued_at"),
	CONSTRAINT "coupon_issues_used_with_order" CHECK (("coupon_issues"."used_at" IS NULL) = ("coupon_issues"."order_id" IS NULL))
);
--> statement-breakpoint
CREATE TABLE "coupons" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "coupons_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" varchar(30) NOT NULL,
	"code" varchar(20) NOT NULL,
	"discount_type" varchar(10) NOT NULL,
	"discount_value" bigint NOT NULL,
	"minimum_order_amount" bigint DEFAULT 0 NOT NULL,
	"max_discount_amount" bigint,
	"total_quantity" integer NOT NULL,
	"issued_quantity" integer DEFAULT 0 NOT NULL,
	"issue_start_at" timestamp (3) with time zone NOT NULL,
	"issue_end_at" timestamp (3) with time zone NOT NULL,
	"validity_days" integer NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "coupons_code_unique" UNIQUE("code"),
	CONSTRAINT "coupons_discount_type_valid" CHECK ("coupons"."discount_type" IN ('FIXED', 'PERCENTAGE')),
	CONSTRAINT "coupons_discount_value_valid" CHECK ("coupons"."discount_value" > 0 AND ("coupons"."discount_type" = 'FIXED' OR "coupons"."discount_value" <= 100)),
	CONSTRAINT "coupons_minimum_non_negative" CHECK ("coupons"."minimum_order_amount" >= 0),
	CONSTRAINT "coupons_max_discount_valid" CHECK ("coupons"."max_discount_amount" IS NULL OR ("coupons"."max_discount_amount" >= 0 AND "coupons"."discount_type" = 'PERCENTAGE')),
	CONSTRAINT "coupons_quantity_valid" CHECK ("coupons"."total_quantity" > 0 AND "coupons"."issued_quantity" >= 0 AND "coupons"."issued_quantity" <= "coupons"."total_quantity"),
	CONSTRAINT "coupons_window_valid" CHECK ("coupons"."issue_end_at" > "coupons"."issue_start_at"),
	CONSTRAINT "coupons_validity_positive" CHECK ("coupons"."validity_days" > 0)
);
--> statement-breakpoint
ALTER TABLE "coupon_issues" ADD CONSTRAINT "coupon_issues_coupon_id_coupons_id_fk" FOREIGN KEY ("coupon_id") REFERENCES "public"."coupons"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coupon_issues" ADD CONSTRAINT "coupon_issues_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "coupon_issues_user_idx" ON "coupon_issues" USING btree ("user_id","id");