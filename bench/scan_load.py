"""The public scan page under load, served as deployed: gunicorn with the settings
below, behind one reverse proxy (the client is the X-Forwarded-For address), on a
database of 10 batches and 10,000 active stamps. wrk drives it with 64 connections,
each request a stamp code taken in turn from a file of the 10,000, from one of 10,000
simulated client addresses. Beside it, in the same run, the same gunicorn settings
serve the limit of this design: a minimal Flask view that makes one durable INSERT
into PostgreSQL through a psycopg pool and returns the bytes of one scan page. The
two take turns of 5 s, 30 s each in all, so that other load on the machine falls on
both alike.

Printed: req/s, p50 and p99 of both (over the merged latency histograms of their
turns); then whether every 200 answer left its scan row: the rows added to `scans`
must equal the 200 answers gunicorn logged, and lie between wrk's count of 200s and
that count plus the requests cut off in flight at the end of each turn (at most one
per connection and turn).
Goal: ≥ 0.7 × the one-INSERT view's req/s, p99 < 100 ms, no scan lost."""
from __future__ import annotations

import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from benchdb import bench_app, world

ROOT = Path(__file__).resolve().parent.parent
DURATION_S = 30
CONNECTIONS = 64
WRK_THREADS = 2
STAMPS = 10_000
BATCHES = 10
CLIENTS = 10_000
GOAL_RATIO = 0.7
GOAL_P99_MS = 100.0

# gunicorn as deployed on this 2-core machine: see bench/README.md for the settings
# tried. Threads let a worker take the next request while one waits on PostgreSQL.
GUNICORN = {"workers": 3, "worker_class": "gthread", "threads": 4, "keepalive": 5,
            "backlog": 2048}
# To compare settings: SCAN_LOAD_GUNICORN='{"workers": 5, "worker_class": "sync"}'
# (merged over these) and SCAN_LOAD_SECONDS=10.
GUNICORN.update(json.loads(os.environ.get("SCAN_LOAD_GUNICORN", "{}")))
DURATION_S = int(os.environ.get("SCAN_LOAD_SECONDS", DURATION_S))
SLICE_S = 5                 # the two sides take turns of this many seconds

LUA = r"""
local paths, clients = {}, {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
for i = 1, %(clients)d do
  clients[i] = string.format("10.%%d.%%d.%%d", math.floor(i / 65536),
                             math.floor(i / 256) %% 256, i %% 256)
end
local counter, step = 0, 1
function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
end
function init(args)
  step = %(threads)d
  counter = offset
end
function request()
  counter = counter + step
  local path = paths[counter %% #paths + 1]
  local client = clients[(counter * 7919) %% #clients + 1]
  return wrk.format("GET", path, {["X-Forwarded-For"] = client,
                                  ["Accept-Language"] = "vi-VN,vi;q=0.9"})
end
function done(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%d %%d\n", summary.requests,
    summary.errors.status, summary.duration, latency:percentile(50),
    latency:percentile(99)))
  for i = 1, #latency do
    local value, count = latency(i)
    io.write(string.format("H %%d %%d\n", value, count))
  end
end
"""


# --- data ----------------------------------------------------------------------------------

