-- lookup: the expiry of a live seat lease.
--
-- KEYS[1] <prefix>:{<license>}:leases  sorted set: session -> expiry (Unix ms)
-- KEYS[2] <prefix>:{<license>}:state   present while the license's state is trusted
-- ARGV[1] session ID
-- ARGV[2] now in Unix milliseconds, or "" to read the server's TIME
--
-- Reply: {0} lost, {1, expires} live, {2, 0} not live.
--
-- Atomic: Redis runs a script without interleaving other commands, so the
-- state check and the read see one state (a flush between them cannot turn
-- "lost" into "not live"). One slot: both keys carry the license ID as their
-- hash tag.
if redis.call('EXISTS', KEYS[2]) == 0 then
  return {0}
end

local now = tonumber(ARGV[2])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) > now then
  return {1, tonumber(score)}
end
return {2, 0}
