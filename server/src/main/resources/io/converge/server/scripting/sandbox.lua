-- Redis 7.0's script environment, built once per Lua state by LuaRuntime. The chunk receives the
-- Java callbacks and libraries as arguments (they never become globals) and returns the function
-- that runs one script.
local jredis, jtick, version, versionNum, bit, cjson, cmsgpack, struct = ...

local G = _G
local rawget, rawset, setmetatable, type, tostring, error, xpcall, setfenv, select, pairs, ipairs =
      rawget, rawset, setmetatable, type, tostring, error, xpcall, setfenv, select, pairs, ipairs
local getinfo, sethook = debug.getinfo, debug.sethook
local loadstring0, load0 = loadstring, load

-- Only what Redis 7.0 scripts see stays global (no io, os, debug, package, print, getfenv...).
local keep = {
  assert = true, collectgarbage = true, coroutine = true, error = true, gcinfo = true,
  getmetatable = true, ipairs = true, load = true, loadstring = true, math = true, next = true,
  pairs = true, pcall = true, rawequal = true, rawget = true, rawset = true, select = true,
  setmetatable = true, string = true, table = true, tonumber = true, tostring = true, type = true,
  unpack = true, xpcall = true, _VERSION = true, _G = true,
}
for k in pairs(G) do
  if not keep[k] then G[k] = nil end
end

-- The redis library. Its functions are Java (C) functions, not Lua ones: a script's
-- "return redis.call(...)" is then no tail call that would drop the script's frame, so errors
-- still point at the script's line, as in Redis.
local redis = {}
redis.REDIS_VERSION = version
redis.REDIS_VERSION_NUM = versionNum
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
local raised = jredis.__raised
jredis.__raised = nil
for name, f in pairs(jredis) do
  redis[name] = f
end
function redis.replicate_commands() return true end
function redis.breakpoint() return false end
function redis.debug() end

G.redis, G.bit, G.cjson, G.cmsgpack, G.struct = redis, bit, cjson, cmsgpack, struct

-- Errors raised from a metamethod: level 2 is the script line that touched the table; called
-- from a function that is itself the metamethod, pass 3.
local function readonly(level)
  error('Attempt to modify a readonly table', type(level) == 'number' and level or 2)
end

local function nonexistent(k, level)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", level)
end

-- Library tables refuse new fields; the global table refuses new globals and reading unknown ones.
local libmeta = {__newindex = readonly, __metatable = false}
for _, name in ipairs({'string', 'table', 'math', 'coroutine', 'redis', 'bit', 'cjson', 'cmsgpack', 'struct'}) do
  setmetatable(G[name], libmeta)
end