def fill(app) -> list[int]:
    """Ten open batches of one product on three issued areas, with a diary, and a run of
    1,000 active stamps each; returns the stamp ids."""
    from geoalchemy2.shape import from_shape
    from shapely.geometry import MultiPolygon, box
    from sqlalchemy import select

    from agritrace.db import session, transaction
    from agritrace.models import (AreaStatus, Batch, BizStep, CertScheme, Certification,
                                  Disposition, GrowingArea, Product, Stamp, TraceEvent, User)
    from agritrace.services import stamps
    from agritrace.clock import now, today
    org_id, official_id = world(app)
    with app.app_context():
        with transaction() as s:
            product = Product(organization_id=org_id, name="Thanh long ruột đỏ Bench",
                              name_en="Bench red dragon fruit", category="fruit",
                              gtin="09520001000018", ocop_stars=4,
                              description="Thanh long ruột đỏ trồng theo VietGAP.",
                              description_en="Red dragon fruit grown to VietGAP.")
            product.certifications = [Certification(
                scheme=CertScheme.VIETGAP, number="VietGAP-TT-18-03-80-0099",
                issuer="QUACERT", valid_until=today() + timedelta(days=400))]
            s.add(product)
            areas = []
            for i in range(3):
                shape = MultiPolygon([box(106.2 + i * 0.003, 11.4, 106.2025 + i * 0.003,
                                          11.4025)])
                areas.append(GrowingArea(
                    code=f"VN-TNOR-{i + 1:04d}", name=f"Vườn {i + 1}", crop="dragon fruit",
                    organization_id=org_id, geom=from_shape(shape, srid=4326),
                    area_ha=Decimal("7.5"), perimeter_m=Decimal("1100"), province_code=80,
                    status=AreaStatus.ISSUED, issued_at=now(), target_markets=["VN"]))
            s.add_all(areas)
            s.flush()
            day = today()
            harvest = now() - timedelta(days=5)
            for area in areas:
                for n, step in enumerate((BizStep.SOWING, BizStep.FERTILISING,
                                          BizStep.IRRIGATION, BizStep.SPRAYING)):
                    details = {"product": "Abamectin 3.6EC", "dose": "0.5 l/ha",
                               "active_ingredient": "abamectin", "phi_days": 7} \
                        if step == BizStep.SPRAYING else {"note": "Bench"}
                    s.add(TraceEvent(biz_step=step, area_id=area.id, details=details,
                                     event_time=harvest - timedelta(days=90 - n * 20)))
            batch_ids = []
            for b in range(BATCHES):
                batch = Batch(product_id=product.id, organization_id=org_id,
                              lot_code=f"TL-B{b:02d}", harvest_date=day - timedelta(days=5),
                              pack_date=day - timedelta(days=4),
                              expiry_date=day + timedelta(days=30), quantity=Decimal(1000))
                batch.areas = areas
                s.add(batch)
                s.flush()
                s.add(TraceEvent(biz_step=BizStep.LAB_TESTING, event_time=harvest,
                                 batch_id=batch.id, disposition=Disposition.CONFORMANT,
                                 details={"analyte": "abamectin", "result": 0.004,
                                          "limit": 0.01, "unit": "mg/kg", "lab": "QUATEST 3"}))
                batch_ids.append(batch.id)
        official = session().get(User, official_id)
        for batch_id in batch_ids:
            order = stamps.order_stamps(None, batch_id, STAMPS // BATCHES, system=True)
            stamps.activate_run(official, order.run_id)
        return list(session().scalars(select(Stamp.id)))


def settle(url: str) -> None:
    """Wait until the requests wrk cut off are answered: on a loaded machine one can
    take seconds, and its row and its log line must fall on the same side of the
    count."""
    last, deadline = -1, time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(1)
        now = scan_rows(url)
        if now == last:
            break
        last = now
    time.sleep(1)


def scan_rows(url: str) -> int:
    import psycopg
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return conn.execute("SELECT count(*) FROM scans").fetchone()[0]


# --- serving and loading ---------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(app_spec: str, env: dict, work: Path, name: str, path: Path = ROOT):
    """gunicorn with the deployed settings on a free loopback port; (process, base URL,
    access log)."""
    port = free_port()
    conf = work / f"{name}.conf.py"
    log = work / f"{name}-access.log"
    conf.write_text("".join(f"{k} = {v!r}\n" for k, v in GUNICORN.items())
                    + f"bind = '127.0.0.1:{port}'\naccesslog = {str(log)!r}\n"
                    + "errorlog = '-'\nloglevel = 'warning'\n")
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", str(conf), "--pythonpath", str(path),
         app_spec], cwd=path, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        raise SystemExit(f"{name}: gunicorn did not start")
    return process, base, log


