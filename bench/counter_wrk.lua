-- wrk's script for bench/counter_wrk.py's closed loop: one connection per wrk thread, each
-- sending its own slice of pre-built requests (a fresh customer code and Idempotency-Key each),
-- stopping by itself after the first answer past a deadline, so that no request is cut off in
-- flight and no connection is left open without a request; the bench then ends wrk with
-- SIGINT (wrk's -d is only a cap).
--
--   wrk -t N -c N -d CAP -H 'Host: ...' -s counter_wrk.lua URL -- LINES OUT N STOP_AFTER_S
--
-- LINES: one request a line, "path<TAB>authorization<TAB>idempotency key<TAB>json body" (empty
-- fields are left out); line n belongs to thread n % N. OUT: where done() writes one line per
-- response, "thread start_us end_us status id" (CLOCK_MONOTONIC; id: the row made), then "exhausted K" when K
-- threads ran out of lines before the deadline.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *tp);
]])
local ts = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

-- setup and done run in the main Lua state.
local threads = {}

function setup(thread)
  thread:set("idx", #threads)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local out = assert(io.open(threads[1]:get("out_path"), "w"))
  local exhausted = 0
  for i, thread in ipairs(threads) do
    local starts, ends = thread:get("starts"), thread:get("ends")
    local statuses, ids = thread:get("statuses"), thread:get("ids")
    for k = 1, #ends do
      out:write(string.format("%d %d %d %d %s\n", i - 1, starts[k], ends[k], statuses[k], ids[k]))
    end
    if thread:get("exhausted") then
      exhausted = exhausted + 1
    end
  end
  out:write(string.format("exhausted %d\n", exhausted))
  out:write(string.format(
    "socket_errors connect %d read %d write %d timeout %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout
  ))
  out:close()
end

-- The rest runs in each thread's own Lua state.

function init(args)
  local path, nthreads = args[1], tonumber(args[3])
  out_path = args[2]
  deadline = now_us() + math.floor(tonumber(args[4]) * 1000000)
  requests = {}
  local n = 0
  for line in io.lines(path) do
    if n % nthreads == idx then
      local target, auth, key, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {}
      if auth ~= "" then headers["Authorization"] = auth end
      if key ~= "" then headers["Idempotency-Key"] = key end
      if body ~= "" then
        headers["Content-Type"] = "application/json"
      else
        body = nil
      end
      table.insert(requests, wrk.format("POST", target, headers, body))
    end
    n = n + 1
  end
  starts, ends, statuses, ids = {}, {}, {}, {}
  sent = 0
  exhausted = false
  stopping = false
end

-- A thread that stops says so in a file of its own, so that the bench can end wrk (SIGINT)
-- once every thread is done rather than wait out wrk's duration.
local function finish()
  local marker = io.open(out_path .. ".done." .. idx, "w")
  if marker then marker:close() end
  wrk.thread:stop()
end

function request()
  if stopping or requests[sent + 1] == nil then
    -- Done (past the deadline, or out of lines: a code is never sent twice). wrk has already
    -- opened this connection, and a gunicorn sync worker that accepts it would sit waiting for
    -- a request until wrk exits: give it a cheap one (not recorded), then stop the thread.
    if not stopping then exhausted = true end
    finish()
    return wrk.format("GET", "/healthz")
  end
  sent = sent + 1
  starts[sent] = now_us()
  return requests[sent]
end

function response(status, headers, body)
  local k = #ends + 1
  ends[k] = now_us()
  statuses[k] = status
  -- The row the answer names (stored answers are jsonb, whose keys come shortest first, so
  -- the shop's "id" may come before "payment_id").
  ids[k] = body:match('"payment_id":%s*(%d+)') or body:match('"redemption_id":%s*(%d+)')
    or body:match('"id":%s*(%d+)') or "-1"
  if ends[k] >= deadline then
    stopping = true -- the next request() stops the thread
  end
end
