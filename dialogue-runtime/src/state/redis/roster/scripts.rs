//! The roster's scripts: each change is one atomic step that returns the
//! change as JSON ([`RosterChange`](crate::state::people::RosterChange))
//! and publishes it to the other nodes, or returns nil when nothing
//! changed that anyone is told of.
//!
//! Info is kept and passed as raw JSON text, never decoded in Lua (whose
//! JSON library would turn an empty array into an object).
//!
//! Every script's last three ARGV are the control channel, this node and
//! the room id. Every script that tells a change has the roster's version
//! counter as its last key: each change told carries the next version
//! (`"v"`), so a node applies changes newer than its view only, whichever
//! way (its own script's answer, the channel, a reload) they reach it.

use std::sync::LazyLock;

use redis::Script;

/// Lua shared by the scripts: publishing a change, and host succession.
const COMMON: &str = r#"
local function tell(change)
  local n = #ARGV
  local version = redis.call('INCR', KEYS[#KEYS])
  change = '{"v":' .. version .. ',' .. string.sub(change, 2)
  redis.call('PUBLISH', ARGV[n - 2], 'roster\n' .. ARGV[n - 1] .. '\n' .. ARGV[n] .. '\n' .. change)
  return change
end
local function text(value)
  if value and value ~= '' then return cjson.encode(value) end
  return 'null'
end
local function raw(value)
  if value and value ~= '' then return value end
  return 'null'
end
-- After `user` left: when it was the host, whoever is present longest.
local function succeed(people, host, user)
  if redis.call('GET', host) ~= user then return nil end
  local all = redis.call('HGETALL', people)
  local best, at = nil, nil
  for i = 1, #all, 2 do
    local arrived = tonumber(all[i + 1])
    if not at or arrived < at then best, at = all[i], arrived end
  end
  if best then redis.call('SET', host, best) end
  return best
end
local function connections_of(list)
  local out = {}
  for c in string.gmatch(list or '', '%S+') do table.insert(out, c) end
  return out
end
"#;

fn script(body: &str) -> Script {
    Script::new(&format!("{COMMON}{body}"))
}

/// A connection arrives. KEYS: people, connections, info, arrivals,
/// version. ARGV:
/// user, connection, info (JSON or `""`).
pub(crate) static ARRIVE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r#"
local held = redis.call('HGET', KEYS[2], ARGV[1])
if held then
  for _, c in ipairs(connections_of(held)) do
    if c == ARGV[2] then return nil end
  end
  redis.call('HSET', KEYS[2], ARGV[1], held .. ' ' .. ARGV[2])
  return nil
end
local arrived = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[1], ARGV[1], arrived)
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[3], ARGV[1], ARGV[3]) end
return tell('{"k":"arrived","u":' .. text(ARGV[1]) .. ',"i":' .. raw(ARGV[3]) .. ',"a":' .. arrived .. '}')
"#,
    )
});

/// A connection departs; its user with its last. KEYS: people,
/// connections, info, host, version. ARGV: user, connection.
pub(crate) static DEPART: LazyLock<Script> = LazyLock::new(|| {
    script(
        r#"
local held = redis.call('HGET', KEYS[2], ARGV[1])
if not held then return nil end
local rest = {}
for _, c in ipairs(connections_of(held)) do
  if c ~= ARGV[2] then table.insert(rest, c) end
end
if #rest > 0 then
  redis.call('HSET', KEYS[2], ARGV[1], table.concat(rest, ' '))
  return nil
end
local info = redis.call('HGET', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
local host = succeed(KEYS[1], KEYS[4], ARGV[1])
return tell('{"k":"left","u":' .. text(ARGV[1]) .. ',"i":' .. raw(info) .. ',"h":' .. text(host) .. '}')
"#,
    )
});

/// A user's connection moves to a resumed one: no arrival, no departure.
/// KEYS: connections. ARGV: user, from, to.
pub(crate) static TRANSFER: LazyLock<Script> = LazyLock::new(|| {
    script(
        r#"
local held = redis.call('HGET', KEYS[1], ARGV[1])
if not held then return nil end
local out = {}
for _, c in ipairs(connections_of(held)) do
  if c == ARGV[2] then table.insert(out, ARGV[3]) else table.insert(out, c) end
end
redis.call('HSET', KEYS[1], ARGV[1], table.concat(out, ' '))
return nil
"#,
    )
});

/// Removes a user and every connection it holds (a kick). KEYS: people,
/// connections, info, host, version. ARGV: user, reason (`""`: none).
pub(crate) static REMOVE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r#"
local held = redis.call('HGET', KEYS[2], ARGV[1])
if not held then return nil end
local info = redis.call('HGET', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
local host = succeed(KEYS[1], KEYS[4], ARGV[1])
local quoted = {}
for _, c in ipairs(connections_of(held)) do table.insert(quoted, cjson.encode(c)) end
return tell('{"k":"kicked","u":' .. text(ARGV[1]) .. ',"i":' .. raw(info) .. ',"c":[' ..
  table.concat(quoted, ',') .. '],"r":' .. text(ARGV[2]) .. ',"h":' .. text(host) .. '}')
"#,
    )
});

/// Replaces a present user's info, when it differs. KEYS: people, info,
/// version. ARGV: user, info (JSON).
pub(crate) static SET_INFO: LazyLock<Script> = LazyLock::new(|| {
    script(
        r#"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return nil end
if redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[2] then return nil end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return tell('{"k":"updated","u":' .. text(ARGV[1]) .. ',"i":' .. ARGV[2] .. '}')
"#,
    )
});

/// Names the host, when it is another. KEYS: host, version. ARGV: user
/// (`""`: none).
pub(crate) static SET_HOST: LazyLock<Script> = LazyLock::new(|| {
    script(
        r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then return nil end
redis.call('SET', KEYS[1], ARGV[1])
return tell('{"k":"host","u":' .. text(ARGV[1]) .. '}')
"#,
    )
});

/// Bans a user. KEYS: banned, version. ARGV: user.
pub(crate) static BAN: LazyLock<Script> = LazyLock::new(|| {
    script(
        r#"
redis.call('SADD', KEYS[1], ARGV[1])
return tell('{"k":"banned","u":' .. text(ARGV[1]) .. '}')
"#,
    )
});
