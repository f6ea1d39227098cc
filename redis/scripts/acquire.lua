-- acquire: take or renew a seat lease of one license.
--
-- KEYS[1] <prefix>:{<license>}:leases  sorted set: session -> expiry (Unix ms)
-- KEYS[2] <prefix>:{<license>}:state   present while the license's state is trusted
-- ARGV[1] session ID
-- ARGV[2] lease TTL in milliseconds
-- ARGV[3] seat limit
-- ARGV[4] now in Unix milliseconds, or "" to read the server's TIME
--
-- Reply: {0} lost, {1, in_use, expires} granted, {2, in_use, expires}
-- renewed, {3, in_use, earliest_expiry} refused.
--
-- Atomic: Redis runs a script to the end without interleaving any other
-- command, so the count, the limit check and the ZADD see one state and no
-- two acquires can both take the last seat. One slot: both keys carry the
-- license ID as their hash tag, so Redis Cluster keeps them in one slot and
-- the script runs on the one node that owns it (no CROSSSLOT).
if redis.call('EXISTS', KEYS[2]) == 0 then
  return {0}
end

local now = tonumber(ARGV[4])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- A lease is live while now < expiry: drop every score <= now.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now))

local expires = now + tonumber(ARGV[2])
local score = string.format('%.0f', expires)
local in_use = redis.call('ZCARD', KEYS[1])

if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], score, ARGV[1])
  return {2, in_use, expires}
end
if in_use < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], score, ARGV[1])
  return {1, in_use + 1, expires}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {3, in_use, tonumber(first[2])}
