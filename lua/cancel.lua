--[[
sluice cancel: undo an admission where that is safe, and mark its id cancelled.

KEYS[1]      the message record: 'a\t<sendAt>\t<cost>\t<id>' then one '\n<undo line>' per limit
             (written by lua/admit.lua), or 'c' once cancelled
KEYS[2..n]   every state key named in the record's undo lines, in order of appearance
             (the client reads them from the record first; the script checks they match)

Returns 1 when the admission was cancelled, 0 when the id is unknown, 3 when already cancelled, 2
when the cancel is refused and nothing changes: the message opened a distinct charge and a later
send to that recipient was committed since (it may ride on the charge; without this message the
recipient's charge would open later, in windows the state already saw it leave: see
ReferenceModel's #reliedOnCharge). Otherwise a rate, batch or distinct state is restored only if
nothing was committed on it afterwards (a later reservation was placed against it); windows and
daily counts are refunded exactly.
]]
--- @include "int"

local record = KEYS[1]
local r = redis.call('GET', record)
if not r then return 0 end
if string.sub(r, 1, 1) ~= 'a' then return 3 end
local send_at, cost_s, id, undo = string.match(r, '^a\t(%-?%d+)\t(%d+)\t([^\n]*)\n?(.*)$')
if not send_at then error('sluice: malformed record ' .. record) end
local cost = num(cost_s)

-- The record's keys must come in KEYS in the order the undo lines name them (Cluster needs them declared).
local next_key = 2
local function declared(name)
  if KEYS[next_key] ~= name then error('sluice: cancel keys do not match the record') end
  next_key = next_key + 1
end

-- The seq at the end of a 'a:b:seq' state (nil for no state).
local function seq_of(v)
  return v and tonumber(string.match(v, ':(%-?%d+)$'))
end

-- Parsed first, so that a refusal is decided before anything is written.
local lines = {}
for line in string.gmatch(undo, '[^\n]+') do
  local f = {}
  for x in string.gmatch(line, '[^\t]+') do f[#f + 1] = x end
  declared(f[2])
  if f[1] == 'x' then declared(f[3]) end
  lines[#lines + 1] = f
end
for _, f in ipairs(lines) do
  if f[1] == 'x' and f[8] == '1' then
    local seq = seq_of(redis.call('HGET', f[3], f[4]))
    if seq and seq ~= num(f[7]) + 1 then return 2 end
  end
end

for _, f in ipairs(lines) do
  local kind = f[1]
  local k = f[2]
  if kind == 'r' then
    if redis.call('GET', k) == f[4] then redis.call('SET', k, f[3], 'KEEPTTL') end
  elseif kind == 'w' then
    for j = 1, cost do redis.call('ZREM', k, send_at .. ':' .. id .. ':' .. j) end
  elseif kind == 'd' then
    -- 'day:count' entries joined by ',' (see lua/admit.lua); the day's count goes down by the cost.
    local v = redis.call('GET', k)
    if v then
      local parts = {}
      for d, x in string.gmatch(v, '(%-?%d+):(%d+)') do
        local c = num(x)
        if d == f[3] then c = c - cost end
        if c > 0 then parts[#parts + 1] = d .. ':' .. fmt(c) end
      end
      redis.call('SET', k, table.concat(parts, ','), 'KEEPTTL')
    end
  elseif kind == 'x' then
    local charges, members, member = k, f[3], f[4]
    if seq_of(redis.call('HGET', members, member)) == num(f[7]) + 1 then
      redis.call('HSET', members, member, f[5] .. ':' .. f[6] .. ':' .. f[7])
      if f[8] == '1' then redis.call('ZREM', charges, send_at .. ':' .. member) end
    end
  elseif kind == 'b' then
    if seq_of(redis.call('GET', k)) == num(f[5]) + 1 then redis.call('SET', k, f[3] .. ':' .. f[4] .. ':' .. f[5], 'KEEPTTL') end
  end
end
-- The id stays cancelled for the rest of the record's TTL: admit replays it as cancelled.
redis.call('SET', record, 'c', 'KEEPTTL')
return 1
