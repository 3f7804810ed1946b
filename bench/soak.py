"""Ten minutes of mixed traffic on the app as deployed, watching for errors, memory that
grows and latency that drifts.

gunicorn with scan_load.py's settings, behind one reverse proxy (TLS ends there:
X-Forwarded-Proto https, the client is the X-Forwarded-For address), on a fresh
database with the demo data and 10,000 active stamps on each of its four batches.
wrk with 32 connections sends, by a fixed pattern of 20 requests: 14 scans of stamp
pages (from 10,000 client addresses, so the per-client limit is not what is
measured), 3 portal pages of the demo producer logged in once beforehand (its batch
list, its two batches, the portal home; one address and one session cookie) and 3
growing-area tiles at zoom 10, 12, 14 and 16 over the demo areas, anonymous.

After a 30 s warm-up, wrk runs in one-minute slices back to back (SOAK_SECONDS, default
600); each slice gives its own p50 and p99, and its full latency histogram (wrk's,
1 µs buckets, after wrk's correction for coordinated omission) so that the overall
percentiles are computed as wrk would over the whole run. After each slice: the RSS of
the gunicorn workers (VmRSS summed over the master's children) and of the database's
backends. gunicorn's access log gives each request kind's status codes and server time.

An error is a status of 400 or more (a 429 too), a socket error, or a portal page
answered with a redirect to the login page (the session was lost).
The error rate is over the responses wrk received.
Goal: no error; flat memory and p99 — the workers' RSS at the end at most 10 % above
the RSS after the warm-up, with the same worker processes (a worker restarted would
hide a leak), and the last minute's p99 at most 1.5 × the first minute's."""
from __future__ import annotations

import http.client
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from math import cos, floor, log, pi, radians, tan
from pathlib import Path

from benchdb import bench_app
from scan_load import GUNICORN, WRK_THREADS, serve, stop

ROOT = Path(__file__).resolve().parent.parent
SECONDS = int(os.environ.get("SOAK_SECONDS", "600"))
SLICE_S = 60
WARM_S = 30
CONNECTIONS = 32
STAMPS_PER_BATCH = 10_000
CLIENTS = 10_000
MIX = {"s": 14, "p": 3, "t": 3}          # of every 20 requests: scans, portal, tiles
TILE_ZOOMS = (10, 12, 14, 16)
PRODUCER = "producer@agritrace.demo"
PRODUCER_ADDRESS = "10.250.0.1"
USER_AGENT = "agritrace-soak/1"
GOAL_RSS_GROWTH = 0.10
GOAL_P99_RATIO = 1.5

