-- Orders are placed by this function alone, one order or a batch (src/modules/orders/place-order.repo.ts).
--
-- place_orders(orders, shipping_fee, threshold, hold_seconds) places and pays each order of
-- `orders` ([{"u": userId, "c": couponId | null, "i": [productId…], "q": [quantity…]}…]) as if it
-- were placed alone, in the given order, and answers one jsonb row per order (its checks' findings,
-- its amounts, and the order it wrote, if any).
--
-- 1. Every row the orders may change is locked and read once, in the global lock order: the unused
--    coupon issues, then users, then products, each by id. Nobody else can change them until the
--    commit, so what the function computes from them is exact, and no order needs a retry.
-- 2. Each order is decided in memory, seeing the orders before it (stock, balance, coupon): the
--    contract's checks in their order (user, products, coupon, stock), then the payment.
-- 3. The rows are written in one statement per table, and each conditional update is checked
--    again by the database (unused coupon, sufficient balance, CHECK (stock >= 0)); a mismatch
--    aborts the batch, which the application then retries order by order.
--
-- A hot product's row is locked, updated and committed once per batch, however many of its orders
-- the batch holds; and the cost per order is a few array operations, not a statement.
-- Nested loops over primary keys are the plan for every statement here (a handful of rows each),
-- whatever the statistics say of a table that has just been created or filled.
CREATE OR REPLACE FUNCTION place_orders(p_orders jsonb, p_shipping_fee bigint, p_threshold bigint, p_hold_seconds double precision)
RETURNS SETOF jsonb LANGUAGE plpgsql
SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off
AS $place_orders$
DECLARE
  v_now timestamptz(3) := now();
  v_now_text text := to_char(v_now AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
  v_day text := to_char(v_now AT TIME ZONE 'UTC', 'YYYYMMDD');
  n int := jsonb_array_length(p_orders);
  o jsonb;
  -- What the batch asks for.
  a_users bigint[] := '{}';
  a_products bigint[] := '{}';
  a_cp_coupons bigint[] := '{}';
  a_cp_users bigint[] := '{}';
  -- The locked rows, as read.
  pr_id bigint[]; pr_name text[]; pr_price bigint[]; pr_stock int[]; pr_taken int[];
  us_id bigint[]; us_balance bigint[]; us_spent bigint[];
  cp_key text[]; cp_used boolean[]; cp_expired boolean[]; cp_type text[]; cp_value bigint[]; cp_minimum bigint[]; cp_cap bigint[];
  -- One order.
  v_user bigint; v_coupon bigint; v_lines int; v_pid bigint; v_qty int;
  ux int; px int; cx int; k int; i int;
  v_found int; v_item bigint; v_stock_ok boolean; v_items jsonb; v_stocks jsonb;
  v_owned boolean; v_used boolean; v_expired boolean; v_minimum bigint; v_discount bigint; v_shipping bigint; v_payment bigint;
  v_go boolean; v_paid boolean; v_order bigint; v_number text; v_status text; v_balance bigint; v_event uuid;
  -- The rows to write.
  w_id bigint[] := '{}'; w_number text[] := '{}'; w_user bigint[] := '{}'; w_status text[] := '{}'; w_item bigint[] := '{}';
  w_ship bigint[] := '{}'; w_disc bigint[] := '{}'; w_pay bigint[] := '{}'; w_coupon bigint[] := '{}';
  li_order bigint[] := '{}'; li_product bigint[] := '{}'; li_name text[] := '{}'; li_price bigint[] := '{}'; li_qty int[] := '{}';
  led_user bigint[] := '{}'; led_amount bigint[] := '{}'; led_after bigint[] := '{}'; led_order bigint[] := '{}';
  ev_id uuid[] := '{}'; ev_order bigint[] := '{}'; ev_payload jsonb[] := '{}';
  cu_coupon bigint[] := '{}'; cu_user bigint[] := '{}'; cu_order bigint[] := '{}';
  v_rows int;
BEGIN
  FOR i IN 0 .. n - 1 LOOP
    o := p_orders -> i;
    a_users := a_users || (o ->> 'u')::bigint;
    IF o ->> 'c' IS NOT NULL THEN
      a_cp_coupons := a_cp_coupons || (o ->> 'c')::bigint;
      a_cp_users := a_cp_users || (o ->> 'u')::bigint;
    END IF;
    FOR k IN 0 .. jsonb_array_length(o -> 'i') - 1 LOOP
      a_products := a_products || (o -> 'i' ->> k)::bigint;
    END LOOP;
  END LOOP;

  -- 1. Lock and read, in the global order. Used coupon issues are left alone: an order never takes
  --    one, and the expiry sweeper may be releasing it.
  IF cardinality(a_cp_coupons) > 0 THEN
    PERFORM 1 FROM coupon_issues ci
      WHERE (ci.coupon_id, ci.user_id) IN (SELECT c, u FROM unnest(a_cp_coupons, a_cp_users) x(c, u)) AND ci.used_at IS NULL
      ORDER BY ci.id FOR UPDATE;
    SELECT array_agg(ci.coupon_id || '/' || ci.user_id), array_agg(ci.used_at IS NOT NULL), array_agg(ci.expires_at <= v_now),
           array_agg(c.discount_type), array_agg(c.discount_value), array_agg(c.minimum_order_amount), array_agg(c.max_discount_amount)
      INTO cp_key, cp_used, cp_expired, cp_type, cp_value, cp_minimum, cp_cap
      FROM coupon_issues ci JOIN coupons c ON c.id = ci.coupon_id
      WHERE (ci.coupon_id, ci.user_id) IN (SELECT c, u FROM unnest(a_cp_coupons, a_cp_users) x(c, u));
  END IF;
  SELECT array_agg(id), array_agg(balance), array_agg(0::bigint) INTO us_id, us_balance, us_spent
    FROM (SELECT id, balance FROM users WHERE id = ANY (a_users) ORDER BY id FOR UPDATE) u;
  SELECT array_agg(id), array_agg(name), array_agg(price), array_agg(stock), array_agg(0) INTO pr_id, pr_name, pr_price, pr_stock, pr_taken
    FROM (SELECT id, name, price, stock FROM products WHERE id = ANY (a_products) ORDER BY id FOR UPDATE) p;

  -- 2. Each order in turn, on the state the orders before it left.
  FOR i IN 0 .. n - 1 LOOP
    o := p_orders -> i;
    v_user := (o ->> 'u')::bigint;
    v_coupon := (o ->> 'c')::bigint;
    v_lines := jsonb_array_length(o -> 'i');
    ux := array_position(us_id, v_user);
    v_balance := us_balance[ux];
    v_found := 0; v_item := 0; v_stock_ok := true; v_items := '[]'; v_stocks := '[]';
    IF ux IS NOT NULL THEN
      FOR k IN 0 .. v_lines - 1 LOOP
        v_pid := (o -> 'i' ->> k)::bigint;
        v_qty := (o -> 'q' ->> k)::int;
        px := array_position(pr_id, v_pid);
        CONTINUE WHEN px IS NULL;
        v_found := v_found + 1;
        v_item := v_item + pr_price[px] * v_qty;
        v_stock_ok := v_stock_ok AND pr_stock[px] >= v_qty;
        v_items := v_items || jsonb_build_object('productId', v_pid, 'name', pr_name[px], 'unitPrice', pr_price[px], 'quantity', v_qty, 'amount', pr_price[px] * v_qty);
        v_stocks := v_stocks || jsonb_build_object('productId', v_pid, 'stock', pr_stock[px]);
      END LOOP;
    END IF;

    cx := CASE WHEN v_coupon IS NULL THEN NULL ELSE array_position(cp_key, v_coupon || '/' || v_user) END;
    v_owned := cx IS NOT NULL;
    v_used := cp_used[cx];
    v_expired := cp_expired[cx];
    v_minimum := cp_minimum[cx];
    v_discount := CASE WHEN cx IS NULL THEN 0
                       WHEN cp_type[cx] = 'FIXED' THEN least(cp_value[cx], v_item)
                       ELSE least(v_item * cp_value[cx] / 100, coalesce(cp_cap[cx], v_item), v_item) END;
    v_shipping := CASE WHEN v_item >= p_threshold THEN 0 ELSE p_shipping_fee END;
    v_payment := v_item - v_discount + v_shipping;
    v_go := ux IS NOT NULL AND v_found = v_lines AND v_stock_ok
            AND (v_coupon IS NULL OR (v_owned AND NOT v_used AND NOT v_expired AND v_item >= v_minimum));

    v_order := NULL; v_number := NULL; v_status := NULL; v_paid := false;
    IF v_go THEN
      v_order := nextval('orders_id_seq'::regclass);
      v_number := 'ORD-' || v_day || '-' || lpad(v_order::text, greatest(8, length(v_order::text)), '0');
      IF v_coupon IS NOT NULL THEN
        cp_used[cx] := true;
        cu_coupon := cu_coupon || v_coupon; cu_user := cu_user || v_user; cu_order := cu_order || v_order;
      END IF;
      v_paid := us_balance[ux] >= v_payment;
      v_status := CASE WHEN v_paid THEN 'PAID' ELSE 'PAYMENT_FAILED' END;
      IF v_paid THEN
        us_balance[ux] := us_balance[ux] - v_payment;
        us_spent[ux] := us_spent[ux] + v_payment;
        led_user := led_user || v_user; led_amount := led_amount || v_payment; led_after := led_after || us_balance[ux]; led_order := led_order || v_order;
      END IF;
      w_id := w_id || v_order; w_number := w_number || v_number; w_user := w_user || v_user; w_status := w_status || v_status;
      w_item := w_item || v_item; w_ship := w_ship || v_shipping; w_disc := w_disc || v_discount; w_pay := w_pay || v_payment;
      w_coupon := w_coupon || v_coupon;
      FOR k IN 0 .. v_lines - 1 LOOP
        v_pid := (o -> 'i' ->> k)::bigint;
        v_qty := (o -> 'q' ->> k)::int;
        px := array_position(pr_id, v_pid);
        pr_stock[px] := pr_stock[px] - v_qty;
        pr_taken[px] := pr_taken[px] + v_qty;
        li_order := li_order || v_order; li_product := li_product || v_pid; li_name := li_name || pr_name[px];
        li_price := li_price || pr_price[px]; li_qty := li_qty || v_qty;
      END LOOP;
      IF v_paid THEN
        v_event := gen_random_uuid();
        ev_id := ev_id || v_event; ev_order := ev_order || v_order;
        ev_payload := ev_payload || jsonb_build_object(
          'eventId', v_event, 'orderId', v_order, 'orderNumber', v_number, 'userId', v_user,
          'items', v_items, 'itemAmount', v_item, 'shippingAmount', v_shipping,
          'discountAmount', v_discount, 'paymentAmount', v_payment, 'paidAt', v_now_text);
      END IF;
    END IF;

    RETURN NEXT jsonb_build_object(
      'user_found', ux IS NOT NULL, 'balance', v_balance, 'stock', v_stocks, 'items', v_items, 'stock_ok', v_stock_ok,
      'owned', v_owned, 'used', v_used, 'expired', v_expired, 'minimum_order_amount', v_minimum,
      'item_amount', v_item, 'shipping_amount', v_shipping, 'discount_amount', v_discount, 'payment_amount', v_payment,
      'order_id', v_order, 'order_number', v_number, 'status', v_status,
      'created_at', CASE WHEN v_go THEN v_now_text END, 'paid_at', CASE WHEN v_paid THEN v_now_text END);
  END LOOP;

  IF cardinality(w_id) = 0 THEN
    RETURN;
  END IF;

  -- 3. The writes, one statement per table; each conditional update must touch every row it meant to.
  IF cardinality(cu_coupon) > 0 THEN
    UPDATE coupon_issues ci SET used_at = v_now, order_id = x.o
      FROM unnest(cu_coupon, cu_user, cu_order) x(c, u, o)
      WHERE ci.coupon_id = x.c AND ci.user_id = x.u AND ci.used_at IS NULL AND ci.expires_at > v_now;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    IF v_rows <> cardinality(cu_coupon) THEN
      RAISE EXCEPTION 'place_orders: % of % coupons could be taken', v_rows, cardinality(cu_coupon);
    END IF;
  END IF;
  IF cardinality(led_user) > 0 THEN
    UPDATE users u SET balance = u.balance - x.spent, updated_at = v_now
      FROM unnest(us_id, us_spent) x(id, spent)
      WHERE u.id = x.id AND x.spent > 0 AND u.balance >= x.spent;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    IF v_rows <> (SELECT count(*) FROM unnest(us_spent) s WHERE s > 0) THEN
      RAISE EXCEPTION 'place_orders: a balance no longer covers its payments';
    END IF;
  END IF;
  INSERT INTO orders (id, order_number, user_id, status, item_amount, shipping_amount, discount_amount, payment_amount,
                      coupon_id, created_at, hold_until, paid_at, updated_at)
  OVERRIDING SYSTEM VALUE
  SELECT x.id, x.num, x.u, x.status, x.item, x.ship, x.disc, x.pay, x.c, v_now, v_now + make_interval(secs => p_hold_seconds),
         CASE WHEN x.status = 'PAID' THEN v_now END, v_now
  FROM unnest(w_id, w_number, w_user, w_status, w_item, w_ship, w_disc, w_pay, w_coupon) x(id, num, u, status, item, ship, disc, pay, c);
  INSERT INTO order_items (order_id, product_id, product_name, unit_price, quantity, amount)
  SELECT x.o, x.p, x.name, x.price, x.qty, x.price * x.qty FROM unnest(li_order, li_product, li_name, li_price, li_qty) x(o, p, name, price, qty);
  IF cardinality(led_user) > 0 THEN
    INSERT INTO balance_history (user_id, type, amount, balance_after, order_id)
    SELECT x.u, 'PAYMENT', x.amount, x.after, x.o FROM unnest(led_user, led_amount, led_after, led_order) x(u, amount, after, o);
  END IF;
  IF cardinality(ev_id) > 0 THEN
    INSERT INTO outbox (event_id, topic, aggregate_id, payload)
    SELECT x.e, 'order.paid', x.o, x.payload FROM unnest(ev_id, ev_order, ev_payload) x(e, o, payload);
  END IF;
  -- Checked again by CHECK (stock >= 0).
  UPDATE products p SET stock = p.stock - x.taken, updated_at = v_now
    FROM unnest(pr_id, pr_taken) x(id, taken)
    WHERE p.id = x.id AND x.taken > 0;
  INSERT INTO stock_movements (product_id, kind, delta, order_id)
  SELECT x.p, 'RESERVE', -x.qty, x.o FROM unnest(li_product, li_qty, li_order) x(p, qty, o);
END
$place_orders$;
