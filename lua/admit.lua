--[[
sluice admit: reserve the earliest slot for each message of one portfolio, atomically.
The same fixed point as src/store/memory/memory-store.ts, over Redis state.

KEYS[1]      the portfolio's meta hash: floor (largest `now` seen: time never runs backwards),
             epoch (when this state was born), seq (bumped by every committing call),
             hold (no admissions before it, after a loss)
KEYS[2..n]   message records and limit state, all hash-tagged {portfolio}; ARGV refers to
             them by index into KEYS

ARGV[1]  mode: 'admit' (commit) or 'peek' (decide only)
ARGV[2]  now in ms, or '-1' to use the server's TIME
ARGV[3]  record TTL in ms (how long an id stays idempotent)
ARGV[4]  the epoch this client saw last (-1 if none): a missing or different epoch means the
         state was lost (restart without persistence, flush, eviction)
ARGV[5]  the highest seq this client saw (-1 if none): a stored seq below it means acknowledged
         writes were lost (e.g. an AOF write postponed past a crash)
ARGV[6]  how long to hold the portfolio after a detected loss, in ms
ARGV[7]  number of messages m; then m message blocks:
  id, recordKey, cost, notBefore (-1 none), deadline (-1 none), maxWait, horizon,
  nLimits, nWindows, then nLimits limit blocks (kind code first):
    1 rate      key, q, T, tau, maxCost
    2 window    key, count, W
    3 daily     key, count, nBounds, day0, b1..bn  (b_i = first instant of local day day0+i-1)
    4 distinct  chargesKey, membersKey, count, W, member
    5 batch     key, size, gap
  then nWindows window blocks: nIntervals, s1, e1, …  (allowed [s, e), sorted, disjoint, up to horizon)

Returns the portfolio's epoch and seq (-1 when not stored yet), then 4 integers per message: code, sendAt, pusher (0-based
constraint index, -1 none), retryAt (-1 none). Codes: 1 admitted, 2 replay of an admission,
3 replay of a cancelled id, -1 deadline, -2 wait beyond maxWait, -3 never, -4 beyond the
calendar horizon sent by the client, -5 held after a state loss (retryAt = end of the hold).
Nothing is written for a refusal or in 'peek' mode.
]]
--- @include "int"
--- @include "sorted-log"
--- @include "rate"

local HOUR = 3600000
local mode = ARGV[1]
local now = num(ARGV[2])
if now < 0 then
  local tm = redis.call('TIME')
  now = tonumber(tm[1]) * 1000 + math.floor(tonumber(tm[2]) / 1000)
end
local meta = redis.call('HMGET', KEYS[1], 'floor', 'epoch', 'hold', 'seq')
local floor_value = tonumber(meta[1] or '0')
local epoch = tonumber(meta[2] or '-1')
local hold = tonumber(meta[3] or '0')
local seq = tonumber(meta[4] or '0')
if floor_value > now then now = floor_value end
local expected = num(ARGV[4])
local expected_seq = num(ARGV[5])
local hold_ms = num(ARGV[6])
local lost = false
local persisted = epoch >= 0
if epoch < 0 then
  -- No state for this portfolio: either new, or lost. Only a client that saw it before can tell.
  epoch = now
  lost = expected >= 0
elseif expected >= 0 and epoch ~= expected then
  -- Lost, then recreated by a client that could not know: the loss happened before `epoch`.
  lost = true
end
if lost and epoch + hold_ms > hold then hold = epoch + hold_ms end
if persisted and seq < expected_seq and now + hold_ms > hold then
  -- Same state, but writes this client saw acknowledged are gone: a partial loss.
  hold = now + hold_ms
end
if mode == 'admit' then
  seq = seq + 1
  redis.call('HSET', KEYS[1], 'floor', fmt(now), 'epoch', fmt(epoch), 'hold', fmt(hold), 'seq', fmt(seq))
  redis.call('PEXPIRE', KEYS[1], fmt(40 * 24 * HOUR + hold_ms))
end
local record_ttl = num(ARGV[3])

local function split3(s)
  if not s then return 0, 0, 0 end
  local x, y, z = string.match(s, '^(-?%d+):(-?%d+):(-?%d+)$')
  return tonumber(x), tonumber(y), tonumber(z)
end

