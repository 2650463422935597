//! The scripts that make each change atomic in Redis: a script runs alone,
//! so what it reads and writes is one step for every node.

use std::sync::LazyLock;

use redis::Script;

/// Appends one event: draws the room's epoch if it has none (a new room, or
/// Redis lost its data), returns the original seq for a trigger id seen
/// before, else gives the event the next seq, adds it to the log (bounded)
/// and its name's history, remembers its trigger id, and publishes it to
/// every node. All in one step: no node ever sees a seq that has no event,
/// nor an event published out of seq order.
///
/// KEYS: epoch, seq, log, history (or `""`), trigger (or `""`).
/// ARGV: a new epoch, the envelope's head, the log's length, how many the
/// history keeps (0: none), the trigger id's lifetime in ms (0: none), the
/// channel, the room id.
/// Returns `{epoch, seq, repeated (0 or 1), evicted}`: `evicted` is the
/// history's oldest event pushed out by this one (for `on_cleanup`), or nil.
/// One event leaves per append, oldest first, as in memory; after the
/// history's size was lowered the list shrinks by one per append.
pub(crate) static APPEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch)
  redis.call('DEL', KEYS[2], KEYS[3])
end
if ARGV[5] ~= '0' then
  local prior = redis.call('GET', KEYS[5])
  if prior then
    return {epoch, tonumber(prior), 1, false}
  end
end
local seq = redis.call('INCR', KEYS[2])
local json = ARGV[2] .. ',"seq":' .. seq .. '}'
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], seq .. '-1', 'e', json)
local evicted = false
if ARGV[4] ~= '0' then
  redis.call('LPUSH', KEYS[4], json)
  if redis.call('LLEN', KEYS[4]) > tonumber(ARGV[4]) then
    evicted = redis.call('RPOP', KEYS[4])
  end
end
if ARGV[5] ~= '0' then
  redis.call('SET', KEYS[5], seq, 'PX', ARGV[5])
end
redis.call('PUBLISH', ARGV[6], epoch .. '\n' .. seq .. '\n' .. json .. '\n' .. ARGV[7])
return {epoch, seq, 0, evicted}
"#,
    )
});

/// The room's position, drawing its epoch if it has none.
///
/// KEYS: epoch, seq, log. ARGV: a new epoch. Returns `{epoch, seq}`.
pub(crate) static POSITION: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch)
  redis.call('DEL', KEYS[2], KEYS[3])
end
return {epoch, tonumber(redis.call('GET', KEYS[2]) or '0')}
"#,
    )
});

/// Takes a seat unless the room is closed (-1) or full (-2); a member taking
/// its seat again succeeds. KEYS: seats, closed. ARGV: member, capacity (0:
/// none). Returns the members after it.
pub(crate) static TAKE_SEAT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then
  return redis.call('SCARD', KEYS[1])
end
local count = redis.call('SCARD', KEYS[1])
if ARGV[2] ~= '0' and count >= tonumber(ARGV[2]) then return -2 end
redis.call('SADD', KEYS[1], ARGV[1])
return count + 1
"#,
    )
});

/// Moves a seat from one connection to another without freeing it.
/// KEYS: seats. ARGV: from, to. Returns 1 when `from` held one.
pub(crate) static TRANSFER_SEAT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
if redis.call('SREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('SADD', KEYS[1], ARGV[2])
  return 1
end
return 0
"#,
    )
});

/// Closes the room if nobody holds a seat. KEYS: seats, closed. ARGV: how
/// long (ms) the closed mark lasts: long enough for joins in flight on
/// other nodes to be refused, short enough for a new room of the same id.
/// Returns 1 when it closed it.
pub(crate) static CLOSE_IF_EMPTY: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
if redis.call('SCARD', KEYS[1]) > 0 then return 0 end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
return 1
"#,
    )
});

/// Closes the room and hands back who held a seat. KEYS: seats, closed.
/// ARGV: how long (ms) the closed mark lasts.
pub(crate) static CLOSE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
local members = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
return members
"#,
    )
});

/// Opens a session. KEYS: session, token, the node's sessions. ARGV: id,
/// user, connection, node, token.
pub(crate) static OPEN_SESSION: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'user', ARGV[2], 'conn', ARGV[3], 'node', ARGV[4],
  'latest', ARGV[5], 'previous', '', 'rooms', '[]', 'version', '0')
redis.call('SET', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
return 1
"#,
    )
});

/// Gives a session to a new connection, if it is still where it was found
/// (its connection `expected`) and `presented` is one of its two tokens:
/// the presented and the new token stay good, any other goes. When it was
/// on another node, moves it to this node's set and tells that node
/// (`taken` on the control channel), which lets its connection go.
///
/// KEYS: session, new token, this node's sessions. ARGV: id, expected
/// connection, new connection, this node, presented token, new token,
/// prefix, control channel. Returns 1 when taken over, 0 when the session
/// moved on (another connection, another token), -1 when Redis has no
/// record of it (it could not be written, or Redis lost it).
pub(crate) static TAKE_SESSION: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local rec = redis.call('HMGET', KEYS[1], 'conn', 'node', 'latest', 'previous')
if not rec[1] then return -1 end
-- Another connection has it, on another node. (On this node, this node's
-- memory is the session's authority: a record it failed to rewrite is
-- stale, not moved.)
if rec[1] ~= ARGV[2] and rec[2] ~= ARGV[4] then return 0 end
if rec[3] ~= ARGV[5] and rec[4] ~= ARGV[5] then return 0 end
for _, token in ipairs({rec[3], rec[4]}) do
  if token and token ~= '' and token ~= ARGV[5] then
    redis.call('DEL', ARGV[7] .. ':token:' .. token)
  end
