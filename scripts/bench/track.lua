-- wrk script: one Segment-spec track event per request (POST /v1/track), each with a
-- unique messageId; counts non-2xx answers and accepted events (see common.lua).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua").install(1, false)
