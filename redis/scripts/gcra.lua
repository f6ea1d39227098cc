-- gcra: one step of the generic cell rate algorithm for one key.
--
-- KEYS[1]  <prefix>:rl:{<key>}   the key's theoretical arrival time (TAT),
--                                 in microseconds
-- ARGV[1]  now in microseconds, or "" to read Redis TIME
-- ARGV[2]  emission interval in microseconds (1 s / rate)
-- ARGV[3]  burst
--
-- Reply: {allowed (1|0), remaining, retry_after_us, reset_after_us}
--
-- Atomic because a script runs without interleaving: reading the TAT,
-- deciding and storing the new TAT are one step, so racing requests on one
-- key never both take the last cell. One key, so one Cluster slot. The key
-- expires when the burst has refilled: forgetting it then is exact, and
-- unlike seat state, rate-limit state may be evicted without harm.
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[1])
end
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])

local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
  tat = now
end
local new_tat = tat + interval
local allow_at = new_tat - burst * interval
if now < allow_at then
  return {0, 0, allow_at - now, tat - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000))
return {1, math.floor((now - allow_at) / interval), 0, new_tat - now}
