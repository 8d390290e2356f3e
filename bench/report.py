"""The Markdown report of a bench/run.sh output directory (results.tsv, meta.tsv,
notes.txt and the wrk outputs), on stdout: one table per scenario, cells as medians over
the rounds. bench/README.md describes the columns.

    python3 bench/report.py OUTDIR CLK_TCK
"""
import collections, os, re, statistics, sys

out, clk_tck = sys.argv[1], int(sys.argv[2])

UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4, "h": 3.6e6}
BYTES = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}
BODY_MIB = 1.0  # body.lua sends 1 MiB per request

def parse_wrk(path):
    try:
        text = open(path, errors="replace").read()
    except OSError:
        return None
    r = {}
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", text)
    if m:
        r["requests"] = int(m[1])
        r["seconds"] = float(m[2]) * UNIT[m[3]] / 1e3
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m:
        r["rps"] = float(m[1])
    m = re.search(r"Transfer/sec:\s+([\d.]+)(B|KB|MB|GB|TB)", text)
    if m:
        r["read_mib_s"] = float(m[1]) * BYTES[m[2]] / (1 << 20)
    # A percentile wrk prints as 0 is one it has no sample for (bench/README.md, "Latency"):
    # it is left out, and the row gets a footnote.
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
        if m and float(m[1]) > 0:
            r["p" + pct] = float(m[1]) * UNIT[m[2]]
    r["no_samples"] = bool(re.search(r"Latency\s+0\.00us\s+0\.00us\s+0\.00us", text))
    r["pct_zero"] = not r["no_samples"] and ("p50" not in r or "p99" not in r)
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    r["errors"] = dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups()))) if m else {}
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    r["non2xx"] = int(m[1]) if m else 0
    return r if "requests" in r else None

meta = dict(l.rstrip("\n").split("\t", 1) for l in open(os.path.join(out, "meta.tsv")) if "\t" in l)
duration, rounds, host = int(meta["duration"]), int(meta["rounds"]), meta["host"]
scenarios, servers = meta["scenarios"].split(), meta["servers"].split()
notes = [l.rstrip("\n").split("\t") for l in open(os.path.join(out, "notes.txt")) if l.strip()]

runs = collections.defaultdict(list)      # (server, scenario) -> [run dict]
failures = collections.defaultdict(list)  # scenario -> [text]
for line in open(os.path.join(out, "results.tsv")):
    f = line.rstrip("\n").split("\t")
    if len(f) < 9:
        continue
    name, sc, rnd, status, wout, ticks, tree, wrss, mrss = f[:9]
    w = parse_wrk(wout) if wout else None
    if status != "ok":
        failures[sc].append(f"{name}, round {rnd}: {status}" + ("" if w else " (no result)"))
    if not w:
        continue
    w["round"] = int(rnd)
    if ticks:
        cpu_s = int(ticks) / clk_tck
        w["cpu_pct"] = 100.0 * cpu_s / w["seconds"] if w["seconds"] else None
        w["cpu_us"] = 1e6 * cpu_s / w["requests"] if w["requests"] else None
    w["worker_rss"] = int(wrss) if wrss.isdigit() else None
    w["master_rss"] = int(mrss) if mrss.isdigit() else None
    runs[(name, sc)].append(w)

def med(rs, key):
    v = [r[key] for r in rs if r.get(key) is not None]
    return statistics.median(v) if v else None

def num(x, digits=0):
    if x is None:
        return "—"
    return f"{x:,.{digits}f}"

def ms(x):
    if x is None:
        return "—"
    return f"{x:,.2f}" if x < 100 else f"{x:,.0f}"

def times(x):
    return f"{x:.2f}×" if x >= 0.1 else f"{x:.2g}×"

def mib(kib):
    return "—" if kib is None else f"{kib / 1024:.1f}"

def errors_text(rs):
    parts = []
    for k in ("connect", "read", "write", "timeout"):
        v = med([{"v": r["errors"].get(k, 0)} for r in rs], "v")
        if v:
            parts.append(f"{v:,.0f} {k}")
    return ", ".join(parts) or "0"

TITLE = {
    "ka": ("hello world, keep-alive, 50 connections", "/", 50, ""),
    "close": ("hello world, `Connection: close`, 50 connections", "/", 50, " -H 'Connection: close'"),
    "pipe": ("hello world, 16 pipelined requests per write, 50 connections (p50/p99: a whole batch of 16)",
             "/", 50, " -s bench/pipeline.lua"),
    "body": ("POST of a 1 MiB body that the app reads whole, 10 connections (MiB/s: request bodies received)",
             "/body", 10, " -s bench/body.lua"),
    "file": ("16 MiB `wsgi.file_wrapper` response, 10 connections (nginx: the same file, sendfile on)",
             "/file", 10, ""),
    "sleep": ("the app sleeps 10 ms, 4 threads, 50 connections (ideal: 400 req/s)", "/sleep", 50, ""),
    "big": ("1 MiB response body from memory, 10 connections", "/big", 10, ""),
    "tls-ka": ("hello world over TLS, keep-alive, 50 connections", "/", 50, ""),
    "tls-file": ("16 MiB `wsgi.file_wrapper` response over TLS, 10 connections "
                 "(nginx: the same file, sendfile on)", "/file", 10, ""),
}
MIB_SCENARIOS = {"body", "file", "big", "tls-file"}
COUNTERPART = {"gunicorn-sync": "qilin-sync", "gunicorn-gthread4": "qilin-gthread4",
               "waitress": "qilin-gthread4", "uwsgi": "qilin-sync", "bjoern": "qilin-gthread1"}

