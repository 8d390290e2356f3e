-- wrk script for bench/run.sh's `body` scenario: every request POSTs a 1 MiB body
-- (1,048,576 bytes, with Content-Length) to the URL's path.
wrk.method = "POST"
wrk.body = string.rep("x", 1048576)
wrk.headers["Content-Type"] = "application/octet-stream"
