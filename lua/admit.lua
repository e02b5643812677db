--[[
sluice admit: reserve the earliest slot for each message of one portfolio, atomically.
The same fixed point as src/store/memory/memory-store.ts, over Redis state.

KEYS[1]        the portfolio's meta string 'floor:epoch:hold:seq': floor (largest `now` seen:
               time never runs backwards), epoch (when this state was born), hold (no
               admissions before it, after a loss), seq (bumped by every committing call)
KEYS[2..m+1]   the records of the m messages, in message order
KEYS[m+2..n]   limit state, each key once (a distinct rule's members hash right after its
               charges set); message blocks refer to them by index into KEYS
All keys are hash-tagged {portfolio}.

ARGV[1]  mode: 'admit' (commit) or 'peek' (decide only)
ARGV[2]  now in ms, or '-1' to use the server's TIME
ARGV[3]  record TTL in ms (how long an id stays idempotent)
ARGV[4]  the epoch this client saw last (-1 if none): a missing or different epoch means the
         state was lost (restart without persistence, flush, eviction)
ARGV[5]  the highest seq this client saw (-1 if none): a stored seq below it means acknowledged
         writes were lost (e.g. an AOF write postponed past a crash)
ARGV[6]  how long to hold the portfolio after a detected loss, in ms
ARGV[7]  maxWait in ms (every message of the call)
ARGV[8]  horizon: the end of the calendar the client computed, beyond maxWait (every message)
ARGV[9]  number of rules r; then r rule blocks, kind code first, numbered 1..r in order:
  1 rate      q, T, tau, maxCost
  2 window    count, W
  3 daily     count
  4 distinct  count, W
  5 batch     size, gap
then the number of day tables; then per table: day0, width, bounds (one string of n numbers,
  each right-aligned in `width` characters; b_i = first instant of local day day0+i-1)
then the number of send-window tables; then per table: width, intervals (one string of 2k
  numbers s1 e1 … each `width` characters: allowed [s, e), sorted, disjoint, up to horizon)
then the number of shapes (what applies to a message: its limits and send windows, given its
  category, fields and time zone); then per shape: nLimits, nWindows, nLimits rule numbers each
  followed, for a daily rule, by its day table; then nWindows send-window table numbers
then the number of messages m; then m message blocks, one argument each, fields separated by
  tabs (ids, keys and members never contain control characters):
  id, shape, cost, notBefore (-1 none), deadline (-1 none), then per limit of the shape its key
  (index into KEYS, or empty for the next key no block named before: keys come in order of
  first use), followed for a distinct rule by the member (the recipient)
Rules, tables and shapes are sent once per call and shared by every message that names them.

Returns the portfolio's epoch and seq (-1 when not stored yet), then 4 integers per message:
code, sendAt, pusher (0-based constraint index, -1 none), retryAt (-1 none). Codes: 1 admitted,
2 replay of an admission, 3 replay of a cancelled id, -1 deadline, -2 wait beyond maxWait,
-3 never, -4 beyond the calendar horizon sent by the client, -5 held after a state loss
(retryAt = end of the hold). Nothing is written for a refusal or in 'peek' mode.

The message record is one string: 'a\t<sendAt>\t<cost>\t<id>' and one '\n<undo line>' per limit
(read by lua/cancel.lua), or 'c' once cancelled. Undo lines, fields separated by tabs:
  r key before after            rate: the TAT before and after
  w key                         window
  d key day                     daily
  x charges members member lastSend lastCharge seq charged(1/0)   distinct
  b key last run seq            batch

Limit state: a rate key holds its TAT; a batch key 'last:run:seq'; a daily key the counts of the
local days not yet over, 'day:count' entries joined by ',' (one string, so that it is read by the
MGET and written by one SET); window and distinct keys are sorted sets (a distinct rule's members
hash holds 'lastSend:lastCharge:seq' per member).

Within one call, state read from Redis is cached, and limit state and records are written once
per key at the end, with the value and TTL the last write in message order would have left:
every message sees the ones before it, and the final state is the one writes in order leave.
Sorted sets are written in place because the window search queries them.
]]
--- @include "int"
--- @include "sorted-log"
--- @include "rate"

