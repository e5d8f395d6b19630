-- wrk: POST {"couponId": COUPON_ID, "userId": 1..USERS, cycling} to the path given on the command line.
local coupon = tonumber(os.getenv("COUPON_ID") or "1")
local first = tonumber(os.getenv("FIRST_USER") or "1")
local users = tonumber(os.getenv("USERS") or "10000")
local n = 0
local statuses = {}

request = function()
  n = n + 1
  local body = string.format('{"couponId":%d,"userId":%d}', coupon, first + (n % users))
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
end

response = function(status)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function()
  -- Only meaningful with one thread (-t1): each thread has its own counters.
  for s, c in pairs(statuses) do io.write(string.format("status %d: %d\n", s, c)) end
end
