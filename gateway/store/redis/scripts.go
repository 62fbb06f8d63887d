package redis

import goredis "github.com/redis/go-redis/v9"

// The Lua scripts run atomically on the server: every check of a commit
// happens before its first write, so a failed Tx writes nothing, and
// claims, acks and retries cannot interleave. Keys are built inside the
// scripts from the prefix (ARGV[1]); that is fine on a standalone server or
// a replica set, and on a cluster only with a hash-tag prefix such as
// "{hallgate}:" that puts every key in one slot.
//
// Key layout (P = prefix; NUL separates name parts, which are NUL-free):
//
//	P r:<coll>\0<id>            hash v (version) d (data) x (index JSON) t (sec:usec)
//	P c:<coll>                  zset of ids, score 0 (lexicographic order)
//	P i:<coll>\0<field>\0<val>  zset of ids, score 0
//	P o:<topic>\0<id>           item hash: k p c cm a e nb sid tok exp st r da
//	P s:<topic>                 stream (group "hallgate"), entries {id: <item id>}
//	P d:<topic>                 zset id → due ms (not before, delayed retries)
//	P l:<topic>                 zset id → lease end ms (claimed items)
//	P p:<topic>\0<key>          zset id → created ms (pending per key)
//	P k:<topic>                 set of keys with pending work
//	P x:<topic>                 zset id → dead-letter ms
const luaPrelude = `
local P = ARGV[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local stamp = t[1] .. ':' .. t[2]
local G = 'hallgate'
local function rk(c, i) return P .. 'r:' .. c .. '\0' .. i end
local function ik(c, f, v) return P .. 'i:' .. c .. '\0' .. f .. '\0' .. v end
local function ok_(topic, id) return P .. 'o:' .. topic .. '\0' .. id end
local function pk(topic, key) return P .. 'p:' .. topic .. '\0' .. key end
local function unpend(topic, key, id)
  local k = pk(topic, key)
  redis.call('ZREM', k, id)
  if redis.call('ZCARD', k) == 0 then redis.call('SREM', P .. 'k:' .. topic, key) end
end
local function pend(topic, key, id, cm)
  redis.call('ZADD', pk(topic, key), cm, id)
  redis.call('SADD', P .. 'k:' .. topic, key)
end
-- held returns the item's fields when tok is its live lease, else nil.
local function held(topic, id, tok)
  local h = redis.call('HMGET', ok_(topic, id), 'tok', 'exp', 'sid', 'k')
  if not h[1] or h[1] ~= tok or tonumber(h[2]) <= now then return nil end
  return h
end
local function unstream(topic, sid)
  if sid then
    redis.call('XACK', P .. 's:' .. topic, G, sid)
    redis.call('XDEL', P .. 's:' .. topic, sid)
  end
end
`

// ARGV: P, meta JSON, data blobs of puts, payload blobs of enqueues.
var commitScript = goredis.NewScript(luaPrelude + `
local m = cjson.decode(ARGV[2])
local puts, dels, q = m.p, m.d, m.q
local oldv = {}
for n, p in ipairs(puts) do
  local v = redis.call('HGET', rk(p.c, p.i), 'v')
  if not p.f then
    if p.e == 0 and v then return {'CONFLICT', 'create ' .. p.c .. '/' .. p.i .. ': exists at version ' .. v} end
    if p.e > 0 and (not v or tonumber(v) ~= p.e) then return {'CONFLICT', 'update ' .. p.c .. '/' .. p.i .. ': expected version ' .. p.e} end
  end
  oldv[n] = v
end
for _, d in ipairs(dels) do
  local v = redis.call('HGET', rk(d.c, d.i), 'v')
  if not v then
    if d.e > 0 then return {'CONFLICT', 'delete ' .. d.c .. '/' .. d.i .. ': expected version ' .. d.e} end
    return {'NOTFOUND', 'delete ' .. d.c .. '/' .. d.i}
  end
  if d.e > 0 and tonumber(v) ~= d.e then return {'CONFLICT', 'delete ' .. d.c .. '/' .. d.i .. ': expected version ' .. d.e} end
end
for _, it in ipairs(q) do
  if redis.call('EXISTS', ok_(it.t, it.i)) == 1 then return {'CONFLICT', 'enqueue ' .. it.t .. '/' .. it.i .. ': item exists'} end
end
local out = {'OK', stamp}
for n, p in ipairs(puts) do
  local key = rk(p.c, p.i)
  local ver = 1
  if oldv[n] then
    ver = tonumber(oldv[n]) + 1
    for f, v in pairs(cjson.decode(redis.call('HGET', key, 'x'))) do redis.call('ZREM', ik(p.c, f, v), p.i) end
  else
    redis.call('ZADD', P .. 'c:' .. p.c, 0, p.i)
  end
  for f, v in pairs(cjson.decode(p.x)) do redis.call('ZADD', ik(p.c, f, v), 0, p.i) end
  redis.call('HSET', key, 'v', ver, 'd', ARGV[2 + n], 'x', p.x, 't', stamp)
  out[#out + 1] = ver
end
for _, d in ipairs(dels) do
  local key = rk(d.c, d.i)
  for f, v in pairs(cjson.decode(redis.call('HGET', key, 'x'))) do redis.call('ZREM', ik(d.c, f, v), d.i) end
  redis.call('ZREM', P .. 'c:' .. d.c, d.i)
  redis.call('DEL', key)
end
for n, it in ipairs(q) do
  local key = ok_(it.t, it.i)
  redis.call('HSET', key, 'k', it.k, 'p', ARGV[2 + #puts + n], 'c', it.c, 'cm', it.cm, 'a', it.a, 'e', it.e, 'nb', it.nb, 'st', 'q')
  pend(it.t, it.k, it.i, it.cm)
  if it.nbm > now then
    redis.call('ZADD', P .. 'd:' .. it.t, it.nbm, it.i)
    redis.call('HSET', key, 'st', 'd')
  else
    redis.call('HSET', key, 'sid', redis.call('XADD', P .. 's:' .. it.t, '*', 'id', it.i))
  end
end
return out
`)

