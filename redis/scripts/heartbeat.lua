-- heartbeat: extend a live seat lease.
--
-- KEYS[1] <prefix>:{<license>}:leases  sorted set: session -> expiry (Unix ms)
-- KEYS[2] <prefix>:{<license>}:state   present while the license's state is trusted
-- ARGV[1] session ID
-- ARGV[2] lease TTL in milliseconds
-- ARGV[3] now in Unix milliseconds, or "" to read the server's TIME
--
-- Reply: {0} lost, {1, expires} extended, {2, 0} not live (expired, released
-- or unknown; an expired lease is removed, never brought back).
--
-- Atomic: Redis runs a script without interleaving other commands, so the
-- liveness check and the extension see one state; a lease that expired can
-- never be extended by a heartbeat racing an acquire that took its seat.
-- One slot: both keys carry the license ID as their hash tag.
if redis.call('EXISTS', KEYS[2]) == 0 then
  return {0}
end

local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then
  return {2, 0}
end
if tonumber(score) <= now then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return {2, 0}
end

local expires = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], 'XX', string.format('%.0f', expires), ARGV[1])
return {1, expires}
