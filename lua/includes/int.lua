-- Exact integer helpers. Lua numbers are doubles: integers are exact below 2^53, but tostring
-- keeps only 14 digits, so state is always written with '%d' (Redis's Lua formats it as a C
-- long, about twice as fast as '%.0f'), or '%.0f' for what is not an exact integer below 2^53.
local format = string.format
local function fmt(x)
  if type(x) == 'string' then return x end
  if x % 1 == 0 and x > -9007199254740992 and x < 9007199254740992 then return format('%d', x) end
  return format('%.0f', x)
end

-- ceil(x / q) for integers x (any sign) and q > 0; '%' is floored, so r is in [0, q).
local function ceil_div(x, q)
  local r = x % q
  local n = (x - r) / q
  if r > 0 then return n + 1 end
  return n
end

-- Parse a number argument; NaN (which passes every comparison) is rejected.
local function num(s)
  local x = tonumber(s)
  if x == nil or x ~= x then error('sluice: not a number: ' .. tostring(s)) end
  return x
end
