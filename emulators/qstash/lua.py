"""Lua scripts: every state change of a message is one atomic script call (one round trip).

Key names are passed in KEYS where fixed; per-message keys are built from a prefix in ARGV
(the emulator targets a single Redis, not a cluster).
"""

EVENTS_CAP = 10_000

# Shared by PUBLISH, ACK, FIRE and DLQ_RETRY: store one message and make it due.
_STORE_MESSAGE = """
local function store_message(prefix, due_key, events_key, id, due, spec, body, event)
  redis.call('HSET', prefix .. id, 'spec', spec, 'body', body, 'retried', 0)
  redis.call('ZADD', due_key, due, id)
  if event ~= '' then
    redis.call('LPUSH', events_key, event)
    redis.call('LTRIM', events_key, 0, EVENTS_LAST)
  end
end
""".replace("EVENTS_LAST", str(EVENTS_CAP - 1))

# Flow control (see flow_control.py), shared by CLAIM, ACK, CANCEL and the management scripts.
# Keys under the prefix FC:
#   FC i:<key>  set   ids of the key's attempts in flight (pruned against the in-flight zset)
#   FC w:<key>  zset  ids waiting for a parallelism slot or a resume -> their due time (FIFO)
#   FC r:<key>  set   ids the rate holds back (they sit in the due zset at the window's end)
#   FC s:<key>  hash  p/r/d (latest message's parallelism, rate, period ms), ws/wc (rate window
#                     start and starts counted), paused ('1'), pp/pr/pd (pinned values)
#   FC msg      hash  in-flight id -> its key, so an attempt's end frees its slot
#   FC keys     set   every key seen (to cancel all waiting messages, to list the keys)
# A message waits in w: only while its key is paused or has `p` attempts in flight, and each
# attempt's end (ack, expired lease) and each resume releases waiters, so no waiter is stranded;
# a rate-limited message is simply made due again at the end of the window. Pause and pins are
# read here, inside CLAIM, so a management call and a claim never interleave.
_FLOW = """
-- The key's attempts in flight; ids whose attempt ended unseen (their lease is gone from the
-- in-flight zset) are pruned, but only when the count would hold a message back.
local function fc_count(fc, inflight, key, p)
  local set = fc .. 'i:' .. key
  local n = redis.call('SCARD', set)
  if n < p then return n end
  for _, m in ipairs(redis.call('SMEMBERS', set)) do
    if not redis.call('ZSCORE', inflight, m) then
      redis.call('SREM', set, m)
      redis.call('HDEL', fc .. 'msg', m)
    end
  end
  return redis.call('SCARD', set)
end

local function fc_admit(fc, inflight, due, id, flow, due_score, now)
  local key = flow['key']
  local state = fc .. 's:' .. key
  local p = tonumber(flow['parallelism'])
  local rate = tonumber(flow['rate'])
  local period = tonumber(flow['period_ms'])
  redis.call('HSET', state, 'p', p, 'r', rate, 'd', period)
  redis.call('SADD', fc .. 'keys', key)
  redis.call('SREM', fc .. 'r:' .. key, id)
  local st = redis.call('HMGET', state, 'paused', 'pp', 'pr', 'pd')
  if st[1] == '1' then
    redis.call('ZADD', fc .. 'w:' .. key, due_score, id)
    return false
  end
  if st[2] then p = tonumber(st[2]) end
  if st[3] then rate, period = tonumber(st[3]), tonumber(st[4]) end
  if p > 0 and fc_count(fc, inflight, key, p) >= p then
    redis.call('ZADD', fc .. 'w:' .. key, due_score, id)
    return false
  end
  if rate > 0 then
    local ws = tonumber(redis.call('HGET', state, 'ws') or '0')
    local wc = tonumber(redis.call('HGET', state, 'wc') or '0')
    if now >= ws + period then
      ws, wc = now, 0
      redis.call('HSET', state, 'ws', ws)
    end
    if wc >= rate then
      redis.call('ZADD', due, ws + period, id)
      redis.call('SADD', fc .. 'r:' .. key, id)
      return false
    end
    redis.call('HSET', state, 'wc', wc + 1)
  end
  redis.call('SADD', fc .. 'i:' .. key, id)
  redis.call('HSET', fc .. 'msg', id, key)
  return true
end

-- Make as many of the key's waiters due as it has free slots (none while it is paused).
local function fc_wake(fc, inflight, due, prefix, key)
  local st = redis.call('HMGET', fc .. 's:' .. key, 'p', 'pp', 'paused')
  if st[3] == '1' then return end
  local p = tonumber(st[2] or st[1] or '0')
  local wait = fc .. 'w:' .. key
  local free = redis.call('ZCARD', wait)
  if p > 0 then free = math.min(free, p - fc_count(fc, inflight, key, p)) end
  while free > 0 do
    local head = redis.call('ZPOPMIN', wait)
    if #head == 0 then break end
    if redis.call('EXISTS', prefix .. head[1]) == 1 then
      redis.call('ZADD', due, head[2], head[1])
      free = free - 1
    end
  end
end

local function fc_release(fc, inflight, due, prefix, id)
  local key = redis.call('HGET', fc .. 'msg', id)
  if not key then return end
  redis.call('HDEL', fc .. 'msg', id)
  redis.call('SREM', fc .. 'i:' .. key, id)
  fc_wake(fc, inflight, due, prefix, key)
end

local function fc_flow(spec)
  if not string.find(spec, '"flow":', 1, true) then return nil end
  return cjson.decode(spec)['flow']
end
"""

