"""Growing-area tiles and features over HTTP, against two peers serving the same table.

One database with bench/tiles.py's field of 100,000 issued areas, served on loopback by:
- AgriTrace under gunicorn as `make run` serves it (gthread, 2 workers × 8 threads):
  `/tiles/growing-areas/{z}/{x}/{y}.pbf` and `/ogc/collections/growing-areas/items`;
- tipg (OGC API Features and Tiles on PostGIS) under uvicorn with 2 workers:
  `/collections/public.growing_areas/tiles/WebMercatorQuad/{z}/{x}/{y}` and `…/items`;
- pygeoapi (OGC API Features, its PostgreSQL provider on the same table) under
  gunicorn with AgriTrace's settings: `/collections/growing-areas/items`.
The peers are installed into `.bench-venv/` (not the project's environment) on the
first run. Every server gets the same client, wrk, with the same connections and time,
in this one run: all four run side by side, and each case loads them one after the
other, twice over, so that the machine's other load falls on all alike.

Fair shares: both tile servers return the same attributes (tipg is asked for them by
`properties=`), at 4096 units with a 256 buffer, and tipg's cap of 10,000 features a
tile is lifted, so its zoom-10 tiles hold every area as ours do. The items query is a
bbox holding about 1,000 areas with `limit=1000`, from 20 places across the field.

AgriTrace runs twice: with its tile cache (keyed by the data's version, see
services/tiles.py) and with the cache turned off (`TILE_CACHE_MB=0`).
Goal: ≥ 1.0 × tipg's requests/s at zooms 10, 13 and 16 and p99 < 50 ms at z ≥ 12;
items ≥ 1.0 × tipg and ≥ 1.0 × pygeoapi.
"""
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
from pathlib import Path

from benchdb import bench_app, world
from tiles import EAST, NORTH, SOUTH, WEST, cluster_tiles, fill

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / ".bench-venv"
PEER_PACKAGES = ["tipg==1.6.1", "pygeoapi==0.21.0", "uvicorn", "gunicorn", "psycopg2-binary",
                 "geoalchemy2", "sqlalchemy"]
SECONDS = int(os.environ.get("TILES_PEER_SECONDS", 10))
CONNECTIONS = 32
ZOOMS = (10, 13, 16)
MAX_TILES = 300
BBOXES = 20
ROUNDS = 2
PROPERTIES = "id,code,name,crop,status,area_ha,organization_id,province_code,ward_code"
GOAL_RATIO, GOAL_P99_MS = 1.0, 50.0

LUA = r"""
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local counter = 0
function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
end
function init(args)
  counter = offset * 7919
end
function request()
  counter = counter + 1
  return wrk.format("GET", paths[counter %% #paths + 1])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d\n", summary.requests,
    e.status + e.connect + e.read + e.write + e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(99)))
end
"""


def ensure_peers() -> None:
    if (PEERS / "bin" / "uvicorn").exists() and (PEERS / "bin" / "pygeoapi").exists():
        return
    print("installing tipg and pygeoapi into .bench-venv/ (once)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
    subprocess.run([str(PEERS / "bin" / "pip"), "install", "-q", *PEER_PACKAGES], check=True,
                   stderr=subprocess.DEVNULL)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command: list[str], env: dict, port: int, probe: str, name: str, work: Path):
    log = work / f"{name}.log"
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=log.open("w"))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=30) as r:
                if r.status == 200:
                    return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"{name} stopped: {log.read_text()[-2000:]}")
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"{name} did not answer {probe}")


def stop(process) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def gunicorn(python_bin: Path, app_spec: str, port: int) -> list[str]:
    """The settings of `make run`."""
    return [str(python_bin / "gunicorn"), "--worker-class", "gthread", "--workers", "2",
            "--threads", "8", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
            app_spec]


def load(base: str, paths: list[str], work: Path, name: str, seconds: int = SECONDS) -> dict:
    listing = work / f"{name}.paths"
    listing.write_text("\n".join(paths) + "\n")
    script = work / f"{name}.lua"
    script.write_text(LUA % {"paths": listing})
    out = subprocess.run(["wrk", "-t", "2", "-c", str(CONNECTIONS), "-d", f"{seconds}s",
                          "--timeout", "10s", "-s", str(script), base],
                         capture_output=True, text=True, check=True).stdout
    found = re.search(r"^RESULT (\d+) (\d+) (\d+) (\d+) (\d+)$", out, re.M)
    if found is None:
        raise SystemExit(f"wrk printed no result:\n{out}")
    requests, bad, duration_us, p50_us, p99_us = map(int, found.groups())
    return {"rps": requests / (duration_us / 1e6), "bad": bad, "requests": requests,
            "p50": p50_us / 1000, "p99": p99_us / 1000}