end
redis.call('SET', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'conn', ARGV[3], 'node', ARGV[4], 'latest', ARGV[6],
  'previous', ARGV[5], 'version', '0')
if rec[2] ~= ARGV[4] then
  redis.call('SREM', ARGV[7] .. ':node:' .. rec[2] .. ':sessions', ARGV[1])
  redis.call('SADD', KEYS[3], ARGV[1])
  redis.call('PUBLISH', ARGV[8], 'taken\n' .. rec[2] .. '\n' .. ARGV[1])
end
return 1
"#,
    )
});

/// Records a session's rooms, if the session is still the connection's
/// and nothing later was recorded. KEYS: session. ARGV: connection,
/// version, rooms (JSON). Returns 1 when written.
pub(crate) static SAVE_SESSION: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local rec = redis.call('HMGET', KEYS[1], 'conn', 'version')
if not rec[1] or rec[1] ~= ARGV[1] then return 0 end
if tonumber(rec[2] or '0') >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'rooms', ARGV[3])
return 1
"#,
    )
});

/// Ends a session, if it is still the connection's (not taken over by
/// another node meanwhile). KEYS: session, the node's sessions. ARGV:
/// connection, prefix, id. Returns 1 when ended, 0 when another connection
/// has it, -1 when Redis has no record of it.
pub(crate) static END_SESSION: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local rec = redis.call('HMGET', KEYS[1], 'conn', 'latest', 'previous')
if not rec[1] then return -1 end
if rec[1] ~= ARGV[1] then return 0 end
for _, token in ipairs({rec[2], rec[3]}) do
  if token and token ~= '' then redis.call('DEL', ARGV[2] .. ':token:' .. token) end
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[3])
return 1
"#,
    )
});

/// A node's heartbeat, in Redis's clock (one clock for every node).
/// KEYS: nodes. ARGV: node.
pub(crate) static HEARTBEAT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local now = redis.call('TIME')
redis.call('HSET', KEYS[1], ARGV[1], string.format('%d', now[1] * 1000 + math.floor(now[2] / 1000)))
return 1
"#,
    )
});

/// Ends the sessions of every node silent for longer than `after` ms (dead,
/// and its grace period over): their seats go. KEYS: nodes. ARGV: after,
/// prefix. Returns `{room, connection, user}` for each seat given back.
pub(crate) static REAP: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local now = redis.call('TIME')
local ms = now[1] * 1000 + math.floor(now[2] / 1000)
local beats = redis.call('HGETALL', KEYS[1])
local freed = {}
for i = 1, #beats, 2 do
  local node, beat = beats[i], tonumber(beats[i + 1])
  if ms - beat > tonumber(ARGV[1]) then
    local set = ARGV[2] .. ':node:' .. node .. ':sessions'
    for _, id in ipairs(redis.call('SMEMBERS', set)) do
      local key = ARGV[2] .. ':session:' .. id
      local rec = redis.call('HMGET', key, 'conn', 'user', 'rooms', 'latest', 'previous')
      if rec[1] then
        local ok, rooms = pcall(cjson.decode, rec[3] or '[]')
        if ok then
          for _, room in ipairs(rooms) do
            local name = room[1]
            if redis.call('SREM', ARGV[2] .. ':{' .. name .. '}:seats', rec[1]) == 1 then
              table.insert(freed, {name, rec[1], rec[2]})
            end
          end
        end
        for _, token in ipairs({rec[4], rec[5]}) do
          if token and token ~= '' then redis.call('DEL', ARGV[2] .. ':token:' .. token) end
        end
        redis.call('DEL', key)
      end
    end
    redis.call('DEL', set)
    redis.call('HDEL', KEYS[1], node)
  end
end
return freed
"#,
    )
});

/// Registers a room created at run time, unless its id is taken, and tells
/// the other nodes; a deleted room's closed mark of that id goes (this is
/// another room). KEYS: rooms, the room's closed mark. ARGV:
/// id, options (JSON), control channel, this node. Returns 1 when
/// registered.
pub(crate) static CREATE_ROOM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[3], 'created\n' .. ARGV[4] .. '\n' .. ARGV[2])
return 1
"#,
    )
});

/// Removes a room created at run time and tells the other nodes. KEYS:
/// rooms. ARGV: id, control channel, this node. Returns 1 when removed.
pub(crate) static DELETE_ROOM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('PUBLISH', ARGV[2], 'deleted\n' .. ARGV[3] .. '\n' .. ARGV[1])
return 1
"#,
    )
});
