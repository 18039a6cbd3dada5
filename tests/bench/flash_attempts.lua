-- wrk script for tests/bench/bench_flash_sale.py: buy attempts at one flash sale.
--
--   wrk -t2 -c50 -d20s -s flash_attempts.lua http://127.0.0.1:PORT -- SHOPPERS_FILE SALE_ID MAX THREADS RUN
--
-- SHOPPERS_FILE has one shopper a line: "<session key> <address id>". Each thread walks
-- the shoppers from its own offset; every attempt has a fresh Idempotency-Key (RUN keeps
-- the keys of two runs apart: a key used again would replay its order). A thread
-- stops after MAX / THREADS answers (wrk's -d bounds the time). done() prints one line,
-- "RESULT {json}", that the benchmark reads: requests, statuses, latency percentiles.

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("id", thread_count)
  table.insert(threads, thread)
end

function init(args)
  shoppers = {}
  for line in io.lines(args[1]) do
    local session, address = line:match("^(%S+) (%S+)$")
    if session then table.insert(shoppers, { session, address }) end
  end
  sale = args[2]
  run = args[5]
  limit = math.floor(tonumber(args[3]) / tonumber(args[4]))
  path = "/api/v1/flash-sales/" .. sale .. "/buy/"
  csrf = "benchcsrftokenbenchcsrftoken0123"
  position = (id * 7919) % #shoppers
  sent = 0
  answered = 0
  statuses = {}
end

function request()
  sent = sent + 1
  position = position % #shoppers + 1
  local shopper = shoppers[position]
  local headers = {
    ["Content-Type"] = "application/json",
    ["Cookie"] = "sessionid=" .. shopper[1] .. "; csrftoken=" .. csrf,
    ["X-CSRFToken"] = csrf,
    ["Referer"] = "http://127.0.0.1/",
    ["Idempotency-Key"] = "wrk-" .. run .. "-" .. id .. "-" .. sent,
  }
  local body = '{"quantity": 1, "address": ' .. shopper[2] .. ', "shipping_method": "standard"}'
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  answered = answered + 1
  statuses[status] = (statuses[status] or 0) + 1
  if answered >= limit then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local mine = thread:get("statuses")
    for status, count in pairs(mine) do counts[status] = (counts[status] or 0) + count end
  end
  local parts = {}
  for status, count in pairs(counts) do table.insert(parts, '"' .. status .. '": ' .. count) end
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "errors": %d, "statuses": {%s}, '
      .. '"p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout,
    table.concat(parts, ", "),
    latency:percentile(50), latency:percentile(99), latency.max
  ))
end