-- Locals are cheaper to reach than globals and library fields (one fewer table lookup each).
local call, tonumber, floor, sub, match, gmatch, concat = redis.call, tonumber, math.floor, string.sub, string.match, string.gmatch, table.concat

local HOUR = 3600000
-- A daily state whose last day lies beyond the day table the client sent lives this long.
local DAILY_TTL = 40 * 24 * HOUR
local mode = ARGV[1]
local admit = mode == 'admit'
local now = num(ARGV[2])
if now < 0 then
  local tm = call('TIME')
  now = tonumber(tm[1]) * 1000 + floor(tonumber(tm[2]) / 1000)
end
local floor_value, epoch, hold, seq = 0, -1, 0, 0
local meta = call('GET', KEYS[1])
if meta then
  local f, e, h, s = match(meta, '^(%-?%d+):(%-?%d+):(%-?%d+):(%-?%d+)$')
  if not f then error('sluice: malformed meta ' .. KEYS[1]) end
  floor_value, epoch, hold, seq = tonumber(f), tonumber(e), tonumber(h), tonumber(s)
end
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
if admit then
  seq = seq + 1
  -- Every field is an integer millisecond (or a count) far below 2^53: '%d' is exact here.
  call('SET', KEYS[1], string.format('%d:%d:%d:%d', now, epoch, hold, seq), 'PX', fmt(40 * 24 * HOUR + hold_ms))
end
num(ARGV[3])
local record_ttl = ARGV[3]
local max_wait = num(ARGV[7])
local horizon = num(ARGV[8])

-- Numbers in ARGV repeat (rule parameters, costs, -1 for none, rule, table and key numbers):
-- each distinct string is parsed once per call.
local parsed = {}
local function arg(s)
  local v = parsed[s]
  if v == nil then
    v = num(s)
    parsed[s] = v
  end
  return v
end

-- Rules by number: kind, parameters a b c, and the largest cost the rule can ever take.
local rkind, ra, rb, rc, rmax = {}, {}, {}, {}, {}
local p = 10
for r = 1, num(ARGV[9]) do
  local kind = arg(ARGV[p])
  rkind[r] = kind
  if kind == 1 then
    ra[r] = arg(ARGV[p + 1]); rb[r] = arg(ARGV[p + 2]); rc[r] = arg(ARGV[p + 3]); rmax[r] = arg(ARGV[p + 4])
    p = p + 5
  elseif kind == 2 or kind == 4 or kind == 5 then
    ra[r] = arg(ARGV[p + 1]); rb[r] = arg(ARGV[p + 2])
    rmax[r] = kind == 4 and math.huge or ra[r]
    p = p + 3
  elseif kind == 3 then
    ra[r] = arg(ARGV[p + 1]); rmax[r] = ra[r]
    p = p + 2
  else
    error('sluice: unknown limit kind ' .. tostring(kind))
  end
end