LUA = r"""
local scans, portal, tiles, clients = {}, {}, {}, {}
for line in io.lines("%(scans)s") do scans[#scans + 1] = line end
for line in io.lines("%(portal)s") do portal[#portal + 1] = line end
for line in io.lines("%(tiles)s") do tiles[#tiles + 1] = line end
for i = 1, %(clients)d do
  clients[i] = string.format("10.%%d.%%d.%%d", math.floor(i / 65536),
                             math.floor(i / 256) %% 256, i %% 256)
end
local mix = "%(mix)s"
local threads, made = {}, 0
local counter, step, n = 0, 1, 0
-- globals, so that done() can read each thread's with thread:get()
counts, logins = {}, 0
function setup(thread)
  thread:set("offset", made)
  made = made + 1
  threads[#threads + 1] = thread
end
function init(args)
  step = %(threads)d
  counter = offset
end
function request()
  counter = counter + step
  n = n + 1
  local kind = mix:sub(n %% #mix + 1, n %% #mix + 1)
  if kind == "s" then
    return wrk.format("GET", scans[counter %% #scans + 1], {
      ["X-Forwarded-For"] = clients[(counter * 7919) %% #clients + 1],
      ["X-Forwarded-Proto"] = "https", ["User-Agent"] = "%(agent)s",
      ["Accept-Language"] = "vi-VN,vi;q=0.9"})
  elseif kind == "p" then
    return wrk.format("GET", portal[counter %% #portal + 1], {
      ["X-Forwarded-For"] = "%(producer_address)s", ["X-Forwarded-Proto"] = "https",
      ["User-Agent"] = "%(agent)s", ["Cookie"] = "%(cookie)s",
      ["Accept-Language"] = "vi-VN,vi;q=0.9"})
  end
  return wrk.format("GET", tiles[counter %% #tiles + 1], {
    ["X-Forwarded-For"] = clients[(counter * 104729) %% #clients + 1],
    ["X-Forwarded-Proto"] = "https", ["User-Agent"] = "%(agent)s"})
end
function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  local location = headers["Location"] or headers["location"]
  if location and location:find("/login", 1, true) then logins = logins + 1 end
end
function done(summary, latency, requests)
  local statuses, lost = {}, 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("counts")) do
      statuses[status] = (statuses[status] or 0) + count
    end
    lost = lost + thread:get("logins")
  end
  local parts = {}
  for status, count in pairs(statuses) do parts[#parts + 1] = status .. ":" .. count end
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%d %%d %%d %%d %%s\n",
    summary.requests, e.status, e.connect, e.read, e.write, e.timeout, lost,
    summary.duration, latency:percentile(50), latency:percentile(99),
    table.concat(parts, ",")))
  for i = 1, #latency do
    local value, count = latency(i)
    io.write(string.format("H %%d %%d\n", value, count))
  end
end
"""

# Server time per request, in µs, next to the status: where each kind spends its time.
ACCESS_LOG_FORMAT = '%(s)s %(D)s "%(r)s"'


# --- data ----------------------------------------------------------------------------------

def fill(app) -> dict:
    """The demo data, and an active run of stamps on each demo batch; the stamp ids, the
    producer's batch ids and the tiles over the demo's growing areas."""
    from sqlalchemy import func, select

    from agritrace.db import session
    from agritrace.models import Batch, GrowingArea, Stamp, User
    from agritrace.seed import demo
    from agritrace.services import stamps
    with app.app_context():
        demo.load()
        s = session()
        official = s.scalar(select(User).where(User.email == "official@agritrace.demo"))
        for batch_id in s.scalars(select(Batch.id).order_by(Batch.id)).all():
            order = stamps.order_stamps(None, batch_id, STAMPS_PER_BATCH, system=True)
            stamps.activate_run(official, order.run_id)
        s = session()
        producer_org = s.scalar(select(User.organization_id).where(User.email == PRODUCER))
        batch_ids = s.scalars(select(Batch.id).where(Batch.organization_id == producer_org)
                              .order_by(Batch.id)).all()
        geom = GrowingArea.geom
        boxes = s.execute(select(func.ST_XMin(geom), func.ST_YMin(geom), func.ST_XMax(geom),
                                 func.ST_YMax(geom))).all()
        ids = s.scalars(select(Stamp.id)).all()
    tiles = sorted({(z, x, y) for box in boxes for z in TILE_ZOOMS
                    for x, y in tiles_over(z, *box)})
    return {"stamps": list(ids), "batches": list(batch_ids), "tiles": tiles}


def tile_of(z: int, lon: float, lat: float) -> tuple[int, int]:
    n = 2 ** z
    y = (1 - log(tan(radians(lat)) + 1 / cos(radians(lat))) / pi) / 2 * n
    return int(floor((lon + 180) / 360 * n)), int(floor(y))


def tiles_over(z: int, west: float, south: float, east: float, north: float):
    x0, y0 = tile_of(z, west, north)
    x1, y1 = tile_of(z, east, south)
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


# --- the logged-in producer ---------------------------------------------------------------