// ARGV: P, topic, consumer, max, lease ms, token base.
// Order: expired leases first (XCLAIM of the exact entries whose per-item
// lease ended), then delayed items that came due (moved into the stream),
// then new entries (XREADGROUP >).
var claimScript = goredis.NewScript(luaPrelude + `
local topic, consumer, max, lease, tokbase = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local S, L, D = P .. 's:' .. topic, P .. 'l:' .. topic, P .. 'd:' .. topic
redis.pcall('XGROUP', 'CREATE', S, G, '0', 'MKSTREAM')
local out = {}
local function take(id, sid)
  local key = ok_(topic, id)
  if redis.call('EXISTS', key) == 0 then
    unstream(topic, sid)
    redis.call('ZREM', L, id)
    return
  end
  local tok = tokbase .. '.' .. (#out + 1)
  redis.call('HSET', key, 'tok', tok, 'exp', now + lease, 'st', 'c', 'sid', sid)
  redis.call('ZADD', L, now + lease, id)
  local h = redis.call('HMGET', key, 'k', 'p', 'c', 'a', 'e', 'nb')
  out[#out + 1] = {id, tok, h[1], h[2], h[3], h[4], h[5], h[6]}
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', L, '-inf', now, 'LIMIT', 0, max)) do
  local sid = redis.call('HGET', ok_(topic, id), 'sid')
  if sid then
    redis.call('XCLAIM', S, G, consumer, 0, sid, 'JUSTID')
    take(id, sid)
  else
    redis.call('ZREM', L, id)
  end
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', D, '-inf', now, 'LIMIT', 0, 1000)) do
  local key = ok_(topic, id)
  redis.call('ZREM', D, id)
  if redis.call('EXISTS', key) == 1 then
    redis.call('HSET', key, 'sid', redis.call('XADD', S, '*', 'id', id), 'st', 'q')
  end
end
if #out < max then
  local r = redis.call('XREADGROUP', 'GROUP', G, consumer, 'COUNT', max - #out, 'STREAMS', S, '>')
  if r then
    for _, e in ipairs(r[1][2]) do
      if e[2] then take(e[2][2], e[1]) else unstream(topic, e[1]) end
    end
  end
end
return out
`)

// ARGV: P, topic, id, token.
var ackScript = goredis.NewScript(luaPrelude + `
local topic, id = ARGV[2], ARGV[3]
local h = held(topic, id, ARGV[4])
if not h then return 'LOST' end
unstream(topic, h[3])
redis.call('ZREM', P .. 'l:' .. topic, id)
redis.call('DEL', ok_(topic, id))
unpend(topic, h[4], id)
return 'OK'
`)

// ARGV: P, topic, id, token, at ms, at ns (” for zero), last error, count (0/1).
var retryScript = goredis.NewScript(luaPrelude + `
local topic, id = ARGV[2], ARGV[3]
local h = held(topic, id, ARGV[4])
if not h then return 'LOST' end
local key = ok_(topic, id)
unstream(topic, h[3])
redis.call('ZREM', P .. 'l:' .. topic, id)
redis.call('HDEL', key, 'tok', 'exp', 'sid')
if ARGV[8] == '1' then redis.call('HINCRBY', key, 'a', 1) end
redis.call('HSET', key, 'e', ARGV[7], 'nb', ARGV[6])
local at = tonumber(ARGV[5])
if at > now then
  redis.call('ZADD', P .. 'd:' .. topic, at, id)
  redis.call('HSET', key, 'st', 'd')
else
  redis.call('HSET', key, 'st', 'q', 'sid', redis.call('XADD', P .. 's:' .. topic, '*', 'id', id))
end
return 'OK'
`)