def label(name, sc):
    if name == "nginx":
        return "nginx (no Python)" if sc not in ("file", "big", "tls-file") else "nginx (static file)"
    if name == "uwsgi" and sc == "sleep":
        return "uwsgi (4 threads)"
    return name

print(f"## qilin and its peers, {meta.get('date', '')}\n")
print(f"{meta.get('machine', '')}. One worker per server pinned to CPU 1 with taskset, one wrk thread "
      f"pinned to CPU 0, loopback. Median of {rounds} round(s) of {duration} s per cell "
      f"(req/s: every round in brackets).\n")
print("Versions: " + ", ".join(f"{k} {meta[k]}" for k in
      ("qilin", "gunicorn", "uwsgi", "waitress", "bjoern", "nginx", "wrk", "python") if meta.get(k)) + ".\n")

for sc in scenarios:
    title, path, conns, extra = TITLE[sc]
    rows = [s for s in servers if runs.get((s, sc))]
    if not rows and not failures.get(sc):
        continue
    print(f"### `{sc}`: {title}\n")
    scheme = "https" if sc.startswith("tls-") else "http"
    print(f"`wrk -t1 -c{conns} -d{duration}s --latency{extra} {scheme}://{host}{path}`\n")
    if sc.startswith("tls-"):
        print(f"TLS: {meta.get('tls', '')}.\n")
        agreed = [f"{label(n[1], sc)} {n[3]}" for n in notes if n[0] == "negotiated" and n[2] == sc]
        if agreed:
            print(f"Negotiated with Python's ssl as the client (OpenSSL, like wrk): {'; '.join(agreed)}.\n")
    rps = {s: med(runs[(s, sc)], "rps") for s in rows}
    qilins = [s for s in rows if s.startswith("qilin") and rps[s]]
    head = ["server", "req/s (rounds)"]
    if sc in MIB_SCENARIOS:
        head.append("MiB/s")
    head += ["p50 ms", "p99 ms", "socket errors", "non-2xx", "CPU µs/req", "server CPU %",
             "worker RSS MiB", "master RSS MiB", "ratio"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for s in rows:
        rs = runs[(s, sc)]
        cells = [label(s, sc), f"{num(rps[s])} ({' / '.join(num(r.get('rps')) for r in rs)})"]
        if sc in MIB_SCENARIOS:
            if sc == "body":
                cells.append(num(med([{"v": r["requests"] * BODY_MIB / r["seconds"]} for r in rs if r["seconds"]], "v")))
            else:
                cells.append(num(med(rs, "read_mib_s")))
        cells += [ms(med(rs, "p50")), ms(med(rs, "p99")), errors_text(rs),
                  num(med([{"v": r["non2xx"]} for r in rs], "v")),
                  num(med(rs, "cpu_us"), 1), num(med(rs, "cpu_pct")),
                  mib(med(rs, "worker_rss")), mib(med(rs, "master_rss"))]
        if s.startswith("qilin") and sc == "sleep":
            ratio = f"{times(rps[s] / 400)} ideal (400)" if rps[s] is not None else "—"
        elif s.startswith("qilin"):
            n = rps.get("nginx")
            ratio = f"{times(rps[s] / n)} nginx" if n and rps[s] is not None else "—"
            cpu, nginx_cpu = med(rs, "cpu_us"), med(runs.get(("nginx", sc), []), "cpu_us")
            if n and cpu and nginx_cpu:
                ratio += f"; CPU/req {times(cpu / nginx_cpu)}"
        elif s == "nginx":
            ratio = "ceiling"
        else:
            ref = "qilin-gthread4" if sc == "sleep" else COUNTERPART.get(s)
            if ref not in qilins:
                ref = max(qilins, key=lambda q: rps[q]) if qilins else None
            ratio = f"{times(rps[s] / rps[ref])} {ref}" if ref and rps[s] is not None else "—"
        cells.append(ratio)
        print("| " + " | ".join(cells) + " |")
    foot = list(failures.get(sc, []))
    silent = [label(s, sc) for s in rows if any(r["no_samples"] for r in runs[(s, sc)])]
    if silent:
        what = ("all 16 responses of a batch (wrk takes one latency per batch): the server closes "
                "or stalls the connection after the first response" if sc == "pipe" else "a response")
        foot.append(f"{', '.join(silent)}: in at least one round wrk recorded no latency at all, "
                    f"because no connection received {what}; p50/p99 are the median of the other "
                    f"rounds, or —")
    zero = [label(s, sc) for s in rows if any(r["pct_zero"] for r in runs[(s, sc)])]
    if zero:
        foot.append(f"{', '.join(zero)}: in at least one round wrk printed a p50 or p99 of 0, a "
                    f"quirk of its coordinated-omission correction (bench/README.md, \"Latency\"); "
                    f"such a cell is the median of the other rounds, or —")
    if foot:
        print()
        for text in foot:
            print(f"- {text}")
    print()

skipped = [n for n in notes if n[0] == "skipped"]
if skipped:
    print("Not run: " + "; ".join(f"{n[1]} ({n[2]})" for n in skipped) + ".\n")
print("<details><summary>Server command lines (run in bench/)</summary>\n")
for n in notes:
    if n[0] == "command":
        print(f"- {label(n[1], n[2])}{', TLS' if n[2].startswith('tls-') else ''}: `{n[3]}`")
print("\n</details>")