def fetch(base: str, method: str, path: str, headers: dict | None = None,
          body: str | None = None) -> tuple[int, dict, bytes]:
    """One request through a proxy's headers, no redirect followed."""
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request(method, path, body=body, headers={
            "X-Forwarded-For": PRODUCER_ADDRESS, "X-Forwarded-Proto": "https",
            "User-Agent": USER_AGENT, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def session_cookie(response_headers) -> str:
    for value in response_headers.get_all("Set-Cookie") or ():
        if value.startswith("session="):
            return value.split(";", 1)[0]
    raise SystemExit("no session cookie in the answer")


def log_in(base: str) -> str:
    """The producer's session cookie, logged in through the login form as a browser."""
    from agritrace.seed.demo import PASSWORD
    status, headers, page = fetch(base, "GET", "/login")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    if status != 200 or token is None:
        raise SystemExit(f"login page: {status}")
    form = urllib.parse.urlencode({"email": PRODUCER, "password": PASSWORD,
                                   "csrf_token": token.group(1).decode()})
    # Over TLS, Flask-WTF also wants a Referer from the site itself.
    origin = "https://" + urllib.parse.urlsplit(base).netloc
    status, headers, page = fetch(base, "POST", "/login", {
        "Cookie": session_cookie(headers), "Referer": origin + "/login",
        "Content-Type": "application/x-www-form-urlencoded"}, form)
    if status != 302:
        raise SystemExit(f"login refused: {status} {page[:2000]!r}")
    return session_cookie(headers)


# --- load and measurement ------------------------------------------------------------------

def run_wrk(base: str, script: Path, seconds: int) -> dict:
    done = subprocess.run(["wrk", "-t", str(WRK_THREADS), "-c", str(CONNECTIONS), "-d",
                           f"{seconds}s", "--timeout", "10s", "-s", str(script), base],
                          capture_output=True, text=True)
    out = done.stdout
    if done.returncode:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{out[-3000:]}{done.stderr}")
    found = re.search(r"^RESULT ((?:\d+ ){10})(\S*)$", out, re.M)
    if found is None:
        raise SystemExit(f"wrk printed no result:\n{out}")
    (requests, bad, connect, read, write, timeout, lost, duration_us, p50_us,
     p99_us) = map(int, found.group(1).split())
    statuses = {int(k): int(v) for k, v in
                (part.split(":") for part in found.group(2).split(",") if part)}
    histogram = {}
    for value, count in re.findall(r"^H (\d+) (\d+)$", out, re.M):
        histogram[int(value)] = histogram.get(int(value), 0) + int(count)
    sockets = connect + read + write + timeout
    return {"requests": requests, "bad": bad, "sockets": sockets, "lost": lost,
            "errors": bad + sockets + lost, "seconds": duration_us / 1e6,
            "rps": requests / (duration_us / 1e6), "p50": p50_us / 1000,
            "p99": p99_us / 1000, "statuses": statuses, "histogram": histogram}


def percentile(histogram: dict[int, int], p: float) -> float:
    """The p-th percentile in ms of a histogram of µs, as wrk computes it."""
    rank = round(p / 100 * sum(histogram.values()) + 0.5)
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value / 1000
    return 0.0


def vm_rss_kb(pid: int, field: str = "VmRSS") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def backends_rss_mb(url: str) -> tuple[float, float, int]:
    """RSS of the PostgreSQL backends serving the bench database, its private part (RSS
    counts each shared-buffer page a backend has touched, so it grows as they read
    more of the database), and how many backends there are."""
    import psycopg
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        pids = [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")]
    return (sum(vm_rss_kb(p) for p in pids) / 1024,
            sum(vm_rss_kb(p, "RssAnon") for p in pids) / 1024, len(pids))


def scan_rows(url: str) -> int:
    import psycopg
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return conn.execute("SELECT count(*) FROM scans").fetchone()[0]


def sample(master: int, url: str) -> dict:
    workers = children(master)
    pg_mb, pg_private_mb, backends = backends_rss_mb(url)
    return {"workers": workers, "rss": sum(vm_rss_kb(p) for p in workers) / 1024,
            "pg": pg_mb, "pg_private": pg_private_mb, "backends": backends}


def server_times(log: Path) -> dict[str, dict]:
    """Per request kind, from gunicorn's access log: statuses and server time."""
    kinds: dict[str, dict] = {}
    for line in log.read_text().splitlines():
        found = re.match(r'(\d+) (\d+) "GET (\S+)', line)
        if found is None:
            continue
        status, micros, path = int(found.group(1)), int(found.group(2)), found.group(3)
        kind = "scan" if path.startswith("/s/") else "portal" if path.startswith(
            "/portal") else "tile" if path.startswith("/tiles/") else "other"
        entry = kinds.setdefault(kind, {"statuses": {}, "histogram": {}})
        entry["statuses"][status] = entry["statuses"].get(status, 0) + 1
        entry["histogram"][micros] = entry["histogram"].get(micros, 0) + 1
    return kinds


# --- the run -------------------------------------------------------------------------------

def check(base: str, paths: list[str], cookie: str, allowed=(200,)) -> None:
    for path in paths:
        status, headers, _body = fetch(base, "GET", path, {"Cookie": cookie} if cookie else {})
        if status not in allowed:
            raise SystemExit(f"{path}: {status} {headers.get('Location', '')}")


def main() -> int:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: install the Debian package wrk (make test does).")
    from labels.codes import compact_code
    slices = [SLICE_S] * (SECONDS // SLICE_S) + ([SECONDS % SLICE_S] if SECONDS % SLICE_S
                                                   else [])
    pattern = [kind for kind, n in MIX.items() for _ in range(n)]
    random.Random(8).shuffle(pattern)
    work = Path(tempfile.mkdtemp(prefix="soak-"))
    minutes = []
    try:
        with bench_app("soak") as (app, url):
            data = fill(app)
            rng = random.Random(6)
            rng.shuffle(data["stamps"])
            files = {"scans": [f"/s/{compact_code(i)}" for i in data["stamps"]],
                     "portal": ["/portal/batches", "/portal/"]
                     + [f"/portal/batches/{b}" for b in data["batches"]],
                     "tiles": [f"/tiles/growing-areas/{z}/{x}/{y}.pbf"
                               for z, x, y in data["tiles"]]}
            for name, lines in files.items():
                (work / f"{name}.txt").write_text("".join(f"{line}\n" for line in lines))
            env = {"DATABASE_URL": url, "SECRET_KEY": "bench-soak-secret",
                   "AGRITRACE_ENV": "production", "TRUSTED_PROXY_HOPS": "1",
                   "PUBLIC_BASE_URL": "https://trace.example.vn"}
            # serve() writes scan_load's settings; only the log line differs here.
            GUNICORN["access_log_format"] = ACCESS_LOG_FORMAT
            process, base, access = serve("agritrace:create_app()", env, work, "app")
            try:
                cookie = log_in(base)
                check(base, files["portal"], cookie)
                check(base, files["tiles"], "", (200, 204))
                check(base, files["scans"][:3], "")
                script = work / "soak.lua"
                script.write_text(LUA % {
                    **{name: work / f"{name}.txt" for name in files},
                    "clients": CLIENTS, "threads": WRK_THREADS, "mix": "".join(pattern),
                    "agent": USER_AGENT, "producer_address": PRODUCER_ADDRESS,
                    "cookie": cookie})
                warm = run_wrk(base, script, WARM_S)
                time.sleep(2)
                start = sample(process.pid, url)
                access.write_text("")
                rows_before = scan_rows(url)
                for seconds in slices:
                    run = run_wrk(base, script, seconds)
                    run["after"] = sample(process.pid, url)
                    minutes.append(run)
                    print(f"minute {len(minutes):2d}: {run['requests']:7,} requests "
                          f"{run['rps']:6.0f} req/s  errors {run['errors']}  p50 "
                          f"{run['p50']:6.1f} ms  p99 {run['p99']:6.1f} ms  workers "
                          f"{run['after']['rss']:6.1f} MB  PostgreSQL "
                          f"{run['after']['pg']:6.1f} MB", flush=True)
                time.sleep(2)
                rows_added = scan_rows(url) - rows_before
            finally:
                stop(process)
            kinds = server_times(access)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    end = minutes[-1]["after"]
    histogram: dict[int, int] = {}
    statuses: dict[int, int] = {}
    for run in minutes:
        for value, count in run["histogram"].items():
            histogram[value] = histogram.get(value, 0) + count
        for status, count in run["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    total = sum(r["requests"] for r in minutes)
    errors = sum(r["errors"] for r in minutes)
    seconds = sum(r["seconds"] for r in minutes)
    rate = errors / total if total else 1.0
    settings = ", ".join(f"{k}={v}" for k, v in GUNICORN.items()
                         if k != "access_log_format")
    print(f"gunicorn {settings}; wrk {CONNECTIONS} connections in {len(slices)} slices "
          f"({SECONDS} s) after a {WARM_S} s warm-up ({warm['requests']:,} requests, "
          f"{warm['errors']} errors); mix of 20: {MIX['s']} scans over "
          f"{len(files['scans']):,} stamps, {MIX['p']} portal pages "
          f"({len(files['portal'])} paths), {MIX['t']} tiles ({len(files['tiles'])} at zoom "
          f"{', '.join(map(str, TILE_ZOOMS))})")
    print(f"total {total:,} requests, {total / seconds:.0f} req/s, p50 "
          f"{percentile(histogram, 50):.1f} ms, p99 {percentile(histogram, 99):.1f} ms; "
          f"statuses {dict(sorted(statuses.items()))}")
    print(f"errors {errors} ({rate:.3%}): status ≥ 400 {sum(r['bad'] for r in minutes)}, "
          f"socket {sum(r['sockets'] for r in minutes)}, portal sent to login "
          f"{sum(r['lost'] for r in minutes)}")
    for kind, entry in sorted(kinds.items()):
        n = sum(entry["statuses"].values())
        print(f"  {kind:>6} (gunicorn's log): {n:8,} requests, statuses "
              f"{dict(sorted(entry['statuses'].items()))}, server time p50 "
              f"{percentile(entry['histogram'], 50):.1f} ms, p99 "
              f"{percentile(entry['histogram'], 99):.1f} ms")
    print(f"scan rows added {rows_added:,}")
    same = start["workers"] == end["workers"]
    print(f"workers' RSS: start {start['rss']:.1f} MB → "
          + ", ".join(f"{r['after']['rss']:.1f}" for r in minutes)
          + f" MB; worker pids {'unchanged' if same else 'CHANGED'} "
          f"({len(end['workers'])} workers)")
    print(f"PostgreSQL backends' RSS: start {start['pg']:.1f} MB ({start['backends']} "
          f"backends; private {start['pg_private']:.1f} MB) → end {end['pg']:.1f} MB "
          f"({end['backends']} backends; private {end['pg_private']:.1f} MB)")
    first, last = minutes[0]["p99"], minutes[-1]["p99"]
    flat_rss = end["rss"] <= start["rss"] * (1 + GOAL_RSS_GROWTH)
    flat_p99 = last <= first * GOAL_P99_RATIO
    print(f"flat: workers' RSS at the end ≤ {1 + GOAL_RSS_GROWTH:.2f} × after warm-up "
          f"({'yes' if flat_rss else 'no'}), last minute's p99 ≤ {GOAL_P99_RATIO} × the "
          f"first's ({'yes' if flat_p99 else 'no'})")
    met = errors == 0 and flat_rss and flat_p99 and same
    print(f"soak {round(SECONDS / 60, 1):g} min: {rate:.3%} errors, RSS {start['rss']:.0f} → "
          f"{end['rss']:.0f} MB, p99 {first:.0f} → {last:.0f} ms — goal 0 errors, flat "
          f"memory and p99: {'met' if met else 'missed'}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
