-- wrk script: each thread is one connection of one voter, casting first votes on the
-- open applications in turn (BENCH_PLAN: one line per voter: token app_id app_id ...),
-- or, with BENCH_MODE=bare, inserting unique rows through the bare endpoint.
local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("index", next_id)
end

function init(args)
  local n = 0
  apps = {}
  for line in io.lines(os.getenv("BENCH_PLAN")) do
    n = n + 1
    if n == index then
      for word in line:gmatch("%S+") do table.insert(apps, word) end
    end
  end
  token = table.remove(apps, 1)
  bare = os.getenv("BENCH_MODE") == "bare"
  sent = 0
end

function request()
  sent = sent + 1
  local headers = {["Authorization"] = "Token " .. token, ["Content-Type"] = "application/json"}
  if bare then
    return wrk.format("POST", "/bare/", headers, '{"key": "' .. index .. "-" .. sent .. "-" .. os.time() .. '"}')
  end
  local app = apps[math.min(sent, #apps)]
  local choice = (sent % 3 == 0) and "no" or "yes"
  return wrk.format("POST", "/api/v1/applications/" .. app .. "/vote/", headers, '{"choice": "' .. choice .. '"}')
end
