"""The public code registry's CSV download of 100,000 codes, through the real view
(`/registry.csv`, a server-side cursor, rows written as they are read), against the
same download of 1,000 codes: the time, and the peak of Python's memory while the
answer streams (tracemalloc, a second pass), which must stay flat as the list grows.

The codes: 100,000 issued growing areas in Tây Ninh (one INSERT … SELECT; the trigger of
migration 0015 stores their province letters), a fifth of them approved for China.
Goal: the 100,000-code CSV in < 5 s.
"""
from __future__ import annotations

import sys
import time
import tracemalloc

from sqlalchemy import text

from benchdb import bench_app, world

CODES = 100_000
SMALL_PREFIX = "VN-TNOR-000"   # codes 000000–000999: the 1,000-code run
GOAL_S = 5.0

AREA_FILL = """
INSERT INTO growing_areas (code, name, crop, organization_id, geom, area_ha, perimeter_m,
                           province_code, ward_code, status, target_markets, issued_at, version,
                           households)
SELECT 'VN-TNOR-' || lpad(i::text, 6, '0'), 'Vùng trồng ' || i, 'thanh long', :org, g,
       ST_Area(g::geography) / 1e4, ST_Perimeter(g::geography), 80, 28210, 'issued', '{}',
       now(), 1, 1 + i % 7
FROM generate_series(0, :n - 1) i,
     LATERAL (SELECT ST_Multi(ST_MakeEnvelope(105.8 + (i % 300) * 0.002,
                                              10.9 + (i / 300) * 0.002,
                                              105.8 + (i % 300) * 0.002 + 0.0015,
                                              10.9 + (i / 300) * 0.002 + 0.0015, 4326)) g) s
"""
MARKETS = """
INSERT INTO code_markets (area_id, market, state, approved_on, list_reference)
SELECT id, 'CN', 'approved', DATE '2025-11-03', 'GACC 2025/117' FROM growing_areas
WHERE id % 5 = 0
"""


def download(client, query: str) -> tuple[int, int]:
    """Stream the CSV; (bytes, lines)."""
    answer = client.get(f"/registry.csv{query}", buffered=False)
    size = lines = 0
    for chunk in answer.response:
        size += len(chunk)
        lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
    answer.close()
    return size, lines


def run(client, query: str) -> tuple[float, float, int]:
    """(seconds, peak MB of Python allocations while streaming, rows)."""
    started = time.perf_counter()
    _size, lines = download(client, query)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    download(client, query)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return elapsed, peak, lines - 1


def main() -> int:
    with bench_app("registry") as (app, _url):
        org_id, _official = world(app)
        with app.app_context():
            from agritrace.db import transaction
            started = time.perf_counter()
            with transaction() as s:
                s.execute(text(AREA_FILL), {"org": org_id, "n": CODES})
                s.execute(text(MARKETS))
                s.execute(text("ANALYZE growing_areas; ANALYZE code_markets"))
            print(f"{CODES:,} codes made in {time.perf_counter() - started:.1f} s")
        client = app.test_client()
        download(client, f"?q={SMALL_PREFIX}")          # warm: templates, caches
        small_s, small_mb, small_rows = run(client, f"?q={SMALL_PREFIX}")
        big_s, big_mb, big_rows = run(client, "")
    print(f"  {small_rows:>7,} codes: {small_s:6.2f} s, peak {small_mb:5.1f} MB")
    print(f"  {big_rows:>7,} codes: {big_s:6.2f} s, peak {big_mb:5.1f} MB")
    verdict = "met" if big_s < GOAL_S and big_rows == CODES else "missed"
    print(f"registry CSV, {big_rows:,} codes: {big_s:.2f} s, peak {big_mb:.1f} MB "
          f"({small_rows:,} codes: {small_s:.2f} s, peak {small_mb:.1f} MB) "
          f"— goal < {GOAL_S:.0f} s: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