# KEYS: due, events, dedup key ('' = none), flow-control prefix
# ARGV: prefix, id, due, dedup ttl ms, spec, body, event, flow-control key ('' = none)
# A flow-control key is known (to the management API) from its first publish on.
# Returns nil when stored, or the id of the message it duplicates.
PUBLISH = (
    _STORE_MESSAGE
    + """
if KEYS[3] ~= '' then
  local existing = redis.call('GET', KEYS[3])
  if existing then return existing end
  redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[4])
end
store_message(ARGV[1], KEYS[1], KEYS[2], ARGV[2], ARGV[3], ARGV[5], ARGV[6], ARGV[7])
if ARGV[8] ~= '' then redis.call('SADD', KEYS[4] .. 'keys', ARGV[8]) end
return false
"""
)

# KEYS: due, in-flight, schedule due, flow-control prefix
# ARGV: now, limit, lease-until, prefix
# Moves expired leases back to due (freeing their flow-control slots), then claims up to
# `limit` due messages; a message its flow-control key holds back waits instead.
# Returns {{id, spec, body, retried, ...}, next due, next schedule, next lease expiry}.
CLAIM = (
    _FLOW
    + """
local now = tonumber(ARGV[1])
local prefix = ARGV[4]
local fc = KEYS[4]
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1000)
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[2], id)
  fc_release(fc, KEYS[2], KEYS[1], prefix, id)
  if redis.call('EXISTS', prefix .. id) == 1 then redis.call('ZADD', KEYS[1], now, id) end
end
local out = {}
if tonumber(ARGV[2]) > 0 then
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0,
                         tonumber(ARGV[2]))
  for i = 1, #due, 2 do
    local id = due[i]
    redis.call('ZREM', KEYS[1], id)
    local f = redis.call('HMGET', prefix .. id, 'spec', 'body', 'retried')
    if f[1] then
      local flow = fc_flow(f[1])
      if (not flow) or fc_admit(fc, KEYS[2], KEYS[1], id, flow, due[i + 1], now) then
        redis.call('ZADD', KEYS[2], ARGV[3], id)
        out[#out + 1] = id
        out[#out + 1] = f[1]
        out[#out + 1] = f[2]
        out[#out + 1] = f[3]
      end
    end
  end
end
local nd = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local ns = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
local nl = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
return {out, nd[2] or false, ns[2] or false, nl[2] or false}
"""
)