def stop(process) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def load(base: str, script: Path, seconds: int) -> dict:
    out = subprocess.run(["wrk", "-t", str(WRK_THREADS), "-c", str(CONNECTIONS), "-d",
                          f"{seconds}s", "--timeout", "10s", "-s", str(script), base],
                         capture_output=True, text=True, check=True).stdout
    found = re.search(r"^RESULT (\d+) (\d+) (\d+) (\d+) (\d+)$", out, re.M)
    if found is None:
        raise SystemExit(f"wrk printed no result:\n{out}")
    requests, bad, duration_us, p50_us, p99_us = map(int, found.groups())
    errors = re.search(r"Socket errors: (.*)", out)
    histogram: dict[int, int] = {}
    for value, count in re.findall(r"^H (\d+) (\d+)$", out, re.M):
        histogram[int(value)] = histogram.get(int(value), 0) + int(count)
    return {"requests": requests, "ok": requests - bad, "bad": bad,
            "seconds": duration_us / 1e6, "histogram": histogram,
            "socket_errors": [errors.group(1)] if errors else []}


def percentile(histogram: dict[int, int], p: float) -> float:
    """The p-th percentile in ms of a histogram of µs, as wrk computes it."""
    rank = round(p / 100 * sum(histogram.values()) + 0.5)
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value / 1000
    return 0.0


def merged(slices: list[dict]) -> dict:
    """The slices of one side as one run: counts and seconds added, percentiles over
    the merged latency histograms."""
    histogram: dict[int, int] = {}
    for one in slices:
        for value, count in one["histogram"].items():
            histogram[value] = histogram.get(value, 0) + count
    total = {k: sum(one[k] for one in slices) for k in ("requests", "ok", "bad", "seconds")}
    errors = [e for one in slices for e in one["socket_errors"]]
    return {**total, "rps": total["requests"] / total["seconds"],
            "p50": percentile(histogram, 50), "p99": percentile(histogram, 99),
            "socket_errors": "; ".join(errors) or "none"}


def logged_200s(log: Path) -> int:
    return sum(1 for line in log.read_text().splitlines()
               if '"GET /s/' in line and '" 200 ' in line)


# --- the minimal view: one durable INSERT ------------------------------------------------

MINIMAL_TABLE = """CREATE TABLE IF NOT EXISTS scan_load_hits (
    id bigserial PRIMARY KEY, code text NOT NULL, client text,
    at timestamptz NOT NULL DEFAULT now())"""


def minimal_app():
    """A Flask app whose one view makes one durable INSERT (its own transaction, the
    server's synchronous_commit as the app's) through a psycopg pool sized to the
    worker's threads, and returns the saved bytes of a scan page: what the server, the
    framework, the network and one committed write cost with no work of ours."""
    from flask import Flask, Response, request
    from psycopg_pool import ConnectionPool
    body = Path(os.environ["SCAN_LOAD_BODY"]).read_bytes()
    pool = ConnectionPool(os.environ["SCAN_LOAD_DSN"], min_size=GUNICORN.get("threads", 1),
                          max_size=GUNICORN.get("threads", 1), open=True,
                          kwargs={"autocommit": True})
    app = Flask("minimal")

    @app.get("/s/<code>")
    def page(code: str):
        with pool.connection() as conn:
            conn.execute("INSERT INTO scan_load_hits (code, client) VALUES (%s, %s)",
                         (code, request.headers.get("X-Forwarded-For")))
        return Response(body, mimetype="text/html", headers={"Cache-Control": "no-store"})
    return app


def plain_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


# --- the run -----------------------------------------------------------------------------------

