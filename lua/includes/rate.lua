--- @include "int"
-- GCRA with exact integer state (a port of src/core/limits/rate.ts). The TAT is in units of
-- 1/q ms since the state epoch; sends go at whole milliseconds, virtual arrivals stay exact.
local STATE_EPOCH = 1577836800000

local function rate_earliest(q, T, tau, tat, t, cost)
  local units = tat - tau + (cost - 1) * T
  if units <= (t - STATE_EPOCH) * q then return t end
  return ceil_div(units, q) + STATE_EPOCH
end

local function rate_commit(q, T, tau, tat, send_at, cost)
  local earliest = tat - tau + (cost - 1) * T
  local lowest = (send_at - STATE_EPOCH) * q - (q - 1)
  local arrival = earliest
  if lowest > arrival then arrival = lowest end
  if tat > arrival then arrival = tat end
  return arrival + cost * T
end
