-- count: the number of live seat leases of one license.
--
-- KEYS[1] <prefix>:{<license>}:leases  sorted set: session -> expiry (Unix ms)
-- KEYS[2] <prefix>:{<license>}:state   present while the license's state is trusted
-- ARGV[1] now in Unix milliseconds, or "" to read the server's TIME
--
-- Reply: {0} lost, {1, count}.
--
-- Atomic: Redis runs a script without interleaving other commands, so the
-- state check and the count see one state. One slot: both keys carry the
-- license ID as their hash tag. ZCOUNT is O(log n): it counts leases with
-- expiry > now without touching the expired ones.
if redis.call('EXISTS', KEYS[2]) == 0 then
  return {0}
end

local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

return {1, redis.call('ZCOUNT', KEYS[1], '(' .. string.format('%.0f', now), '+inf')}