-- A global's value for a script's environment (level: the script's frame, seen from here).
local function global(k, level)
  local v = rawget(G, k)
  if v == nil then nonexistent(k, level + 1) end
  return v
end

-- A script runs with an empty environment of its own (so it can neither add nor replace globals)
-- whose reads fall through to the protected global table.
local current
local envmeta = {
  __index = function(_, k)
    local v = global(k, 3)
    return v
  end,
  __newindex = readonly,
  __metatable = false,
}

-- Chunks a script compiles run in the script's environment too.
G.loadstring = function(s, name)
  local f, e = loadstring0(s, name)
  if f and current then setfenv(f, current) end
  return f, e
end
G.load = function(fn, name)
  local f, e = load0(fn, name)
  if f and current then setfenv(f, current) end
  return f, e
end

-- The JNI binding keeps the last Java exception in this global: it must stay readable and writable.
local JTHROWABLE = '__jthrowable__'
setmetatable(G, {
  __index = function(t, k)
    if k ~= JTHROWABLE then nonexistent(k, 3) end
  end,
  __newindex = function(t, k, v)
    if k ~= JTHROWABLE then readonly(3) end
    rawset(t, k, v)
  end,
  __metatable = false,
})

-- Redis's error handler: any error becomes a table {err = 'CODE message'}, with the user code's
-- source and line where it was raised (the innermost frame of the script, not of this file).
local function errhandler(err)
  local source, line
  for level = 2, 64 do
    local i = getinfo(level, 'Sl')
    if not i then break end
    local s = i.source
    if s == '@user_script' or s == '@user_function' then
      source, line = s, i.currentline
      break
    end
  end
  local e
  if type(err) == 'table' then
    e = rawget(err, 'err')
  elseif type(err) == 'string' and err == raised() then
    e = err -- raised by redis.call and the like: already 'CODE message'
  end
  if type(e) ~= 'string' then
    e = 'ERR ' .. tostring(err)
  end
  return {err = e, source = source, line = line}
end
rawset(G, '__redis__err__handler', errhandler) -- a global in Redis too

-- Every 100,000 instructions: is the script killed, over its memory, or just busy? Never raised
-- in protected()'s own frame (just before or after its xpcall) nor in the error handler: only
-- inside the script.
local hook, protected
hook = function()
  local where = getinfo(2, 'f')
  if where and (where.func == protected or where.func == errhandler) then return end
  local stop = jtick()
  if stop then
    sethook(hook, 'l') -- from now on at every line, so a pcall in the script cannot swallow it for long
    error(stop)
  end
end

-- Calls f under the count hook and the error handler; returns ok, first result (or the error table).
protected = function(f)
  sethook(hook, '', 100000)
  local ok, res = xpcall(f, errhandler)
  sethook()
  return ok, res
end

-- Runs compiled script f with KEYS and ARGV (globals, as in Redis); returns what protected() does.
local function runner(f, keys, argv)
  rawset(G, 'KEYS', keys)
  rawset(G, 'ARGV', argv)
  local env = setmetatable({}, envmeta)
  current = env
  setfenv(f, env)
  local ok, res = protected(f)
  current = nil
  return ok, res
end
-- Functions (FUNCTION LOAD, FCALL). A library's code runs once per Lua state, in an environment
-- of its own whose "redis" is the loading API (register_function, log, setresp and the constants)
-- while it loads and the full library afterwards, when its functions are called.
local function validName(name)
  return type(name) == 'string' and name ~= '' and not name:find('[^%w_]')
end

local knownFlags = {['no-writes'] = true, ['allow-oom'] = true, ['allow-stale'] = true,
  ['no-cluster'] = true, ['allow-cross-slot-keys'] = true}

-- Loads library chunk f; returns ok, then the error table or a list of
-- {name = ..., callback = ..., flags = {...}, description = ...}.
local function loadLibrary(f)
  local functions, byName = {}, {}
  local loading = true
  local api = {}
  for _, k in ipairs({'log', 'setresp', 'error_reply', 'status_reply', 'sha1hex', 'REDIS_VERSION',
      'REDIS_VERSION_NUM', 'LOG_DEBUG', 'LOG_VERBOSE', 'LOG_NOTICE', 'LOG_WARNING'}) do
    api[k] = redis[k]
  end
  local function fail(msg) error({err = 'ERR ' .. msg}) end
  api.register_function = function(...)
    local n = select('#', ...)
    local name, callback, flags, description
    if n == 1 then
      local t = ...
      if type(t) ~= 'table' then
        fail('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).')
      end
      for k, v in pairs(t) do
        if k == 'function_name' then
          if type(v) ~= 'string' then fail('function_name argument given to redis.register_function must be a string') end
          name = v
        elseif k == 'callback' then
          if type(v) ~= 'function' then fail('callback argument given to redis.register_function must be a function') end
          callback = v
        elseif k == 'flags' then
          if type(v) ~= 'table' then fail('flags argument to redis.register_function must be a table representing function flags') end
          flags = v
        elseif k == 'description' then
          if type(v) ~= 'string' then fail('description argument given to redis.register_function must be a string') end
          description = v
        else
          fail('unknown argument given to redis.register_function')
        end
      end
      if not name then fail('redis.register_function must get a function name argument') end
      if not callback then fail('redis.register_function must get a callback argument') end
    elseif n == 2 then
      name, callback = ...
      if type(name) ~= 'string' then fail('first argument to redis.register_function must be a string') end
      if type(callback) ~= 'function' then fail('second argument to redis.register_function must be a function') end
    else
      fail('wrong number of arguments to redis.register_function')
    end
    if not validName(name) then
      -- (Redis 7.0 says "Library" here too)
      fail('Library names can only contain letters, numbers, or underscores(_) and must be at least one character long')
    end
    if byName[name] then fail('Function already exists in the library') end
    local flagList = {}
    for _, flag in ipairs(flags or {}) do
      if not knownFlags[flag] then fail('unknown flag given') end
      flagList[#flagList + 1] = flag
    end
    byName[name] = true
    functions[#functions + 1] = {name = name, callback = callback, flags = flagList, description = description}
  end
  setmetatable(api, {__newindex = readonly, __index = function(_, k) nonexistent(k, 3) end, __metatable = false})
  local env = setmetatable({}, {
    __index = function(_, k)
      if k == 'redis' then return loading and api or redis end
      local v = global(k, 3)
      return v
    end,
    __newindex = readonly,
    __metatable = false,
  })
  setfenv(f, env)
  local ok, res = protected(f)
  loading = false
  if not ok then return false, res end
  return true, functions
end

-- Calls a function's callback with the keys and arguments tables; returns ok, first result.
local function callFunction(callback, keys, args)
  return protected(function() return callback(keys, args) end)
end

return runner, loadLibrary, callFunction
