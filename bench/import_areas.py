"""Importing a 10,000-plot zipped Shapefile: our import (read, validate every plot,
overlap check against the database and within the file, create the areas, their
versions and audit rows, all in one transaction) against GDAL's `ogr2ogr -f
PostgreSQL` loading the same file with no checks, in the same run and database.
Goal: at most 3 × ogr2ogr's time."""
from __future__ import annotations

import math
import random
import shutil
import statistics
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pyogrio
import pyogrio.raw
import shapely
from shapely.affinity import rotate

from benchdb import bench_app, world

PLOTS = 10_000
RUNS = 3
GOAL_RATIO = 3.0
ORIGIN_LON, ORIGIN_LAT = 106.00, 11.20   # Tây Ninh
CELL_M = 300                              # one plot per 300 m cell: never overlapping


def plots(n: int, seed: int = 7) -> list:
    """Rotated rectangles of 0.1–5 ha, one per cell of a 300 m grid."""
    rng = random.Random(seed)
    per_row = math.ceil(math.sqrt(n))
    m_lat = 110_574.0
    m_lon = 111_320.0 * math.cos(math.radians(ORIGIN_LAT))
    out = []
    for i in range(n):
        row, col = divmod(i, per_row)
        area_m2 = rng.uniform(1_000, 50_000)
        ratio = rng.uniform(0.6, 1.6)
        w, h = math.sqrt(area_m2 * ratio), math.sqrt(area_m2 / ratio)
        cx, cy = col * CELL_M + CELL_M / 2, row * CELL_M + CELL_M / 2
        box = shapely.box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        box = rotate(box, rng.uniform(-10, 10), origin="centroid")
        out.append(shapely.transform(box, lambda xy: np.column_stack(
            [ORIGIN_LON + xy[:, 0] / m_lon, ORIGIN_LAT + xy[:, 1] / m_lat])))
    return out


def shapefile_zip(geoms: list, folder: Path) -> Path:
    shp = folder / "plots.shp"
    pyogrio.raw.write(str(shp), geometry=shapely.to_wkb(geoms), geometry_type="Polygon",
                  field_data=[np.array([f"Lô {i + 1}" for i in range(len(geoms))])],
                  fields=["name"], crs="EPSG:4326", encoding="UTF-8")
    target = folder / "plots.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for part in folder.glob("plots.*"):
            if part.suffix != ".zip":
                z.write(part, part.name)
    return target


def ogr2ogr_seconds(path: Path, url: str, run: int) -> float:
    started = time.perf_counter()
    subprocess.run(["ogr2ogr", "-f", "PostgreSQL", _pg(url), f"/vsizip/{path}",
                    "-nln", f"ogr_plots_{run}", "-overwrite", "-lco", "GEOMETRY_NAME=geom"],
                   check=True, capture_output=True)
    return time.perf_counter() - started


def _pg(url: str) -> str:
    from sqlalchemy.engine import make_url
    u = make_url(url)
    return (f"PG:host={u.host} port={u.port} dbname={u.database} user={u.username} "
            f"password={u.password}")


def ours_seconds(app, data: bytes, org_id: int, user_id: int) -> tuple[float, int]:
    from sqlalchemy import text

    from agritrace.db import session
    from agritrace.models import User
    from agritrace.services import area_imports
    with app.app_context():
        official = session().get(User, user_id)
        started = time.perf_counter()
        record = area_imports.check_import(official, data, "plots.zip", organization_id=org_id,
                                           crop="rice", commit=True, skip_invalid=False)
        elapsed = time.perf_counter() - started
        created = session().scalar(text("SELECT count(*) FROM growing_areas WHERE import_id "
                                         "= :i"), {"i": record.id})
        # Clear the way for the next run (the areas would overlap it).
        session().execute(text("DELETE FROM growing_areas"))
        session().commit()
    return elapsed, created


def main() -> int:
    if shutil.which("ogr2ogr") is None:
        print("ogr2ogr is missing: `make test` installs Debian's gdal-bin.")
        return 1
    with tempfile.TemporaryDirectory() as tmp, bench_app("import") as (app, url):
        path = shapefile_zip(plots(PLOTS), Path(tmp))
        data = path.read_bytes()
        print(f"{PLOTS} plots, {len(data) / 1e6:.1f} MB zipped Shapefile")
        org_id, user_id = world(app)
        ogr, ours = [], []
        for run in range(RUNS):
            ogr.append(ogr2ogr_seconds(path, url, run))
            seconds, created = ours_seconds(app, data, org_id, user_id)
            assert created == PLOTS, f"only {created} of {PLOTS} plots were imported"
            ours.append(seconds)
            print(f"run {run + 1}: ogr2ogr {ogr[-1]:.2f} s, ours {ours[-1]:.2f} s")
    o, g = statistics.median(ours), statistics.median(ogr)
    ratio = o / g
    verdict = "met" if ratio <= GOAL_RATIO else "missed"
    print(f"import of {PLOTS} plots: {o:.2f} s ({ratio:.2f} × ogr2ogr's {g:.2f} s, median of "
          f"{RUNS}) — goal ≤ {GOAL_RATIO:g} × ogr2ogr: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
