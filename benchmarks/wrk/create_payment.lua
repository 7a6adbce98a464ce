-- POST /v1/payments for wrk: the side-by-side method of docs/performance.md.
--
--   wrk -t2 -c50 -d60s --timeout 30s -s benchmarks/wrk/create_payment.lua http://127.0.0.1:8000
--
-- Every request carries the same body and a unique Idempotency-Key: "<prefix>-<thread>-<n>",
-- where each thread has its own number (given in setup) and counts its own requests, so two
-- threads never send the same key. The environment sets what differs between runs:
--
--   WRK_KEY_PREFIX  first part of every key (default "wrk-" and the start time in seconds);
--                   give each wrk run its own, or a second run replays the first one's keys
--   WRK_USER_ID     the body's user_id (default "wrk_side_by_side"): a run's payments are
--                   found by it in Mongo
--   WRK_API_KEY     the bearer token (default sk_test_demo, the dev stack's demo merchant)
--
-- done() prints one line of JSON after wrk's own summary (the only line of wrk's output that
-- starts with "{"): requests, creates (201s), responses by status, non-2xx responses, wrk's
-- errors by kind, the duration, and the latency percentiles in milliseconds. Latencies above
-- wrk's --timeout are not in the percentiles: wrk counts them as errors.timeout instead.

local prefix = os.getenv("WRK_KEY_PREFIX") or ("wrk-" .. os.time())
local user_id = os.getenv("WRK_USER_ID") or "wrk_side_by_side"
local api_key = os.getenv("WRK_API_KEY") or "sk_test_demo"

local body = string.format(
  '{"amount": 1234, "currency": "USD", "payment_method": {"type": "card"}, "user_id": "%s"}',
  user_id
)

-- setup() runs in the main Lua state once per thread, before the threads start.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

-- Per thread (each thread has its own Lua state): its number, its counter, its statuses.
thread_id = 0
sent = 0
statuses = {}

function request()
  sent = sent + 1
  local headers = {
    ["Authorization"] = "Bearer " .. api_key,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("%s-%d-%d", prefix, thread_id, sent),
  }
  return wrk.format("POST", "/v1/payments", headers, body)
end

function response(status, headers, response_body)
  local code = tostring(status)
  statuses[code] = (statuses[code] or 0) + 1
end

local function json_string(value)
  return '"' .. tostring(value):gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end) .. '"'
end

local function json_object(fields)
  local names = {}
  for name in pairs(fields) do
    table.insert(names, name)
  end
  table.sort(names)
  local parts = {}
  for _, name in ipairs(names) do
    local value = fields[name]
    local text
    if type(value) == "table" then
      text = json_object(value)
    elseif type(value) == "number" then
      text = string.format("%.10g", value)
    else
      text = json_string(value)
    end
    table.insert(parts, json_string(name) .. ": " .. text)
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

local function ms(microseconds)
  return math.floor(microseconds / 10 + 0.5) / 100
end

function done(summary, latency, requests)
  local by_status = {}
  local non_2xx = 0
  local sent_total = 0
  for _, thread in ipairs(threads) do
    for code, count in pairs(thread:get("statuses")) do
      by_status[code] = (by_status[code] or 0) + count
      if tonumber(code) < 200 or tonumber(code) > 299 then
        non_2xx = non_2xx + count
      end
    end
    sent_total = sent_total + thread:get("sent")
  end
  local seconds = summary.duration / 1e6
  print(json_object({
    requests = summary.requests,
    sent = sent_total,
    creates = by_status["201"] or 0,
    statuses = by_status,
    non_2xx = non_2xx,
    errors = {
      connect = summary.errors.connect,
      read = summary.errors.read,
      write = summary.errors.write,
      status = summary.errors.status,
      timeout = summary.errors.timeout,
    },
    seconds = seconds,
    requests_per_s = summary.requests / seconds,
    creates_per_s = (by_status["201"] or 0) / seconds,
    latency_ms = {
      p50 = ms(latency:percentile(50)),
      p90 = ms(latency:percentile(90)),
      p99 = ms(latency:percentile(99)),
      max = ms(latency.max),
      mean = ms(latency.mean),
    },
    key_prefix = prefix,
    user_id = user_id,
    threads = #threads,
  }))
end
