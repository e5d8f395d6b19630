-- wrk: POST {"couponId": COUPON_ID, "userId": 1..USERS, cycling} to the path given on the command line.
local coupon = tonumber(os.getenv("COUPON_ID") or "1")
local first = tonumber(os.getenv("FIRST_USER") or "1")
local users = tonumber(os.getenv("USERS") or "10000")
local n = 0

request = function()
  n = n + 1
  local body = string.format('{"couponId":%d,"userId":%d}', coupon, first + (n % users))
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
end