def merge(total: dict | None, got: dict) -> dict:
    """Rounds added up: requests over time; the worse p50 and p99 of the rounds."""
    if total is None:
        return got
    requests = total["requests"] + got["requests"]
    seconds = total["requests"] / total["rps"] + got["requests"] / got["rps"] \
        if total["rps"] and got["rps"] else 0
    return {"rps": requests / seconds if seconds else 0.0, "bad": total["bad"] + got["bad"],
            "requests": requests, "p50": max(total["p50"], got["p50"]),
            "p99": max(total["p99"], got["p99"])}


def bboxes() -> list[tuple[float, float, float, float]]:
    """BBOXES boxes of about 1,000 areas each (32 × 32 cells of the 317-cell grid)."""
    step = (EAST - WEST) / 317
    side = 32 * step
    rng = random.Random(19)
    out = []
    for _ in range(BBOXES):
        x = WEST + rng.uniform(0, EAST - WEST - side)
        y = SOUTH + rng.uniform(0, NORTH - SOUTH - side)
        out.append((round(x, 6), round(y, 6), round(x + side, 6), round(y + side, 6)))
    return out


def box(b) -> str:
    return ",".join(map(str, b))


def cases() -> dict[str, dict[str, list[str]]]:
    """Per case, per server: the paths wrk cycles through."""
    out = {}
    for z in ZOOMS:
        tiles = cluster_tiles(z)[:MAX_TILES]
        out[f"tiles z{z}"] = {
            "agritrace": [f"/tiles/growing-areas/{z}/{x}/{y}.pbf" for _z, x, y in tiles],
            "tipg": [f"/collections/public.growing_areas/tiles/WebMercatorQuad/{z}/{x}/{y}"
                     f"?properties={PROPERTIES}" for _z, x, y in tiles]}
    boxes = bboxes()
    out["items bbox 1,000"] = {
        "agritrace": [f"/ogc/collections/growing-areas/items?bbox={box(b)}&limit=1000"
                      for b in boxes],
        "tipg": [f"/collections/public.growing_areas/items?bbox={box(b)}&limit=1000"
                 f"&properties={PROPERTIES}&f=geojson" for b in boxes],
        "pygeoapi": [f"/collections/growing-areas/items?bbox={box(b)}&limit=1000&f=json"
                     for b in boxes]}
    return out


