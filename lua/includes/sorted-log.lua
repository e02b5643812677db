-- The exact sliding window over a sorted array of integer instants `a[1..n]` (a Lua port of
-- src/core/limits/sorted-log.ts; golden vectors keep the two in step). Windows are half-open.

-- First index i with a[i] >= x (n + 1 if none).
local function lower_bound(a, n, x)
  local lo, hi = 1, n + 1
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if a[mid] < x then lo = mid + 1 else hi = mid end
  end
  return lo
end

local function count_range(a, n, from, to)
  return lower_bound(a, n, to) - lower_bound(a, n, from)
end

-- The largest count of any window [s, s + W) containing t.
local function max_window_containing(a, n, t, W)
  local best = count_range(a, n, t - W + 1, t + 1)
  local j = lower_bound(a, n, t + 1)
  while j <= n and a[j] < t + W do
    local s = a[j] - W + 1
    local c = count_range(a, n, s, s + W)
    if c > best then best = c end
    j = j + 1
  end
  return best
end

-- Earliest instant >= t at which `cost` more entries keep every window at most `count`.
local function window_earliest(a, n, t, cost, count, W)
  local room = count - cost
  local i = lower_bound(a, n, t - W + 1)
  local candidate = t
  while true do
    if n == 0 or candidate >= a[n] then
      if n <= room then return candidate end
      local limit = a[n - room] + W
      if limit > candidate then return limit end
      return candidate
    end
    if max_window_containing(a, n, candidate, W) <= room then return candidate end
    while i <= n and a[i] + W <= candidate do i = i + 1 end
    if i > n then return candidate end
    candidate = a[i] + W
  end
end

-- Insert `cost` copies of t keeping order.
local function insert_sorted(a, n, t, cost)
  local at = lower_bound(a, n, t + 1)
  for k = n, at, -1 do a[k + cost] = a[k] end
  for k = at, at + cost - 1 do a[k] = t end
  return n + cost
end
