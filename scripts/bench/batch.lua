-- wrk script: {"batch":[50 track events]} per request (POST /v1/batch), each event with a
-- unique messageId; counts non-2xx answers and accepted events (see common.lua).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua").install(50, true)