def run(url: str, script: Path, first_path: str, work: Path
        ) -> tuple[dict, dict, bytes, int, int]:
    """Both servers side by side, loaded in turns of SLICE_S seconds (so that what else
    runs on the machine falls on both alike): (the app's figures, the one-INSERT
    view's, one page's bytes, scan rows added, 200s logged by the app's gunicorn)."""
    import psycopg
    with psycopg.connect(plain_dsn(url), autocommit=True) as conn:
        conn.execute(MINIMAL_TABLE)
    env = {"DATABASE_URL": url, "SECRET_KEY": "bench-scan-load-secret",
           "AGRITRACE_ENV": "production", "TRUSTED_PROXY_HOPS": "1",
           "PUBLIC_BASE_URL": "https://trace.example.vn"}
    app, app_base, log = serve("agritrace:create_app()", env, work, "app")
    minimal = None
    try:
        load(app_base, script, 5)                          # warm: pools, caches
        request = urllib.request.Request(app_base + first_path,
                                         headers={"X-Forwarded-For": "10.255.0.1"})
        body = urllib.request.urlopen(request).read()
        (work / "body.html").write_bytes(body)
        minimal, minimal_base, _log = serve(
            "scan_load:minimal_app()", {"SCAN_LOAD_BODY": str(work / "body.html"),
                                        "SCAN_LOAD_DSN": plain_dsn(url)},
            work, "minimal", ROOT / "bench")
        load(minimal_base, script, 5)
        # What wrk cut off in flight, and the request above, answered and logged
        # (gunicorn logs a request after sending its answer) before the count starts.
        settle(url)
        log.write_text("")
        before = scan_rows(url)
        app_slices, minimal_slices = [], []
        for _ in range(max(1, DURATION_S // SLICE_S)):
            app_slices.append(load(app_base, script, SLICE_S))
            minimal_slices.append(load(minimal_base, script, SLICE_S))
    finally:
        stop(app)
        if minimal is not None:
            stop(minimal)
    return (merged(app_slices), merged(minimal_slices), body, scan_rows(url) - before,
            logged_200s(log))


def main() -> int:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: install the Debian package wrk (make test does).")
    from labels.codes import compact_code
    work = Path(tempfile.mkdtemp(prefix="scan-load-"))
    try:
        with bench_app("scan") as (app, url):
            ids = fill(app)
            rng = random.Random(6)
            rng.shuffle(ids)
            paths = work / "paths.txt"
            paths.write_text("".join(f"/s/{compact_code(i)}\n" for i in ids))
            script = work / "scan.lua"
            script.write_text(LUA % {"paths": paths, "clients": CLIENTS,
                                     "threads": WRK_THREADS})
            app_run, minimal, body, added, answered = run(
                url, script, f"/s/{compact_code(ids[0])}", work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(app_run, minimal, body, added, answered)
    return 0


def report(app_run: dict, minimal: dict, body: bytes, added: int, answered: int) -> None:
    settings = ", ".join(f"{k}={v}" for k, v in GUNICORN.items())
    print(f"gunicorn {settings}; wrk {DURATION_S} s, {CONNECTIONS} connections, "
          f"{STAMPS:,} stamp codes, {CLIENTS:,} client addresses; page {len(body):,} bytes; "
          f"load average {os.getloadavg()[0]:.1f}")
    for name, run in (("scan page", app_run), ("one-INSERT view", minimal)):
        print(f"{name:>15}: {run['rps']:8.0f} req/s  p50 {run['p50']:6.1f} ms  p99 "
              f"{run['p99']:6.1f} ms  ({run['requests']:,} requests, {run['bad']} not 2xx, "
              f"socket errors: {run['socket_errors']})")
    cut_off = added - app_run["ok"]
    kept = added == answered and 0 <= cut_off <= CONNECTIONS * max(1, DURATION_S // SLICE_S)
    print(f"scan rows added {added:,}; 200 answers logged by gunicorn {answered:,}; 200s "
          f"received by wrk {app_run['ok']:,} (+{cut_off} answered after wrk stopped "
          f"reading): {'no scan lost' if kept else 'MISMATCH'}")
    ratio = app_run["rps"] / minimal["rps"]
    met = ratio >= GOAL_RATIO and app_run["p99"] < GOAL_P99_MS and kept \
        and app_run["bad"] == 0
    print(f"scan page under load: {app_run['rps']:.0f} req/s, p99 {app_run['p99']:.1f} ms "
          f"({ratio:.2f} × the one-INSERT view's {minimal['rps']:.0f} req/s, "
          f"{'0 scans lost' if kept else 'scans lost'}) — goal ≥ {GOAL_RATIO} ×, p99 < "
          f"{GOAL_P99_MS:g} ms, 0 lost: {'met' if met else 'missed'}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