# KEYS: message, in-flight, due, events, dlq entry, dlq index, flow-control prefix
# ARGV: id, mode (done|retry|dead), event, retried, due, dlq id, now, prefix, n new messages,
#       then 5 per new message (id, due, spec, body, event), then dlq field/value pairs.
# New messages (callbacks) are stored even if the message was cancelled meanwhile: the
# attempt did happen. Returns 1, or 0 when the message no longer exists.
ACK = (
    _STORE_MESSAGE
    + _FLOW
    + """
local id = ARGV[1]
local mode = ARGV[2]
local n_new = tonumber(ARGV[9])
for i = 0, n_new - 1 do
  local b = 10 + i * 5
  store_message(ARGV[8], KEYS[3], KEYS[4], ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3],
                ARGV[b + 4])
end
redis.call('ZREM', KEYS[2], id)
fc_release(KEYS[7], KEYS[2], KEYS[3], ARGV[8], id)
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if mode == 'retry' then
  redis.call('HSET', KEYS[1], 'retried', ARGV[4])
  redis.call('ZADD', KEYS[3], ARGV[5], id)
else
  redis.call('ZREM', KEYS[3], id)
  if mode == 'done' then
    redis.call('DEL', KEYS[1])
  else
    redis.call('HSET', KEYS[1], 'retried', ARGV[4], unpack(ARGV, 10 + n_new * 5))
    redis.call('RENAME', KEYS[1], KEYS[5])
    redis.call('ZADD', KEYS[6], ARGV[7], ARGV[6])
  end
end
redis.call('LPUSH', KEYS[4], ARGV[3])
redis.call('LTRIM', KEYS[4], 0, EVENTS_LAST)
return 1
""".replace("EVENTS_LAST", str(EVENTS_CAP - 1))
)

# KEYS: due, in-flight, flow-control prefix
# ARGV: prefix, all ('1' = every pending message), ids...
# Returns {id, spec, ...} of the messages cancelled (waiting for a flow-control slot or not).
CANCEL = (
    _FLOW
    + """
local prefix = ARGV[1]
local fc = KEYS[3]
local ids = {}
if ARGV[2] == '1' then
  ids = redis.call('ZRANGE', KEYS[1], 0, -1)
  for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do ids[#ids + 1] = id end
  for _, key in ipairs(redis.call('SMEMBERS', fc .. 'keys')) do
    for _, id in ipairs(redis.call('ZRANGE', fc .. 'w:' .. key, 0, -1)) do ids[#ids + 1] = id end
  end
else
  for i = 3, #ARGV do ids[#ids + 1] = ARGV[i] end
end
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local spec = redis.call('HGET', prefix .. id, 'spec')
  if spec then
    local flow = fc_flow(spec)
    if flow then
      redis.call('ZREM', fc .. 'w:' .. flow['key'], id)
      redis.call('SREM', fc .. 'r:' .. flow['key'], id)
    end
    redis.call('DEL', prefix .. id)
    out[#out + 1] = id
    out[#out + 1] = spec
  end
end
return out
"""
)

# KEYS: schedule due, schedule hash, due, events
# ARGV: schedule id, expected fire time, next fire time, now, prefix, msg id, msg due, spec,
#       body, event
# Fires a due schedule once (compare-and-set on its fire time) and stores its message.
FIRE = (
    _STORE_MESSAGE
    + """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if (not score) or tonumber(score) ~= tonumber(ARGV[2]) then return 0 end
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
end
redis.call('HSET', KEYS[2], 'last', ARGV[4], 'next', ARGV[3], 'last_message', ARGV[6])
store_message(ARGV[5], KEYS[3], KEYS[4], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10])
return 1
"""
)

# KEYS: dlq entry, dlq index, due, events
# ARGV: dlq id, prefix, msg id, due, spec, body, event
# Moves a DLQ entry back into delivery as a new message. Returns 0 if the entry is gone.
DLQ_RETRY = (
    _STORE_MESSAGE
    + """
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
store_message(ARGV[2], KEYS[3], KEYS[4], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7])
return 1
"""
)


