-- Idempotency keys belong to a user (SPEC section 2): the key's owner joins the primary key.
-- (Number 0003 is reserved for the orders migration.)
ALTER TABLE "idempotency_keys" ADD COLUMN "user_id" bigint;--> statement-breakpoint
-- Every answer stored so far (balance.charge) names its user: the body of a 200, the details of a refusal.
UPDATE "idempotency_keys" SET "user_id" = COALESCE(("response_body"->>'userId')::bigint, ("response_body"->'details'->>'userId')::bigint);--> statement-breakpoint
-- An answer naming no user cannot be given an owner; none exists today, and none is older than 24 h.
DELETE FROM "idempotency_keys" WHERE "user_id" IS NULL;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ALTER COLUMN "user_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "idempotency_keys" DROP CONSTRAINT "idempotency_keys_scope_key_pk";--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_scope_user_id_key_pk" PRIMARY KEY("scope","user_id","key");