-- Report the epoch only once it is stored: a client must never expect an epoch nobody wrote.
local stored = persisted or mode == 'admit'
local out = { stored and epoch or -1, stored and seq or -1 }
local p = 8
for _ = 1, num(ARGV[7]) do
  local id = ARGV[p]
  local record = KEYS[num(ARGV[p + 1])]
  local cost = num(ARGV[p + 2])
  local not_before = num(ARGV[p + 3])
  local deadline = num(ARGV[p + 4])
  local max_wait = num(ARGV[p + 5])
  local horizon = num(ARGV[p + 6])
  local n_limits = num(ARGV[p + 7])
  local n_windows = num(ARGV[p + 8])
  p = p + 9
  -- Parse the constraints of this message.
  local cons = {}
  for i = 1, n_limits do
    local kind = num(ARGV[p])
    local c = { kind = kind }
    if kind == 1 then
      c.key = KEYS[num(ARGV[p + 1])]; c.q = num(ARGV[p + 2]); c.T = num(ARGV[p + 3]); c.tau = num(ARGV[p + 4]); c.max = num(ARGV[p + 5])
      p = p + 6
    elseif kind == 2 then
      c.key = KEYS[num(ARGV[p + 1])]; c.count = num(ARGV[p + 2]); c.W = num(ARGV[p + 3]); c.max = c.count
      p = p + 4
    elseif kind == 3 then
      c.key = KEYS[num(ARGV[p + 1])]; c.count = num(ARGV[p + 2]); c.max = c.count
      local nb = num(ARGV[p + 3])
      c.day0 = num(ARGV[p + 4])
      c.bounds = {}
      for k = 1, nb do c.bounds[k] = num(ARGV[p + 4 + k]) end
      p = p + 5 + nb
    elseif kind == 4 then
      c.key = KEYS[num(ARGV[p + 1])]; c.members = KEYS[num(ARGV[p + 2])]; c.count = num(ARGV[p + 3]); c.W = num(ARGV[p + 4])
      c.member = ARGV[p + 5]; c.max = math.huge
      p = p + 6
    elseif kind == 5 then
      c.key = KEYS[num(ARGV[p + 1])]; c.size = num(ARGV[p + 2]); c.gap = num(ARGV[p + 3]); c.max = c.size
      p = p + 4
    else
      error('sluice: unknown limit kind ' .. tostring(kind))
    end
    cons[i] = c
  end
  for w = 1, n_windows do
    local ni = num(ARGV[p])
    local iv = {}
    for k = 1, 2 * ni do iv[k] = num(ARGV[p + k]) end
    cons[n_limits + w] = { kind = 6, iv = iv, n = ni }
    p = p + 1 + 2 * ni
  end

  local existing = redis.call('HMGET', record, 's', 't')
  if now < hold and existing[1] ~= 'a' and existing[1] ~= 'c' then
    -- Fail closed: what was committed before the loss is unknown until the hold ends.
    out[#out + 1] = -5; out[#out + 1] = -1; out[#out + 1] = -1; out[#out + 1] = hold
  elseif existing[1] == 'a' then
    out[#out + 1] = 2; out[#out + 1] = tonumber(existing[2]); out[#out + 1] = -1; out[#out + 1] = -1
  elseif existing[1] == 'c' then
    out[#out + 1] = 3; out[#out + 1] = -1; out[#out + 1] = -1; out[#out + 1] = -1
  else
    local code, t, pusher, retry = 1, now, -1, -1
    if not_before > t then t = not_before end
    -- Load small state once per message; window logs are searched in place (sorted-log).
    for i = 1, n_limits do
      local c = cons[i]
      if cost > c.max then code = -3; pusher = i - 1; break end
      if c.kind == 1 then
        c.tat = tonumber(redis.call('GET', c.key) or '0')
      elseif c.kind == 4 then
        c.last_send, c.last_charge, c.seq = split3(redis.call('HGET', c.members, c.member))
      elseif c.kind == 5 then
        c.last, c.run, c.seq = split3(redis.call('GET', c.key))
      end
    end
    local function day_of(c, at)
      local b = c.bounds
      if at < b[1] or at >= b[#b] then return nil end
      local lo, hi = 1, #b
      while hi - lo > 1 do
        local mid = math.floor((lo + hi) / 2)
        if b[mid] <= at then lo = mid else hi = mid end
      end
      return c.day0 + lo - 1, b[lo + 1]
    end
    local function earliest(c, at)
      if c.kind == 1 then
        return rate_earliest(c.q, c.T, c.tau, c.tat, at, cost)
      elseif c.kind == 2 then
        return zwindow_earliest(c.key, at, cost, c.count, c.W)
      elseif c.kind == 3 then
        while true do
          local day, next_start = day_of(c, at)
          if day == nil then return -4 end
          local used = tonumber(redis.call('HGET', c.key, fmt(day)) or '0')
          if used + cost <= c.count then return at end
          at = next_start
        end
      elseif c.kind == 4 then
        if at < c.last_send then at = c.last_send end
        if at < c.last_charge + c.W then return at end
        return zwindow_earliest(c.key, at, 1, c.count, c.W)
      elseif c.kind == 5 then
        if c.last == 0 then return at end
        if at < c.last then at = c.last end
        if at - c.last >= c.gap then return at end
        if c.run + cost <= c.size then return at end
        return c.last + c.gap
      else
        local iv = c.iv
        for k = 1, c.n do
          if iv[2 * k] > at then
            if iv[2 * k - 1] > at then return iv[2 * k - 1] end
            return at
          end
        end
        -- Closed until past the horizon the client computed (which lies beyond maxWait).
        if at >= horizon then return -4 end
        return horizon
      end
    end
    -- The fixed point: stop once every constraint was seen since the last move; the largest
    -- single push names the reason.
    local n = #cons
    if code == 1 and n > 0 then
      local jump, last_moved, step = 0, -1, 0
      while true do
        local i = step % n
        if i == last_moved or (last_moved < 0 and step == n) then break end
        if step >= 512 * n then code = -2; retry = t; break end
        local e = earliest(cons[i + 1], t)
        if e == -4 then code = -4; retry = t; break end
        if e == math.huge then code = -3; pusher = i; break end
        if e > t then
          if e - t > jump then jump = e - t; pusher = i end
          t = e
          last_moved = i
          if deadline >= 0 and t > deadline then code = -1; break end
          if t - now > max_wait then code = -2; retry = t - max_wait; break end
        end
        step = step + 1
      end
    end
    if code == 1 and mode == 'admit' then
      -- Commit every limit, and the record with what cancel needs: one undo line per limit,
      -- fields separated by tabs (ids, names and keys never contain control characters).
      local undo = {}
      for i = 1, n_limits do
        local c = cons[i]
        if c.kind == 1 then
          local after = rate_commit(c.q, c.T, c.tau, c.tat, t, cost)
          local ttl = math.floor(after / c.q) + STATE_EPOCH - now
          if ttl < 0 then ttl = 0 end
          redis.call('SET', c.key, fmt(after), 'PX', fmt(ttl + HOUR))
          undo[#undo + 1] = table.concat({ 'r', c.key, fmt(c.tat), fmt(after) }, '\t')
        elseif c.kind == 2 then
          -- One member per cost unit; ZADD in chunks (unpack fails past ~8,000 values).
          local k = 1
          while k <= cost do
            local args = {}
            for j = k, math.min(cost, k + 499) do
              args[#args + 1] = fmt(t)
              args[#args + 1] = fmt(t) .. ':' .. id .. ':' .. j
            end
            redis.call('ZADD', c.key, unpack(args))
            k = k + 500
          end
          redis.call('ZREMRANGEBYSCORE', c.key, '-inf', fmt(now - c.W))
          redis.call('PEXPIRE', c.key, fmt(t - now + c.W + HOUR))
          undo[#undo + 1] = table.concat({ 'w', c.key }, '\t')
        elseif c.kind == 3 then
          local day = day_of(c, t)
          redis.call('HINCRBY', c.key, fmt(day), cost)
          redis.call('PEXPIRE', c.key, 40 * 24 * HOUR)
          undo[#undo + 1] = table.concat({ 'd', c.key, fmt(day) }, '\t')
        elseif c.kind == 4 then
          local charged = t >= c.last_charge + c.W
          local charge = c.last_charge
          if charged then
            charge = t
            redis.call('ZADD', c.key, fmt(t), fmt(t) .. ':' .. c.member)
            redis.call('ZREMRANGEBYSCORE', c.key, '-inf', fmt(now - c.W))
            redis.call('PEXPIRE', c.key, fmt(t - now + c.W + HOUR))
          end
          redis.call('HSET', c.members, c.member, fmt(t) .. ':' .. fmt(charge) .. ':' .. fmt(c.seq + 1))
          redis.call('PEXPIRE', c.members, fmt(t - now + c.W + HOUR))
          undo[#undo + 1] = table.concat({ 'x', c.key, c.members, c.member, fmt(c.last_send), fmt(c.last_charge), fmt(c.seq), charged and '1' or '0' }, '\t')
        elseif c.kind == 5 then
          local run = cost
          if c.last ~= 0 and t - c.last < c.gap then run = c.run + cost end
          redis.call('SET', c.key, fmt(t) .. ':' .. fmt(run) .. ':' .. fmt(c.seq + 1), 'PX', fmt(t - now + c.gap + HOUR))
          undo[#undo + 1] = table.concat({ 'b', c.key, fmt(c.last), fmt(c.run), fmt(c.seq) }, '\t')
        end
      end
      redis.call('HSET', record, 's', 'a', 't', fmt(t), 'c', fmt(cost), 'i', id, 'u', table.concat(undo, '\n'))
      redis.call('PEXPIRE', record, fmt(record_ttl))
    end
    out[#out + 1] = code; out[#out + 1] = t; out[#out + 1] = pusher; out[#out + 1] = retry
  end
end
return out
