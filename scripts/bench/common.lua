-- Shared by track.lua and batch.lua (wrk scripts for scripts/bench-collector).
--
-- Every event gets a messageId unique across runs (BENCH_RUN_ID, wrk's thread, a counter),
-- so the collector stores each one instead of counting it as a duplicate. Each thread
-- counts the events it sent, its non-2xx answers and the events the collector says it
-- accepted; done() adds them up and prints one line the bench script parses:
--   bench: sent=N responses=N non2xx=N accepted=N unanswered=N
-- unanswered: events whose answers wrk dropped because the time was up (the collector may
-- well have stored them). When some answers were not 2xx, two more lines say which:
--   bench: statuses 429=N 503=N
--   bench: first failure: STATUS BODY

local common = {}

local run_id = os.getenv("BENCH_RUN_ID") or tostring(os.time())

-- A Segment-spec track event; %s are the anonymousId and the messageId.
local event_format = '{"type":"track","event":"Bench","anonymousId":"%s","messageId":"%s",'
  .. '"properties":{"plan":"pro","price":42},'
  .. '"context":{"page":{"url":"https://example.test/pricing?utm_source=bench"}}}'

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

-- Installs wrk's callbacks. events: events per request; batch: wrap them in {"batch":[...]}
-- (a single event is posted bare).
function common.install(events, batch)
  local threads = {}

  function setup(thread)
    table.insert(threads, thread)
    thread:set("thread_id", #threads)
  end

  function init(args)
    counter = 0
    sent = 0
    responses = 0
    non2xx = 0
    accepted = 0
    statuses = {}
    first_failure = nil
    -- 1000 visitors per thread, uuid-shaped.
    anon_prefix = string.format("00000000-%04x-4000-8000-", thread_id)
    id_prefix = "bench-" .. run_id .. "-" .. thread_id .. "-"
  end

  local function event()
    counter = counter + 1
    local anon = anon_prefix .. string.format("%012d", counter % 1000)
    return string.format(event_format, anon, id_prefix .. counter)
  end

  function request()
    local body
    if batch then
      local parts = {}
      for i = 1, events do
        parts[i] = event()
      end
      body = '{"batch":[' .. table.concat(parts, ",") .. "]}"
    else
      body = event()
    end
    sent = sent + events
    return wrk.format(nil, nil, nil, body)
  end

  function response(status, headers, body)
    responses = responses + 1
    if status < 200 or status > 299 then
      non2xx = non2xx + 1
      statuses[status] = (statuses[status] or 0) + 1
      first_failure = first_failure or (status .. " " .. (body or ""):sub(1, 300))
    else
      local n = body and body:match('"accepted"%s*:%s*(%d+)')
      if n then
        accepted = accepted + tonumber(n)
      end
    end
  end

  function done(summary, latency, requests)
    local total = { sent = 0, responses = 0, non2xx = 0, accepted = 0 }
    local statuses, codes, failure = {}, {}, nil
    for _, thread in ipairs(threads) do
      for name in pairs(total) do
        total[name] = total[name] + (thread:get(name) or 0)
      end
      for status, n in pairs(thread:get("statuses") or {}) do
        if not statuses[status] then
          table.insert(codes, status)
        end
        statuses[status] = (statuses[status] or 0) + n
      end
      failure = failure or thread:get("first_failure")
    end
    io.write(string.format("bench: sent=%d responses=%d non2xx=%d accepted=%d unanswered=%d\n",
      total.sent, total.responses, total.non2xx, total.accepted,
      total.sent - total.responses * events))
    if #codes > 0 then
      table.sort(codes)
      local parts = {}
      for i, status in ipairs(codes) do
        parts[i] = status .. "=" .. statuses[status]
      end
      io.write("bench: statuses " .. table.concat(parts, " ") .. "\n")
      io.write("bench: first failure: " .. (failure or "?"):gsub("\n", " ") .. "\n")
    end
  end
end

return common