def pygeoapi_config(work: Path, port: int, url: str) -> tuple[Path, Path]:
    found = re.match(r"postgresql\+psycopg://([^:]+):([^@]+)@([^:]+):(\d+)/(.+)", url)
    user, password, host, db_port, dbname = found.groups()
    config = work / "pygeoapi.yml"
    # JSON is YAML: no quoting rules to get wrong.
    config.write_text(json.dumps({
        "server": {"bind": {"host": "127.0.0.1", "port": port},
                   "url": f"http://127.0.0.1:{port}",
                   "mimetype": "application/json; charset=UTF-8", "encoding": "utf-8",
                   "languages": ["en-US"], "limits": {"default_items": 10, "max_items": 1000},
                   "map": {"url": "http://127.0.0.1/{z}/{x}/{y}.png", "attribution": "none"}},
        "logging": {"level": "ERROR"},
        "metadata": {"identification": {"title": "bench", "description": "bench",
                                        "keywords": ["bench"], "keywords_type": "theme",
                                        "terms_of_service": "none", "url": "http://localhost"},
                     "license": {"name": "CC-BY 4.0",
                                 "url": "https://creativecommons.org/licenses/by/4.0/"},
                     "provider": {"name": "bench", "url": "http://localhost"},
                     "contact": {"name": "bench"}},
        "resources": {"growing-areas": {
            "type": "collection", "title": "growing areas", "description": "growing areas",
            "keywords": ["areas"],
            "extents": {"spatial": {"bbox": [WEST, SOUTH, EAST, NORTH],
                                    "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
            "providers": [{"type": "feature", "name": "PostgreSQL",
                           "data": {"host": host, "port": int(db_port), "dbname": dbname,
                                    "user": user, "password": password,
                                    "search_path": ["public"]},
                           "id_field": "id", "table": "growing_areas", "geom_field": "geom",
                           "properties": PROPERTIES.split(",")}]}},
    }))
    openapi = work / "pygeoapi-openapi.yml"
    env = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    generated = subprocess.run([str(PEERS / "bin" / "pygeoapi"), "openapi", "generate",
                                str(config), "--output-file", str(openapi)],
                               env=env, capture_output=True, text=True)
    if generated.returncode != 0:
        raise SystemExit(f"pygeoapi openapi generate failed: {generated.stderr[-2000:]}")
    return config, openapi


def servers(url: str, work: Path) -> dict:
    """Start commands per server: name → (command, env, port, probe path)."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    ports = {name: free_port() for name in ("agritrace", "agritrace-nocache", "tipg",
                                            "pygeoapi")}
    ours = {"DATABASE_URL": url, "SECRET_KEY": "bench-tiles-peer", "AGRITRACE_ENV": "production",
            "PUBLIC_BASE_URL": "https://trace.example.vn"}
    config, openapi = pygeoapi_config(work, ports["pygeoapi"], url)
    return {
        "agritrace": (gunicorn(ROOT / ".venv/bin", "agritrace:create_app()", ports["agritrace"]),
                      ours, ports["agritrace"], "/healthz"),
        "agritrace-nocache": (gunicorn(ROOT / ".venv/bin", "agritrace:create_app()",
                                       ports["agritrace-nocache"]),
                              {**ours, "TILE_CACHE_MB": "0"}, ports["agritrace-nocache"],
                              "/healthz"),
        "tipg": ([str(PEERS / "bin" / "uvicorn"), "tipg.main:app", "--workers", "2",
                  "--host", "127.0.0.1", "--port", str(ports["tipg"]), "--log-level", "warning",
                  "--no-access-log"],
                 {"DATABASE_URL": dsn, "TIPG_DB_SCHEMAS": '["public"]',
                  "TIPG_DB_TABLES": '["public.growing_areas"]',
                  "TIPG_MAX_FEATURES_PER_TILE": "1000000",
                  "TIPG_MAX_FEATURES_PER_QUERY": "1000"}, ports["tipg"], "/collections"),
        "pygeoapi": (gunicorn(PEERS / "bin", "pygeoapi.flask_app:APP", ports["pygeoapi"]),
                     {"PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)},
                     ports["pygeoapi"], "/collections?f=json"),
    }


def check_same_features(base: str, tipg: str, paths: dict) -> str:
    """One items page from each: the same number of features."""
    counts = []
    for name, root in (("agritrace", base), ("tipg", tipg)):
        with urllib.request.urlopen(root + paths[name][0]) as r:
            counts.append(len(json.load(r)["features"]))
    return f"first bbox: {counts[0]} features from AgriTrace, {counts[1]} from tipg"


def main() -> int:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: install the Debian package wrk (make test does).")
    ensure_peers()
    work = Path(tempfile.mkdtemp(prefix="tiles-peer-"))
    plan = cases()
    results: dict[str, dict[str, dict]] = {case: {} for case in plan}
    load_before = os.getloadavg()
    try:
        with bench_app("tilespeer") as (app, url):
            org_id, _user = world(app)
            fill(app, org_id)
            started = {}
            try:
                for name, (command, env, port, probe) in servers(url, work).items():
                    started[name] = (start(command, env, port, probe, name, work), port)
                # Case by case, the servers in turn and in ROUNDS alternations, so that
                # the machine's other load falls on all of them alike.
                for case, per_server in plan.items():
                    seconds = SECONDS * (3 if case == "tiles z10" else 1)
                    for round_ in range(ROUNDS):
                        for name, (_process, port) in started.items():
                            paths = per_server.get(name.replace("-nocache", ""))
                            if paths is None:
                                continue
                            base = f"http://127.0.0.1:{port}"
                            if round_ == 0:
                                load(base, paths, work, f"{name}-warm", seconds=3)
                            got = load(base, paths, work, name, seconds)
                            results[case][name] = merge(results[case].get(name), got)
            finally:
                for process, _port in started.values():
                    stop(process)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()
    return report(results, load_before, load_after)


def report(results, load_before, load_after) -> int:
    print(f"wrk: {CONNECTIONS} connections, {ROUNDS} × {SECONDS} s a case and server (z10 "
          f"× 3) after a 3 s warm-up, one server at a time; load average before "
          + " ".join(f"{x:.2f}" for x in load_before) + ", after "
          + " ".join(f"{x:.2f}" for x in load_after) + " (2 cores, shared)")
    met = True
    summary = []
    for case, by_server in results.items():
        ours = by_server["agritrace"]
        line = [f"{case}:"]
        for name, r in by_server.items():
            line.append(f"{name} {r['rps']:.0f} req/s p50 {r['p50']:.1f} ms p99 {r['p99']:.1f} ms"
                        + (f" ({r['bad']} errors)" if r["bad"] else ""))
        print("  ".join(line))
        for peer in ("tipg", "pygeoapi"):
            if peer in by_server and min(by_server[peer]["rps"], ours["rps"]) > 0:
                ratio = ours["rps"] / by_server[peer]["rps"]
                uncached = by_server["agritrace-nocache"]["rps"] / by_server[peer]["rps"]
                summary.append(f"{case} {ratio:.2f} × {peer} (uncached {uncached:.2f} ×)")
                met &= ratio >= GOAL_RATIO
        z = re.match(r"tiles z(\d+)", case)
        if z and int(z.group(1)) >= 12:
            met &= ours["p99"] < GOAL_P99_MS
        met &= ours["bad"] == 0 and ours["requests"] > 0
    print(f"AgriTrace against peers over HTTP: {'; '.join(summary)} — goal ≥ {GOAL_RATIO} × "
          f"each peer, tiles p99 < {GOAL_P99_MS:g} ms at z ≥ 12: {'met' if met else 'missed'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
