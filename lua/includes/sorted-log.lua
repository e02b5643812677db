-- The exact sliding window over a sorted set whose scores are integer instants (the same
-- search as src/core/limits/sorted-log.ts, answered with ZCOUNT and rank lookups so that a
-- window holding thousands of entries costs O(log n) per probe, not a full load).
-- Windows are half-open [s, s + W): an entry a counts in it when s <= a <= s + W - 1.

local function zcount(key, from, to)
  return redis.call('ZCOUNT', key, fmt(from), fmt(to))
end

-- Score of the entry with the given rank from the end (1 = newest), or nil.
local function newest(key, rank)
  local r = redis.call('ZRANGE', key, -rank, -rank, 'WITHSCORES')
  if r[2] == nil then return nil end
  return tonumber(r[2])
end

-- The largest count of any window [s, s + W) that contains t: the window ending at t, or one
-- starting where a later entry a_j (t < a_j < t + W) first falls inside it.
local function max_window_containing(key, t, W)
  local best = zcount(key, t - W + 1, t)
  local later = redis.call('ZRANGEBYSCORE', key, '(' .. fmt(t), '(' .. fmt(t + W), 'WITHSCORES')
  for i = 2, #later, 2 do
    local s = tonumber(later[i]) - W + 1
    local c = zcount(key, s, s + W - 1)
    if c > best then best = c end
  end
  return best
end

-- Earliest instant >= t at which `cost` more entries keep every window at most `count`.
-- Candidates are t and a_i + W for entries a_i (where a heavy window stops covering).
local function zwindow_earliest(key, t, cost, count, W)
  local room = count - cost
  local candidate = t
  while true do
    local last = newest(key, 1)
    if last == nil or candidate >= last then
      -- Nothing after the candidate: the (room+1)-th newest entry must have left its window.
      if zcount(key, candidate - W + 1, '+inf') <= room then return candidate end
      local limit = newest(key, room + 1) + W
      if limit > candidate then return limit end
      return candidate
    end
    -- The window ending at the candidate already too full: its (room+1) newest entries stay in
    -- every window that ends before the oldest of them expires, so jump straight there.
    local in_window = zcount(key, candidate - W + 1, candidate)
    if in_window > room then
      local r = redis.call('ZRANGEBYSCORE', key, fmt(candidate - W + 1), fmt(candidate), 'WITHSCORES', 'LIMIT', in_window - room - 1, 1)
      candidate = tonumber(r[2]) + W
    elseif max_window_containing(key, candidate, W) <= room then
      return candidate
    else
      local nxt = redis.call('ZRANGEBYSCORE', key, '(' .. fmt(candidate - W), '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
      if nxt[2] == nil then return candidate end
      candidate = tonumber(nxt[2]) + W
    end
  end
end
