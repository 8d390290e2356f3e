-- wrk script for bench/run.sh's `pipe` scenario: every write carries 16 pipelined
-- GET requests for the URL's path; wrk counts each response as one request.
init = function(args)
  local r = {}
  for i = 1, 16 do r[i] = wrk.format() end
  req = table.concat(r)
end

request = function()
  return req
end
