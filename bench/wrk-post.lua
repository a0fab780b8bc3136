-- wrk script for bench/fsync-per-request.sh: POSTs the JSON string "x" and stops each thread after
-- WRK_REQUESTS_PER_THREAD responses (wrk itself only knows durations).
wrk.method = "POST"
wrk.body = '"x"'
wrk.headers["Content-Type"] = "application/json"
local limit = tonumber(os.getenv("WRK_REQUESTS_PER_THREAD") or "0")
local seen = 0
function response(status, headers, body)
  seen = seen + 1
  if limit > 0 and seen >= limit then
    wrk.thread:stop()
  end
end