// ARGV: P, topic, id, token. The entry stays in the group's pending list
// with its lease ended, so the next Claim reclaims it first.
var releaseScript = goredis.NewScript(luaPrelude + `
local topic, id = ARGV[2], ARGV[3]
local h = held(topic, id, ARGV[4])
if not h then return 'LOST' end
redis.call('HDEL', ok_(topic, id), 'tok', 'exp')
redis.call('ZADD', P .. 'l:' .. topic, 0, id)
return 'OK'
`)

// ARGV: P, topic, id, token, reason. Returns the dead-letter stamp.
var deadScript = goredis.NewScript(luaPrelude + `
local topic, id = ARGV[2], ARGV[3]
local h = held(topic, id, ARGV[4])
if not h then return 'LOST' end
local key = ok_(topic, id)
unstream(topic, h[3])
redis.call('ZREM', P .. 'l:' .. topic, id)
redis.call('HDEL', key, 'tok', 'exp', 'sid')
redis.call('HSET', key, 'st', 'x', 'r', ARGV[5], 'da', stamp)
redis.call('ZADD', P .. 'x:' .. topic, now, id)
unpend(topic, h[4], id)
return 'OK'
`)

// ARGV: P, topic, id.
var redriveScript = goredis.NewScript(luaPrelude + `
local topic, id = ARGV[2], ARGV[3]
local X = P .. 'x:' .. topic
if not redis.call('ZSCORE', X, id) then return 'NOTFOUND' end
local key = ok_(topic, id)
redis.call('ZREM', X, id)
redis.call('HDEL', key, 'r', 'da')
local h = redis.call('HMGET', key, 'k', 'cm')
redis.call('HSET', key, 'a', 0, 'nb', '', 'st', 'q', 'sid', redis.call('XADD', P .. 's:' .. topic, '*', 'id', id))
pend(topic, h[1], id, h[2])
return 'OK'
`)

// ARGV: P, topic. Returns {key, depth, oldest created ms} triples.
var pendingScript = goredis.NewScript(luaPrelude + `
local topic = ARGV[2]
local out = {}
for _, key in ipairs(redis.call('SMEMBERS', P .. 'k:' .. topic)) do
  local k = pk(topic, key)
  local first = redis.call('ZRANGE', k, 0, 0, 'WITHSCORES')
  if first[2] then out[#out + 1] = {key, redis.call('ZCARD', k), first[2]} end
end
return out
`)

// ARGV: P, coll, limit, after (” = start), reverse (0/1), nfilters, field, value, ...
// Drives the scan from the smallest matching set and checks the others by
// ZSCORE; returns up to limit+1 rows {id, v, d, x, t}.
var listScript = goredis.NewScript(luaPrelude + `
local coll, limit, after, rev, nf = ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5] == '1', tonumber(ARGV[6])
local drive = P .. 'c:' .. coll
local others = {}
if nf > 0 then
  local keys, best, bestn = {}, 0, -1
  for i = 1, nf do
    keys[i] = ik(coll, ARGV[5 + 2 * i], ARGV[6 + 2 * i])
    local n = redis.call('ZCARD', keys[i])
    if bestn < 0 or n < bestn then best, bestn = i, n end
  end
  drive = keys[best]
  for i = 1, nf do if i ~= best then others[#others + 1] = keys[i] end end
end
local ids, cursor, chunk = {}, after, limit + 1
if #others > 0 then chunk = math.max(chunk, 200) end
while #ids <= limit do
  local r
  if rev then
    local mx = '+'
    if cursor ~= '' then mx = '(' .. cursor end
    r = redis.call('ZREVRANGEBYLEX', drive, mx, '-', 'LIMIT', 0, chunk)
  else
    local mn = '-'
    if cursor ~= '' then mn = '(' .. cursor end
    r = redis.call('ZRANGEBYLEX', drive, mn, '+', 'LIMIT', 0, chunk)
  end
  for _, id in ipairs(r) do
    local match = true
    for _, o in ipairs(others) do
      if not redis.call('ZSCORE', o, id) then match = false break end
    end
    if match then
      ids[#ids + 1] = id
      if #ids > limit then break end
    end
  end
  if #r < chunk then break end
  cursor = r[#r]
end
local out = {}
for i, id in ipairs(ids) do
  local h = redis.call('HMGET', rk(coll, id), 'v', 'd', 'x', 't')
  out[i] = {id, h[1], h[2], h[3], h[4]}
end
return out
`)

// KEYS[1] idempotency key; ARGV: value, ttl ms.
var putIfAbsentScript = goredis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1, ARGV[1]} end
return {0, redis.call('GET', KEYS[1])}
`)

// KEYS[1] lease key; ARGV: owner, ttl ms.
var acquireScript = goredis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)

// KEYS[1] lease key; ARGV: owner.
var releaseLeaseScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`)

var allScripts = []*goredis.Script{commitScript, claimScript, ackScript, retryScript, releaseScript, deadScript, redriveScript, pendingScript, listScript, putIfAbsentScript, acquireScript, releaseLeaseScript}
