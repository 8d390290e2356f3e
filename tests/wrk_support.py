"""wrk at full load, with every failure counted: socket errors as wrk
reports them, and every response that is not 2xx (wrk's own "status"
errors are only those above 399). For the tests that must fail no request
while the server reloads or upgrades."""

import os
import re
import subprocess

import pytest

WRK = "/usr/bin/wrk"

WRK_SCRIPT = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non2xx = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non2xx") end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d connect=%d read=%d write=%d timeout=%d status=%d non2xx=%d\n",
    summary.requests, e.connect, e.read, e.write, e.timeout, e.status, bad))
end
"""
WRK_RESULT_RE = re.compile(
    r"RESULT requests=(?P<requests>\d+) connect=(?P<connect>\d+) read=(?P<read>\d+) "
    r"write=(?P<write>\d+) timeout=(?P<timeout>\d+) status=(?P<status>\d+) "
    r"non2xx=(?P<non2xx>\d+)")


def require_wrk():
    if not os.access(WRK, os.X_OK):
        pytest.skip("wrk is not installed (scripts/install-deps.sh installs it)")


class WrkRun:
    """wrk against `url` for `seconds`, started at once; result() waits for
    it and returns the counts (requests, connect, read, write, timeout,
    status, non2xx). Killed by its PID if the test ends first."""

    def __init__(self, url, seconds, script_dir, *, threads=2, connections=16):
        script = os.path.join(script_dir, "count.lua")
        with open(script, "w") as f:
            f.write(WRK_SCRIPT)
        self.proc = subprocess.Popen(
            [WRK, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
             "--timeout", "3s", "-s", script, url],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.seconds = seconds

    def result(self):
        out, err = self.proc.communicate(timeout=self.seconds + 15)
        m = WRK_RESULT_RE.search(out)
        assert m, f"no RESULT line from wrk:\n{out}\n{err}"
        return {k: int(v) for k, v in m.groupdict().items()}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def failures(counts):
    """The counts that must be zero, keeping only those that are not."""
    return {k: v for k, v in counts.items() if k != "requests" and v}
