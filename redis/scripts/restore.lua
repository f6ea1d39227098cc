-- restore: put a license's leases back after Redis lost them, and trust the
-- license's state again.
--
-- KEYS[1] <prefix>:{<license>}:leases  sorted set: session -> expiry (Unix ms)
-- KEYS[2] <prefix>:{<license>}:state   present while the license's state is trusted
-- ARGV[1] now in Unix milliseconds, or "" to read the server's TIME
-- ARGV[2], ARGV[3], ... pairs of expiry (Unix ms) and session ID
--
-- Reply: {1, restored} where restored counts the leases live at now.
--
-- Atomic: Redis runs a script without interleaving other commands, so no
-- acquire can see the state marker before every lease is back: the license
-- is never trusted without its leases. Leases are only added or extended
-- (ZADD GT keeps the later expiry), never removed, so a restore racing
-- grants already made cannot free their seats. One slot: both keys carry
-- the license ID as their hash tag.
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- ZADD takes up to 256 leases at a time, well below Lua's stack limit
-- for unpack.
local batch, restored = {}, 0
for i = 2, #ARGV, 2 do
  if tonumber(ARGV[i]) > now then
    batch[#batch + 1] = ARGV[i]
    batch[#batch + 1] = ARGV[i + 1]
    restored = restored + 1
  end
  if #batch >= 512 then
    redis.call('ZADD', KEYS[1], 'GT', unpack(batch))
    batch = {}
  end
end
if #batch > 0 then
  redis.call('ZADD', KEYS[1], 'GT', unpack(batch))
end

redis.call('SET', KEYS[2], string.format('%.0f', now))
return {1, restored}
