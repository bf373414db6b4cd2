-- wrk script: GET <prefix><random key> with an optional Bearer token.
-- wrk ... -s gateway.lua <url> -- <path prefix> <token or "-"> <keys file>
local keys = {}
local prefix, token

function init(args)
  prefix, token = args[1], args[2]
  for line in io.lines(args[3]) do keys[#keys + 1] = line end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
  local headers = {}
  if token ~= "-" then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("GET", prefix .. keys[math.random(#keys)], headers)
end