-- Fixed-width number tables, read lazily: a search touches a few entries, and an entry once
-- parsed is kept for the rest of the call.
local function table_of(s, w)
  if w < 1 or #s % w ~= 0 then error('sluice: malformed table') end
  return { s = s, w = w, n = #s / w, v = {} }
end
local function entry(tab, k)
  local v = tab.v[k]
  if v == nil then
    local w = tab.w
    v = num(sub(tab.s, (k - 1) * w + 1, k * w))
    tab.v[k] = v
  end
  return v
end
-- (Each section starts with its count; p moves to the next unread argument.)
local days = {}
local n_days = num(ARGV[p])
p = p + 1
for d = 1, n_days do
  local tab = table_of(ARGV[p + 2], num(ARGV[p + 1]))
  tab.day0 = num(ARGV[p])
  days[d] = tab
  p = p + 3
end
local wins = {}
local n_wins = num(ARGV[p])
p = p + 1
for x = 1, n_wins do
  local tab = table_of(ARGV[p + 1], num(ARGV[p]))
  if tab.n % 2 ~= 0 then error('sluice: malformed intervals') end
  tab.n = tab.n / 2
  wins[x] = tab
  p = p + 2
end

-- Shapes: for constraint i, the kind, the rule, and the day or send-window table.
local shapes = {}
local n_shapes = num(ARGV[p])
p = p + 1
for x = 1, n_shapes do
  local nl, nw = arg(ARGV[p]), arg(ARGV[p + 1])
  local kind, rule, tab = {}, {}, {}
  p = p + 2
  for i = 1, nl do
    local r = arg(ARGV[p])
    kind[i] = rkind[r]; rule[i] = r
    if kind[i] == nil then error('sluice: unknown rule ' .. ARGV[p]) end
    p = p + 1
    if kind[i] == 3 then
      tab[i] = days[arg(ARGV[p])]
      if tab[i] == nil then error('sluice: unknown day table') end
      p = p + 1
    end
  end
  for i = nl + 1, nl + nw do
    kind[i] = 6; tab[i] = wins[arg(ARGV[p])]
    if tab[i] == nil then error('sluice: unknown window table') end
    p = p + 1
  end
  shapes[x] = { nl = nl, n = nl + nw, kind = kind, rule = rule, tab = tab }
end

-- Day numbers as strings, shared by every day table of the call (formatted once).
local day_str = {}

-- The local day containing `at` (a number and its field name) and the start of the next day,
-- or nil outside the table. The last answer is kept: the messages of a call mostly ask the same.
-- The table starts the day before the client's now, so a scan from the start reads two or three
-- entries for instants near now (entries are parsed on demand).
local function day_of(tab, at)
  if tab.at == at then return tab.day, tab.next, tab.field end
  local n = tab.n
  if n < 2 or at < entry(tab, 1) then return nil end
  local lo = 1
  while lo < n and entry(tab, lo + 1) <= at do lo = lo + 1 end
  if lo == n then return nil end
  local day = tab.day0 + lo - 1
  local field = day_str[day]
  if field == nil then
    field = fmt(day)
    day_str[day] = field
  end
  tab.at, tab.day, tab.next, tab.field = at, day, entry(tab, lo + 1), field
  return tab.day, tab.next, tab.field
end

-- The first allowed instant >= at: the start of the first interval ending after `at`, or `at`
-- inside it. Intervals start from the day before the client's now: a scan from the start is short.
local function window_earliest(tab, at)
  for k = 1, tab.n do
    if entry(tab, 2 * k) > at then
      local s = entry(tab, 2 * k - 1)
      if s > at then return s end
      return at
    end
  end
  -- Closed until past the horizon the client computed (which lies beyond maxWait).
  if at >= horizon then return -4 end
  return horizon
end

local function split3(s)
  if not s then return 0, 0, 0 end
  local x, y, z = match(s, '^(-?%d+):(-?%d+):(-?%d+)$')
  return tonumber(x), tonumber(y), tonumber(z)
end

-- Per-call caches of stored state, and what to write at the end.
local raw = {}                    -- rate and batch keys: the stored string (false: none yet)
local tat = {}                    -- rate keys: the TAT, as a number
local str_ttl, str_dirty = {}, {} -- rate and batch keys to SET: last TTL; keys in order
-- Daily state (one string per key, read by the MGET): counts by local day number, the day table
-- of the key's first message (to prune days that are over and find the TTL), the keys changed.
local dcount, dtab, ddirty = {}, {}, {}
local members_raw, members_changed, members_dirty = {}, {}, {}  -- distinct members hashes
local trim_w, exp_ttl, exp_dirty = {}, {}, {}  -- sorted sets to trim (by W), last PEXPIRE TTL
local rec_val, rec_dirty = {}, {} -- records written by this call

local function load(key)
  local v = raw[key]
  if v == nil then
    v = call('GET', key) or false
    raw[key] = v
  end
  return v
end

-- A daily key's counts by day: 'day:count' entries joined by ',' (see the header).
local function daily_counts(key)
  local c = dcount[key]
  if c == nil then
    c = {}
    local v = load(key)
    if v and v ~= '' then
      local n = 0
      for d, x in gmatch(v, '(%-?%d+):(%d+)') do
        local dn = tonumber(d)
        c[dn] = tonumber(x)
        day_str[dn] = d
        n = n + 1
      end
      if n == 0 then error('sluice: malformed daily state ' .. key) end
    end
    dcount[key] = c
  end
  return c
end

-- Count `cost` more on `key` for local day `day` (of day table `tab`), written at the end.
local function daily_add(key, day, cost, tab)
  local c = daily_counts(key)
  c[day] = (c[day] or 0) + cost
  if dtab[key] == nil then
    dtab[key] = tab
    ddirty[#ddirty + 1] = key
  end
end

local function load_member(members, member)
  local m = members_raw[members]
  if m == nil then
    m = {}
    members_raw[members] = m
  end
  local v = m[member]
  if v == nil then
    v = call('HGET', members, member) or false
    m[member] = v
  end
  return v or nil
end

-- A sorted set or members hash changed: its TTL is the last one a write in order would set.
local function expires(key, ttl)
  if exp_ttl[key] == nil then exp_dirty[#exp_dirty + 1] = key end
  exp_ttl[key] = ttl
end

local function string_written(key, ttl)
  if str_ttl[key] == nil then str_dirty[#str_dirty + 1] = key end
  str_ttl[key] = ttl
end

-- The constraints of the current message, reused from message to message: kind, key, rule, a
-- table or members key, the member, and the state loaded for it (a, b, c).
local ck, ckey, cr, cx, cm, ca, cb, cc = {}, {}, {}, {}, {}, {}, {}, {}

-- Every kind but rate (1), which the fixed point decides without this call.
local function earliest(i, at, cost)
  local kind = ck[i]
  if kind == 2 then
    local r = cr[i]
    return zwindow_earliest(ckey[i], at, cost, ra[r], rb[r])
  elseif kind == 3 then
    local key, tab, count = ckey[i], cx[i], ra[cr[i]]
    while true do
      local day, next_start = day_of(tab, at)
      if day == nil then return -4 end
      if (daily_counts(key)[day] or 0) + cost <= count then return at end
      at = next_start
    end
  elseif kind == 4 then
    local r = cr[i]
    if at < ca[i] then at = ca[i] end
    if at < cb[i] + rb[r] then return at end
    return zwindow_earliest(ckey[i], at, 1, ra[r], rb[r])
  elseif kind == 5 then
    local last, gap = ca[i], rb[cr[i]]
    if last == 0 then return at end
    if at < last then at = last end
    if at - last >= gap then return at end
    if cb[i] + cost <= ra[cr[i]] then return at end
    return last + gap
  else
    return window_earliest(cx[i], at)
  end
end

-- Report the epoch only once it is stored: a client must never expect an epoch nobody wrote.
local stored = persisted or admit
local out = { stored and epoch or -1, stored and seq or -1 }
local o = 2
-- The record of the current message: one string per line, joined once.
local buf, nb = {}, 0
local last_t, last_ts = nil, nil  -- the messages of a call often share their send instant
local n_messages = num(ARGV[p])
p = p + 1

-- Message blocks, one argument each, parsed once into flat arrays: id, shape, cost (as sent),
-- notBefore, deadline, and where its limit values start in m_vals (per limit the key's index,
-- then for a distinct rule the member).
local m_id, m_shape, m_cost, m_nb, m_dl, m_at, m_vals = {}, {}, {}, {}, {}, {}, {}
do
  local nv, next_key = 0, n_messages + 2
  for j = 1, n_messages do
    local block = ARGV[p + j - 1]
    if block == nil then error('sluice: missing message block ' .. j) end
    local id, sh, cost_s, nb_s, dl_s, pos = match(block, '^([^\t]+)\t(%d+)\t(%d+)\t(%-?%d+)\t(%-?%d+)()')
    if id == nil then error('sluice: malformed message block ' .. j) end
    local shape = shapes[arg(sh)]
    if shape == nil then error('sluice: unknown shape ' .. sh) end
    m_id[j] = id; m_shape[j] = shape; m_cost[j] = cost_s; m_nb[j] = arg(nb_s); m_dl[j] = arg(dl_s); m_at[j] = nv
    local skind = shape.kind
    for i = 1, shape.nl do
      local ks, np = match(block, '^\t(%d*)()', pos)
      if ks == nil then error('sluice: malformed message block ' .. j) end
      nv = nv + 1
      if ks == '' then
        -- A key not named before in this call: the next one in KEYS (a distinct rule's members
        -- hash follows its charges set).
        m_vals[nv] = next_key
        next_key = next_key + (skind[i] == 4 and 2 or 1)
      else
        m_vals[nv] = arg(ks)
      end
      pos = np
      if skind[i] == 4 then
        local member, mp = match(block, '^\t([^\t]+)()', pos)
        if member == nil then error('sluice: malformed message block ' .. j) end
        nv = nv + 1
        m_vals[nv] = member
        pos = mp
      end
    end
    if pos ~= #block + 1 then error('sluice: malformed message block ' .. j) end
  end
  if next_key ~= #KEYS + 1 then error('sluice: message blocks do not name every key') end
end

-- Read the records and the rate, batch and daily strings of the whole call up front, a few hundred
-- keys per MGET (unpack fails past ~8,000 values): one command instead of one GET per key.
local MGET_CHUNK = 500
local records = {}
do
  -- The records first (message j's at position j), then the limit strings: one MGET per chunk.
  local strings = {}
  for j = 1, n_messages do strings[j] = KEYS[1 + j] end
  for j = 1, n_messages do
    local shape, v = m_shape[j], m_at[j]
    local skind = shape.kind
    for i = 1, shape.nl do
      local kind = skind[i]
      v = v + 1
      if kind == 1 or kind == 5 or kind == 3 then
        local key = KEYS[m_vals[v]]
        if key ~= nil and raw[key] == nil then
          raw[key] = false
          strings[#strings + 1] = key
        end
      elseif kind == 4 then
        v = v + 1
      end
    end
  end
  for c = 1, #strings, MGET_CHUNK do
    local last = c + MGET_CHUNK - 1
    if last > #strings then last = #strings end
    local got = call('MGET', unpack(strings, c, last))
    for k = c, last do
      if k <= n_messages then records[k] = got[k - c + 1] else raw[strings[k]] = got[k - c + 1] end
    end
  end
end

for j = 1, n_messages do
  local record = KEYS[1 + j]
  local existing = rec_val[record]
  if existing == nil then existing = records[j] end
  local state = existing and sub(existing, 1, 1)
  if now < hold and state ~= 'a' and state ~= 'c' then
    -- Fail closed: what was committed before the loss is unknown until the hold ends.
    out[o + 1] = -5; out[o + 2] = -1; out[o + 3] = -1; out[o + 4] = hold
  elseif state == 'a' then
    out[o + 1] = 2; out[o + 2] = tonumber(match(existing, '^a\t(%-?%d+)')); out[o + 3] = -1; out[o + 4] = -1
  elseif state == 'c' then
    out[o + 1] = 3; out[o + 2] = -1; out[o + 3] = -1; out[o + 4] = -1
  else
    local shape, cost_s = m_shape[j], m_cost[j]
    local cost, deadline = arg(cost_s), m_dl[j]
    local n_limits, n, skind, srule, stab = shape.nl, shape.n, shape.kind, shape.rule, shape.tab
    local code, t, pusher, retry = 1, now, -1, -1
    if m_nb[j] > t then t = m_nb[j] end
    -- The message's constraints, with the small state each needs loaded once (window logs are
    -- searched in place, daily counts read on demand).
    local v = m_at[j]
    for i = 1, n_limits do
      v = v + 1
      local kind, r, k = skind[i], srule[i], m_vals[v]
      if cost > rmax[r] then code = -3; pusher = i - 1; break end
      local key = KEYS[k]
      ck[i] = kind; cr[i] = r; ckey[i] = key
      if kind == 1 then
        local x = tat[key]
        if x == nil then
          x = tonumber(load(key) or '0')
          tat[key] = x
        end
        ca[i] = x
      elseif kind == 3 then
        cx[i] = stab[i]
      elseif kind == 4 then
        v = v + 1
        local members, member = KEYS[k + 1], m_vals[v]
        cx[i] = members; cm[i] = member
        ca[i], cb[i], cc[i] = split3(load_member(members, member))
      elseif kind == 5 then
        ca[i], cb[i], cc[i] = split3(load(key))
      end
    end
    for i = n_limits + 1, n do
      ck[i] = 6; cx[i] = stab[i]
    end
    -- Offered after its deadline: refused even when no constraint would delay it.
    if code == 1 and deadline >= 0 and t > deadline then code = -1 end
    -- The fixed point: stop once every constraint was checked since the last move (a constraint
    -- is met at its own earliest instant); the largest single push names the reason. Rate
    -- limits, the most common, are decided here without a call through `earliest`.
    if code == 1 and n > 0 then
      local jump, met, i, steps, max_steps = 0, 0, 0, 0, 512 * n
      while met < n do
        if steps >= max_steps then code = -2; retry = t; break end
        i = i + 1
        if i > n then i = 1 end
        local e
        if ck[i] == 1 then
          local r = cr[i]
          e = rate_earliest(ra[r], rb[r], rc[r], ca[i], t, cost)
        else
          e = earliest(i, t, cost)
          if e == -4 then code = -4; retry = t; break end
          if e == math.huge then code = -3; pusher = i - 1; break end
        end
        if e > t then
          if e - t > jump then jump = e - t; pusher = i - 1 end
          t = e
          met = 1
          if deadline >= 0 and t > deadline then code = -1; break end
          if t - now > max_wait then code = -2; retry = t - max_wait; break end
        else
          met = met + 1
        end
        steps = steps + 1
      end
    end
    if code == 1 and admit then
      -- Commit every limit, and the record with what cancel needs (ids, names and keys never
      -- contain control characters, so tabs and newlines separate fields and lines): one string
      -- per line, joined once (measured: cheaper than gathering every piece in `buf`).
      if t ~= last_t then last_t, last_ts = t, fmt(t) end
      local ts = last_ts
      buf[1] = 'a\t' .. ts .. '\t' .. cost_s .. '\t' .. m_id[j]
      nb = 1
      for i = 1, n_limits do
        local kind, key, r = ck[i], ckey[i], cr[i]
        if kind == 1 then
          local q = ra[r]
          local after = rate_commit(q, rb[r], rc[r], ca[i], t, cost)
          local ttl = floor(after / q) + STATE_EPOCH - now
          if ttl < 0 then ttl = 0 end
          local after_s = fmt(after)
          nb = nb + 1
          buf[nb] = '\nr\t' .. key .. '\t' .. (raw[key] or '0') .. '\t' .. after_s
          tat[key] = after
          raw[key] = after_s
          string_written(key, ttl + HOUR)
        elseif kind == 2 then
          -- One member per cost unit; ZADD in chunks (unpack fails past ~8,000 values).
          local id = m_id[j]
          local k = 1
          while k <= cost do
            local args = {}
            for u = k, math.min(cost, k + 499) do
              args[#args + 1] = ts
              args[#args + 1] = ts .. ':' .. id .. ':' .. u
            end
            call('ZADD', key, unpack(args))
            k = k + 500
          end
          trim_w[key] = rb[r]
          expires(key, t - now + rb[r] + HOUR)
          nb = nb + 1
          buf[nb] = '\nw\t' .. key
        elseif kind == 3 then
          local day, _, field = day_of(cx[i], t)
          daily_add(key, day, cost, cx[i])
          nb = nb + 1
          buf[nb] = '\nd\t' .. key .. '\t' .. field
        elseif kind == 4 then
          local W, members, member = rb[r], cx[i], cm[i]
          local charged = t >= cb[i] + W
          local charge = cb[i]
          if charged then
            charge = t
            call('ZADD', key, ts, ts .. ':' .. member)
            trim_w[key] = W
            expires(key, t - now + W + HOUR)
          end
          local changed = members_changed[members]
          if changed == nil then
            changed = {}
            members_changed[members] = changed
            members_dirty[#members_dirty + 1] = members
          end
          if changed[member] == nil then
            changed[member] = true
            changed[#changed + 1] = member
          end
          members_raw[members][member] = ts .. ':' .. fmt(charge) .. ':' .. fmt(cc[i] + 1)
          expires(members, t - now + W + HOUR)
          nb = nb + 1
          buf[nb] = '\nx\t' .. key .. '\t' .. members .. '\t' .. member .. '\t' .. fmt(ca[i]) .. '\t' .. fmt(cb[i]) .. '\t' .. fmt(cc[i]) .. '\t' .. (charged and '1' or '0')
        elseif kind == 5 then
          local run = cost
          if ca[i] ~= 0 and t - ca[i] < rb[r] then run = cb[i] + cost end
          nb = nb + 1
          buf[nb] = '\nb\t' .. key .. '\t' .. fmt(ca[i]) .. '\t' .. fmt(cb[i]) .. '\t' .. fmt(cc[i])
          raw[key] = ts .. ':' .. fmt(run) .. ':' .. fmt(cc[i] + 1)
          string_written(key, t - now + rb[r] + HOUR)
        end
      end
      if rec_val[record] == nil then rec_dirty[#rec_dirty + 1] = record end
      rec_val[record] = concat(buf, '', 1, nb)
    end
    out[o + 1] = code; out[o + 2] = t; out[o + 3] = pusher; out[o + 4] = retry
  end
  o = o + 4
end

-- Write what the call changed: limit state first, records last, so that a write refused midway
-- (wrong type, …) can leave state consumed without a record, never a record without its state.
-- SET … GET refuses a key of another type (WRONGTYPE) as GET would have: MGET reads such a key
-- as missing, and a plain SET would silently replace it.
-- Keys written by messages sent at one instant share their TTL: each distinct TTL is formatted
-- once (a number argument would be formatted by Redis with '%.17g', slower than '%d').
local ttl_s = {}
local function ttl_arg(ttl)
  local s = ttl_s[ttl]
  if s == nil then
    s = fmt(ttl)
    ttl_s[ttl] = s
  end
  return s
end
for _, key in ipairs(str_dirty) do
  call('SET', key, raw[key], 'PX', ttl_arg(str_ttl[key]), 'GET')
end
for _, key in ipairs(ddirty) do
  -- Days that are over can never be asked for again (sends go at or after now): dropped. The key
  -- lives until its last day ends (an hour more), or DAILY_TTL past a table too short to tell.
  local c, tab = dcount[key], dtab[key]
  local today = day_of(tab, now) or -math.huge
  local days, n = {}, 0
  for d, x in pairs(c) do
    if d >= today and x > 0 then
      n = n + 1
      days[n] = d
    end
  end
  local value
  if n == 1 then
    -- The common case: one day (no sort, no join).
    local d = days[1]
    value = (day_str[d] or fmt(d)) .. ':' .. fmt(c[d])
  else
    table.sort(days)
    local parts = {}
    for k, d in ipairs(days) do parts[k] = (day_str[d] or fmt(d)) .. ':' .. fmt(c[d]) end
    value = concat(parts, ',')
  end
  local ttl = DAILY_TTL
  local after_last = days[n] - tab.day0 + 2
  if after_last <= tab.n then ttl = entry(tab, after_last) - now + HOUR end
  call('SET', key, value, 'PX', ttl_arg(ttl), 'GET')
end
for _, members in ipairs(members_dirty) do
  local changed, values = members_changed[members], members_raw[members]
  local k = 1
  while k <= #changed do
    local args = {}
    for j = k, math.min(#changed, k + 499) do
      args[#args + 1] = changed[j]
      args[#args + 1] = values[changed[j]]
    end
    call('HSET', members, unpack(args))
    k = k + 500
  end
end
for _, key in ipairs(exp_dirty) do
  -- Entries at or before now - W can no longer share a window with an instant >= now, and no
  -- search of this call looked below now - W + 1: trimming once, at the end, is the same.
  local W = trim_w[key]
  if W ~= nil then call('ZREMRANGEBYSCORE', key, '-inf', fmt(now - W)) end
  call('PEXPIRE', key, ttl_arg(exp_ttl[key]))
end
for _, record in ipairs(rec_dirty) do
  call('SET', record, rec_val[record], 'PX', record_ttl, 'GET')
end
return out
