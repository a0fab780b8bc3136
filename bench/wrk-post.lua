-- wrk script for bench/fsync-per-request.sh: POSTs the JSON string "x" and stops each thread after
-- WRK_REQUESTS_PER_THREAD responses, appending a line to WRK_DONE_FILE when it does. wrk itself only
-- knows durations (its main thread sleeps for -d even when every thread stopped), so the script
-- watches that file and ends wrk with SIGINT, on which wrk prints its figures.
wrk.method = "POST"
wrk.body = '"x"'
wrk.headers["Content-Type"] = "application/json"
local limit = tonumber(os.getenv("WRK_REQUESTS_PER_THREAD") or "0")
local seen = 0
function response(status, headers, body)
  seen = seen + 1
  if limit > 0 and seen == limit then
    local done = os.getenv("WRK_DONE_FILE")
    if done then
      local f = io.open(done, "a")
      f:write("done\n")
      f:close()
    end
    wrk.thread:stop()
  end
end