# KEYS: due, in-flight, flow-control prefix
# ARGV: key, op (pause|resume|pin|unpin|resetRate), now, prefix, then for pin: parallelism,
#       rate, period ms ('' = not given), default period ms; for unpin: '1'/'0' to unpin
#       parallelism, rate.
# Every op but pause ends by letting CLAIM decide again for the messages the key holds back:
# waiters get the free slots, rate-held messages become due now. Pinning resets the rate
# window, as on QStash. Returns 'ok', or an error text (nothing changed).
FLOW_MANAGE = (
    _FLOW
    + """
local fc, key, op, now, prefix = KEYS[3], ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local state = fc .. 's:' .. key
if op == 'pin' then
  local cur = redis.call('HMGET', state, 'pr', 'pd', 'r', 'd')
  local pin_rate = ARGV[6] ~= '' or ARGV[7] ~= ''
  local rate = tonumber(ARGV[6] ~= '' and ARGV[6] or cur[1] or cur[3] or '0')
  local period = tonumber(ARGV[7] ~= '' and ARGV[7] or cur[2] or cur[4] or ARGV[8])
  if pin_rate and rate < 1 then return 'pinning a period needs a rate (the key has none)' end
  if ARGV[5] ~= '' then redis.call('HSET', state, 'pp', ARGV[5]) end
  if pin_rate then redis.call('HSET', state, 'pr', rate, 'pd', period) end
  redis.call('HSET', state, 'ws', now, 'wc', 0)
elseif op == 'unpin' then
  if ARGV[5] == '1' then redis.call('HDEL', state, 'pp') end
  if ARGV[6] == '1' then redis.call('HDEL', state, 'pr', 'pd') end
elseif op == 'pause' then
  redis.call('HSET', state, 'paused', '1')
elseif op == 'resume' then
  redis.call('HDEL', state, 'paused')
elseif op == 'resetRate' then
  redis.call('HSET', state, 'ws', now, 'wc', 0)
else
  return 'unknown operation'
end
redis.call('SADD', fc .. 'keys', key)
if op ~= 'pause' then
  fc_wake(fc, KEYS[2], KEYS[1], prefix, key)
  for _, id in ipairs(redis.call('SMEMBERS', fc .. 'r:' .. key)) do
    local score = redis.call('ZSCORE', KEYS[1], id)
    if score and tonumber(score) > now then redis.call('ZADD', KEYS[1], now, id) end
  end
end
return 'ok'
"""
)

# KEYS: due, in-flight, flow-control prefix
# ARGV: now, prefix, key ('' = every key)
# Returns per key {key, wait list size, parallelism max, in flight, rate max, rate count,
# period ms, window start ms, paused, parallelism pinned, rate pinned}; nothing for a key
# never seen. Stale ids (attempt or message gone) are pruned before counting.
FLOW_INFO = """
local fc, now, prefix = KEYS[3], tonumber(ARGV[1]), ARGV[2]
local keys = {ARGV[3]}
if ARGV[3] == '' then
  keys = redis.call('SMEMBERS', fc .. 'keys')
  table.sort(keys)
elseif redis.call('SISMEMBER', fc .. 'keys', ARGV[3]) == 0 then
  return {}
end
local out = {}
for _, key in ipairs(keys) do
  local running, held = fc .. 'i:' .. key, fc .. 'r:' .. key
  for _, id in ipairs(redis.call('SMEMBERS', running)) do
    if not redis.call('ZSCORE', KEYS[2], id) then
      redis.call('SREM', running, id)
      redis.call('HDEL', fc .. 'msg', id)
    end
  end
  for _, id in ipairs(redis.call('SMEMBERS', held)) do
    if not redis.call('ZSCORE', KEYS[1], id) then redis.call('SREM', held, id) end
  end
  local st = redis.call('HMGET', fc .. 's:' .. key, 'p', 'r', 'd', 'ws', 'wc', 'paused', 'pp',
                        'pr', 'pd')
  local period = tonumber(st[9] or st[3] or '1000')
  local ws = tonumber(st[4] or '0')
  local count = tonumber(st[5] or '0')
  if now >= ws + period then count = 0 end
  out[#out + 1] = {
    key,
    redis.call('ZCARD', fc .. 'w:' .. key) + redis.call('SCARD', held),
    tonumber(st[7] or st[1] or '0'),
    redis.call('SCARD', running),
    tonumber(st[8] or st[2] or '0'),
    count,
    period,
    ws,
    st[6] == '1' and 1 or 0,
    st[7] and 1 or 0,
    st[8] and 1 or 0,
  }
end
return out
"""
