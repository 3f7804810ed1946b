"""Point → growing area lookup over 100,000 areas, through the service the API's
`/api/v1/areas/at` calls (the ORM, the GiST index and the permission filter
included). 100,000 issued areas of 0.1–5 ha in a 60 km square of Tây Ninh;
3,000 lookups, two in three inside an area. Goal: p99 < 5 ms."""
from __future__ import annotations

import random
import statistics
import time

from sqlalchemy import text

from benchdb import bench_app, world

AREAS = 100_000
LOOKUPS = 3_000
GOAL_MS = 5.0

FILL = """
INSERT INTO growing_areas (code, name, crop, organization_id, geom, area_ha, perimeter_m,
                           province_code, status, target_markets, issued_at, version)
SELECT 'VN-TNOR-' || lpad(i::text, 6, '0'), 'Lô ' || i, 'rice', :org, g,
       ST_Area(g::geography) / 1e4, ST_Perimeter(g::geography), 80, 'issued', '{}', now(), 1
FROM (SELECT i, ST_Multi(ST_MakeEnvelope(x, y, x + w, y + w, 4326)) AS g
      FROM (SELECT i, 105.80 + (i % 317) * 0.0018 AS x, 10.90 + (i / 317) * 0.0018 AS y,
                   0.0003 + random() * 0.0014 AS w
            FROM generate_series(1, :n) AS i) corners) cells
"""


def main() -> int:
    with bench_app("lookup") as (app, _url):
        org_id, _user = world(app)
        from agritrace.db import session
        from agritrace.services import areas
        with app.app_context():
            s = session()
            s.execute(text(FILL), {"org": org_id, "n": AREAS})
            s.commit()
            s.execute(text("ANALYZE growing_areas"))
            centres = s.execute(text("SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) "
                                     "FROM growing_areas")).all()
        rng = random.Random(3)
        points = [rng.choice(centres) if rng.random() < 2 / 3 else
                  (rng.uniform(105.8, 106.37), rng.uniform(10.9, 11.47)) for _ in range(LOOKUPS)]
        timings, hits = [], 0
        with app.app_context():
            for lon, lat in points[:200]:          # warm the pool and caches
                areas.areas_at(None, lon, lat)
            for lon, lat in points:
                started = time.perf_counter()
                found = areas.areas_at(None, lon, lat)
                timings.append((time.perf_counter() - started) * 1000)
                hits += bool(found)
                session().rollback()
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(f"{AREAS} areas, {LOOKUPS} lookups, {hits} inside an area; p50 {p50:.2f} ms, "
          f"max {timings[-1]:.2f} ms")
    verdict = "met" if p99 < GOAL_MS else "missed"
    print(f"point → growing area lookup p99: {p99:.2f} ms ({p99 / GOAL_MS:.0%} of the "
          f"{GOAL_MS:g} ms budget, over {AREAS} areas) — goal < {GOAL_MS:g} ms: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
