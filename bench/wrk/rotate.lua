-- wrk script: rotate over a list of requests, each with its own shopper's access token, and
-- count the answers by their X-Cache header.
--
-- AARYA_BENCH_REQUESTS names a file (made by the bench, mode 0600, removed after the run) with
-- one request a line: `<path> [<access token>]`. Each wrk thread starts at its own offset so
-- the connections do not walk the list in step.
local file = os.getenv("AARYA_BENCH_REQUESTS")
if not file or file == "" then
  error("set AARYA_BENCH_REQUESTS to a file of '<path> [token]' lines")
end

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("offset", thread_count)
  table.insert(threads, thread)
end

function init(args)
  requests, hits, misses = {}, 0, 0
  for entry in io.lines(file) do
    local path, token = entry:match("^(%S+)%s*(%S*)$")
    if path then
      local headers = {}
      if token ~= "" then headers["Authorization"] = "Bearer " .. token end
      requests[#requests + 1] = wrk.format("GET", path, headers)
    end
  end
  if #requests == 0 then error("no requests in " .. file) end
  counter = (offset or 1) * 7919 % #requests
end

function request()
  counter = counter % #requests + 1
  return requests[counter]
end

function response(status, headers, body)
  if headers["X-Cache"] == "hit" then hits = hits + 1 else misses = misses + 1 end
end

function done(summary, latency, requests)
  local h, m = 0, 0
  for _, thread in ipairs(threads) do
    h = h + thread:get("hits")
    m = m + thread:get("misses")
  end
  io.write(string.format("x-cache hits %d misses %d\n", h, m))
end
