"""The public scan page under load, served as deployed: gunicorn with the settings
below, behind one reverse proxy (the client is the X-Forwarded-For address), on a
database of 10 batches and 10,000 active stamps. wrk drives it for 30 s with 64
connections, each request a stamp code taken in turn from a file of the 10,000, from
one of 10,000 simulated client addresses. Next to it, the same gunicorn settings
serve a minimal Flask view that returns the bytes of one scan page.

Printed: req/s, p50 and p99 of both; then whether every 200 answer left its scan
row: the rows added to `scans` must equal the 200 answers gunicorn logged, and lie
between wrk's count of 200s and that count plus the requests cut off in flight when
wrk stopped (at most one per connection).
Goal: ≥ 0.6 × the minimal view's req/s, and p99 < 100 ms."""
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
GOAL_RATIO = 0.6
GOAL_P99_MS = 100.0

# gunicorn as deployed on this 2-core machine: see bench/README.md for the settings
# tried. Threads let a worker take the next request while one waits on PostgreSQL.
GUNICORN = {"workers": 3, "worker_class": "gthread", "threads": 4, "keepalive": 5,
            "backlog": 2048}
# To compare settings: SCAN_LOAD_GUNICORN='{"workers": 5, "worker_class": "sync"}'
# (merged over these) and SCAN_LOAD_SECONDS=10.
GUNICORN.update(json.loads(os.environ.get("SCAN_LOAD_GUNICORN", "{}")))
DURATION_S = int(os.environ.get("SCAN_LOAD_SECONDS", DURATION_S))

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
    return {"requests": requests, "ok": requests - bad, "bad": bad,
            "rps": requests / (duration_us / 1e6), "p50": p50_us / 1000,
            "p99": p99_us / 1000, "socket_errors": errors.group(1) if errors else "none"}


def logged_200s(log: Path) -> int:
    return sum(1 for line in log.read_text().splitlines()
               if '"GET /s/' in line and '" 200 ' in line)


# --- the minimal view ------------------------------------------------------------------------

def minimal_app():
    """A Flask app whose one view returns the saved bytes of a scan page: what the
    server, the framework and the network cost with no work of ours."""
    from flask import Flask, Response
    body = Path(os.environ["SCAN_LOAD_BODY"]).read_bytes()
    app = Flask("minimal")

    @app.get("/s/<code>")
    def page(code: str):
        return Response(body, mimetype="text/html", headers={"Cache-Control": "no-store"})
    return app


# --- the run -----------------------------------------------------------------------------------

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
            env = {"DATABASE_URL": url, "SECRET_KEY": "bench-scan-load-secret",
                   "AGRITRACE_ENV": "production", "TRUSTED_PROXY_HOPS": "1",
                   "PUBLIC_BASE_URL": "https://trace.example.vn"}
            process, base, log = serve("agritrace:create_app()", env, work, "app")
            try:
                load(base, script, 5)                          # warm: pools, caches
                time.sleep(2)         # what wrk cut off in flight is answered and logged
                request = urllib.request.Request(base + paths.read_text().split()[0],
                                                 headers={"X-Forwarded-For": "10.255.0.1"})
                body = urllib.request.urlopen(request).read()
                log.write_text("")
                before = scan_rows(url)
                app_run = load(base, script, DURATION_S)
            finally:
                stop(process)
            added = scan_rows(url) - before
            answered = logged_200s(log)
        (work / "body.html").write_bytes(body)
        process, base, _log = serve("scan_load:minimal_app()",
                                    {"SCAN_LOAD_BODY": str(work / "body.html")}, work,
                                    "minimal", ROOT / "bench")
        try:
            load(base, script, 5)
            minimal = load(base, script, DURATION_S)
        finally:
            stop(process)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    settings = ", ".join(f"{k}={v}" for k, v in GUNICORN.items())
    print(f"gunicorn {settings}; wrk {DURATION_S} s, {CONNECTIONS} connections, "
          f"{STAMPS:,} stamp codes, {CLIENTS:,} client addresses; page {len(body):,} bytes")
    for name, run in (("scan page", app_run), ("minimal view", minimal)):
        print(f"{name:>12}: {run['rps']:8.0f} req/s  p50 {run['p50']:6.1f} ms  p99 "
              f"{run['p99']:6.1f} ms  ({run['requests']:,} requests, {run['bad']} not 2xx, "
              f"socket errors: {run['socket_errors']})")
    cut_off = added - app_run["ok"]
    kept = added == answered and 0 <= cut_off <= CONNECTIONS
    print(f"scan rows added {added:,}; 200 answers logged by gunicorn {answered:,}; 200s "
          f"received by wrk {app_run['ok']:,} (+{cut_off} answered after wrk stopped "
          f"reading): {'no scan lost' if kept else 'MISMATCH'}")
    ratio = app_run["rps"] / minimal["rps"]
    met = ratio >= GOAL_RATIO and app_run["p99"] < GOAL_P99_MS and kept \
        and app_run["bad"] == 0
    print(f"scan page under load: {app_run['rps']:.0f} req/s, p99 {app_run['p99']:.1f} ms "
          f"({ratio:.2f} × the minimal view's {minimal['rps']:.0f} req/s) — goal ≥ "
          f"{GOAL_RATIO} × and p99 < {GOAL_P99_MS:g} ms: {'met' if met else 'missed'}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
