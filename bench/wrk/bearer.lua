-- wrk script: send every request with the access token of a signed-in shopper.
-- The token comes from the environment so it never lands in a file or a process list.
local token = os.getenv("AARYA_BENCH_TOKEN")
if not token or token == "" then
  error("set AARYA_BENCH_TOKEN to an access token")
end
wrk.headers["Authorization"] = "Bearer " .. token
