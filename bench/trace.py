"""Trace back and forward over a province-sized chain, through `services.trace.trace` in
an app context (the walk, the set-based reads of lots, hand-overs, holders and cartons,
the visibility rule, the dataclasses), against the bare recursive statement of the walk
run with psycopg, same lots, same run.

The generated province (with COPY; the areas with one INSERT … SELECT): 2,000
organisations in 5 provinces (cooperatives, traders, packing houses with their codes,
exporters, distributors, retailers), 10,000 coded growing areas, and about 100,000
lots: 889 families of 50 harvests packed into one packing-house lot (50 inputs), which
is graded and split down to 8 steps from the orchard (1, 2, 4, 8, 9, 9, 9, 8 lots a step; the fifth step
mixes two lots of its own family with one of the next, so chains cross and meet
again), the last step export lots of 5 cartons each; plus one harvest lot split
tenfold four times (11,110 lots downstream) for the recall. Transformation edges and
hand-overs together: 1,000,000 (about 9 hand-overs a lot, a chain of custody each),
and two holders a lot.

Timed: back traces from 200 random lots that have inputs, forward traces from 200
random lots that went into something, each paired with the bare walk of the same
direction. Goal: p99 < 50 ms each. Then, once, recalling the root of the split lot
through `services.recalls.recall_lot` (marks every lot downstream recalled, a holder
row per holder, a notice per organisation, an e-mail per address): goal < 2 s.
"""
from __future__ import annotations

import math
import os
import random
import statistics
import time
from datetime import date, timedelta

import psycopg
from sqlalchemy import text

from benchdb import bench_app, world

FAMILIES, HARVESTS = 889, 50
STEPS = (1, 2, 4, 8, 9, 9, 9, 8)            # lots per step after the harvests
SPLIT, SPLIT_LEVELS = 10, 4                   # the recall's lot: 10 × 10 × 10 × 10
EDGES_AND_HANDOVERS = 1_000_000
CARTONS_PER_EXPORT = 5
KINDS = (("cooperative", 1200), ("trader", 300), ("packing_house", 200),
         ("exporter", 150), ("distributor", 100), ("retailer", 50))
PROVINCES = (80, 80, 80, 82, 86, 87, 91)
AREAS = 10_000
TRACES = 200
GOAL_MS, GOAL_RECALL_S = 50.0, 2.0
FIRST_ID = 1000                               # below: the rows benchdb.world made
DAY = date(2026, 6, 1)

AREA_FILL = """
INSERT INTO growing_areas (code, name, crop, organization_id, geom, area_ha, perimeter_m,
                           province_code, status, target_markets, issued_at, version)
SELECT 'VN-TNOR-' || lpad(i::text, 6, '0'), 'Lô ' || i, 'thanh long', c.ids[1 + i %% c.n],
       g, ST_Area(g::geography) / 1e4, ST_Perimeter(g::geography), 80, 'issued', '{}',
       now(), 1
FROM (SELECT array_agg(id ORDER BY id) AS ids, count(*)::int AS n FROM organizations
      WHERE kind = 'cooperative' AND id >= %(first)s) c,
     LATERAL (SELECT i, ST_Multi(ST_MakeEnvelope(105.8 + (i %% 100) * 0.002,
                                                 10.9 + (i / 100) * 0.002,
                                                 105.8015 + (i %% 100) * 0.002,
                                                 10.9015 + (i / 100) * 0.002, 4326)) AS g
              FROM generate_series(0, %(n)s - 1) AS i) cells
"""

# The UNION form of the same walk, printed beside it: each (lot, edge, depth) once,
# however many paths reach it.
UNION_BACK = """
WITH RECURSIVE back(lot_id, via_id, quantity, depth) AS (
    SELECT id, NULL::integer, NULL::numeric, 0 FROM unnest(CAST(%(starts)s AS integer[])) AS id
  UNION
    SELECT ti.batch_id, w.lot_id, ti.quantity, w.depth + 1
    FROM back w JOIN batches b ON b.id = w.lot_id
    JOIN transformation_inputs ti ON ti.transformation_id = b.transformation_id
    WHERE w.depth < %(max_depth)s)
SELECT lot_id, via_id, quantity, -depth FROM back"""
UNION_FORWARD = """
WITH RECURSIVE forward(lot_id, via_id, quantity, depth) AS (
    SELECT id, NULL::integer, NULL::numeric, 0 FROM unnest(CAST(%(starts)s AS integer[])) AS id
  UNION
    SELECT o.id, w.lot_id, ti.quantity, w.depth + 1
    FROM forward w JOIN transformation_inputs ti ON ti.batch_id = w.lot_id
    JOIN batches o ON o.transformation_id = ti.transformation_id
    WHERE w.depth < %(max_depth)s)
SELECT lot_id, via_id, quantity, depth FROM forward"""


class Province:
    """The generated rows, in the order COPY needs them."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.orgs, self.by_kind = [], {}
        self.transformations, self.lots, self.edges, self.cartons = [], [], [], []
        self.levels: dict[int, list[int]] = {}   # step → family lot ids
        self.next_lot, self.next_t = FIRST_ID, FIRST_ID
        self.split_root = None

    def organisations(self) -> None:
        org_id = FIRST_ID
        for kind, count in KINDS:
            for _ in range(count):
                self.orgs.append((org_id, kind, self.rng.choice(PROVINCES)))
                self.by_kind.setdefault(kind, []).append(org_id)
                org_id += 1

    def pick(self, kind: str) -> int:
        return self.rng.choice(self.by_kind[kind])

    def lot(self, org: int, step: int, made_by: int | None, market: str | None = None,
            area: int | None = None) -> int:
        lot_id, self.next_lot = self.next_lot, self.next_lot + 1
        origin = "harvest" if made_by is None else ("export" if market else "transformation")
        self.lots.append((lot_id, org, f"L{lot_id}", DAY + timedelta(days=step), origin,
                          made_by, market, area))
        return lot_id

    def transform(self, org: int, kind: str, step: int, inputs: list[int],
                  facility: int | None = None) -> int:
        t_id, self.next_t = self.next_t, self.next_t + 1
        self.transformations.append((t_id, org, facility, kind, DAY + timedelta(days=step)))
        self.edges.extend((t_id, lot, 100) for lot in inputs)
        return t_id

    def family(self, areas_of: dict[int, list[int]]) -> list[list[int]]:
        coops = [self.pick("cooperative") for _ in range(HARVESTS)]
        levels = [[self.lot(c, 0, None, area=self.rng.choice(areas_of[c])) for c in coops]]
        house = self.pick("packing_house")
        t = self.transform(house, "packing", 1, levels[0], facility=house)
        levels.append([self.lot(house, 1, t)])
        for step in (2, 3, 4):                     # graded and split in two, three times
            nxt = []
            for parent in levels[-1]:
                t = self.transform(house, "grading", step, [parent], facility=house)
                nxt += [self.lot(house, step, t) for _ in range(2)]
            levels.append(nxt)
        return levels

    def downstream(self, levels: list[list[int]], neighbour: list[list[int]] | None) -> None:
        """Steps 5–8 of a family: one lot each onward, plus at step 5 a lot mixing two
        of its own step-4 lots with one of the next family's (a diamond and a crossing)."""
        for step, count in zip((5, 6, 7, 8), STEPS[4:]):
            owner = self.pick("exporter" if step == 8 else "distributor")
            nxt = []
            for parent in levels[step - 1][:count]:
                t = self.transform(owner, "export" if step == 8 else "processing", step,
                                   [parent])
                nxt.append(self.lot(owner, step, t, market="CN" if step == 8 else None))
            if step == 5:
                mixed = levels[4][:2] + ([neighbour[4][0]] if neighbour else [])
                t = self.transform(owner, "processing", step, mixed)
                nxt.append(self.lot(owner, step, t))
            levels.append(nxt)
        for lot_id in levels[8]:
            self.cartons.extend((lot_id, n) for n in range(CARTONS_PER_EXPORT))

    def split_tree(self, areas_of: dict[int, list[int]]) -> None:
        coop = self.pick("cooperative")
        self.split_root = self.lot(coop, 0, None, area=areas_of[coop][0])
        parents = [self.split_root]
        for step in range(1, SPLIT_LEVELS + 1):
            owner, nxt = self.pick("packing_house"), []
            for parent in parents:
                t = self.transform(owner, "grading", step, [parent], facility=owner)
                nxt += [self.lot(owner, step, t) for _ in range(SPLIT)]
            parents = nxt

    def build(self, areas_of: dict[int, list[int]]) -> None:
        families = [self.family(areas_of) for _ in range(FAMILIES)]
        for i, levels in enumerate(families):
            self.downstream(levels, families[i + 1] if i + 1 < FAMILIES else None)
            for step, ids in enumerate(levels):
                self.levels.setdefault(step, []).extend(ids)
        self.split_tree(areas_of)

    def handover_counts(self) -> list[int]:
        """Hand-overs per lot, 1 to 17, summing with the edges to EDGES_AND_HANDOVERS."""
        want = EDGES_AND_HANDOVERS - len(self.edges)
        counts = [self.rng.randint(1, 17) for _ in self.lots]
        diff, i = want - sum(counts), 0
        while diff:
            step = 1 if diff > 0 else -1
            if 1 <= counts[i] + step <= 17:
                counts[i] += step
                diff -= step
            i = (i + 1) % len(counts)
        return counts


def load_parties(dsn: str, p: Province) -> dict[int, list[int]]:
    """Organisations, their users, products and packing houses with COPY, the coded
    areas with one INSERT … SELECT; returns each cooperative's area ids."""
    houses = set(p.by_kind["packing_house"])
    orgs = [o[0] for o in p.orgs]
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        _copy(cur, "organizations (id, kind, name, tax_code, address, province_code, status, "
              "email)", ((i, k, f"Tổ chức {i}", f"{5000000000 + i}", "", prov, "approved",
                          f"org{i}@bench.test") for i, k, prov in p.orgs))
        _copy(cur, "users (email, password_hash, full_name, role, organization_id, active)",
              ((f"user{i}@bench.test", "-", f"User {i}", "producer", i, True) for i in orgs))
        _copy(cur, "products (id, organization_id, name, category, description, "
              "description_en)", ((i, i, f"Sản phẩm {i}", "fruit", "", "") for i in orgs))
        _copy(cur, "facilities (id, kind, code, name, organization_id, geom, address, "
              "province_code, status)",
              ((i, "packing_house", f"VN-TNPH-{i:05d}", f"Xưởng {i}", i,
                "SRID=4326;POINT(106.2 11.4)", "", 80, "active") for i in sorted(houses)))
        cur.execute(AREA_FILL, {"first": FIRST_ID, "n": AREAS})
        areas_of: dict[int, list[int]] = {}
        for area_id, org in cur.execute("SELECT id, organization_id FROM growing_areas "
                                        "ORDER BY id"):
            areas_of.setdefault(org, []).append(area_id)
        conn.commit()
    return areas_of


def load_chain(dsn: str, p: Province) -> dict:
    """The lots, edges, hand-overs, holdings and cartons with COPY; the row counts."""
    owner = {lot[0]: lot[1] for lot in p.lots}
    orgs = [o[0] for o in p.orgs]
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        _copy(cur, "transformations (id, organization_id, facility_id, kind, happened_on, "
              "loss_quantity, unit, note)",
              ((t, o, f, k, d, 0, "KGM", "") for t, o, f, k, d in p.transformations))
        _copy(cur, "batches (id, product_id, organization_id, lot_code, harvest_date, "
              "pack_date, quantity, unit, status, origin, transformation_id, market)",
              ((i, o, o, code, day if made is None else None, day, 1000, "KGM", "open",
                origin, made, market) for i, o, code, day, origin, made, market, _a in p.lots))
        _copy(cur, "batch_areas (batch_id, area_id)",
              ((lot[0], lot[7]) for lot in p.lots if lot[7] is not None))
        _copy(cur, "transformation_inputs (transformation_id, batch_id, quantity)", p.edges)
        handovers = _copy(cur, "handovers (batch_id, sender_id, receiver_id, quantity, unit, "
                          "dispatched_on, delivery_note, vehicle, status, received_quantity, "
                          "received_on)", _handovers(p, owner, orgs))
        _copy(cur, "holdings (batch_id, organization_id, balance)", _holdings(p, owner, orgs))
        from labels.sscc import build_sscc
        _copy(cur, "logistic_units (sscc, organization_id, batch_id, kind, net_weight_kg, "
              "packed_on)", ((build_sscc("8930001", n), owner[lot], lot, "carton", 10, DAY)
                             for n, (lot, _i) in enumerate(p.cartons, 1)))
        for table in ("organizations", "products", "facilities", "transformations", "batches"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))")
        conn.commit()
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")
    return {"lots": len(p.lots), "edges": len(p.edges), "handovers": handovers,
            "transformations": len(p.transformations), "cartons": len(p.cartons)}


def _copy(cur, target: str, rows) -> int:
    n = 0
    with cur.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def _handovers(p: Province, owner: dict[int, int], orgs: list[int]):
    """A chain of custody per lot: the owner sends it on, each receiver sends it on."""
    rng = p.rng
    for lot, count in zip(p.lots, p.handover_counts()):
        sender = owner[lot[0]]
        for n in range(count):
            receiver = rng.choice(orgs)
            while receiver == sender:
                receiver = rng.choice(orgs)
            sent_on = lot[3] + timedelta(days=n)
            yield (lot[0], sender, receiver, 100, "KGM", sent_on, f"PGH-{lot[0]}-{n}", "",
                   "received", 98 if n % 5 == 0 else 100, sent_on + timedelta(days=1))
            sender = receiver


def _holdings(p: Province, owner: dict[int, int], orgs: list[int]):
    for lot in p.lots:
        other = p.rng.choice(orgs)
        yield lot[0], owner[lot[0]], 400
        if other != owner[lot[0]]:
            yield lot[0], other, 100


def percentiles(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[max(0, math.ceil(len(ordered) * 0.99) - 1)]


def measure(app, admin, bare, starts: list[int], direction: str) -> dict:
    from agritrace.services import trace_walk
    from agritrace.services.trace import MAX_DEPTH, trace
    sql = trace_walk.walk_sql(direction).replace(":starts", "%(starts)s") \
        .replace(":max_depth", "%(max_depth)s")
    union = UNION_BACK if direction == "back" else UNION_FORWARD
    ours, walked, unioned, sizes, rows = [], [], [], [], [0, 0]
    for lot_id in starts[:20]:                          # warm up
        with app.app_context():
            trace(admin, lot_id, direction=direction)
    for lot_id in starts:
        params = {"starts": [lot_id], "max_depth": MAX_DEPTH}
        started = time.perf_counter()
        with app.app_context():
            found = trace(admin, lot_id, direction=direction)
        ours.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        rows[0] += len(bare.execute(sql, params).fetchall())
        walked.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        rows[1] += len(bare.execute(union, params).fetchall())
        unioned.append((time.perf_counter() - started) * 1000)
        sizes.append((len(found.lots), len(found.handovers)))
    lots = statistics.median(s[0] for s in sizes)
    handovers = statistics.median(s[1] for s in sizes)
    print(f"{direction}: {len(starts)} traces, median {lots:.0f} lots and {handovers:.0f} "
          f"hand-overs each (largest {max(s[0] for s in sizes)} lots); service p50 "
          f"{percentiles(ours)[0]:.1f} ms, p99 {percentiles(ours)[1]:.1f} ms; bare walk "
          f"(CYCLE) p50 {percentiles(walked)[0]:.2f}, p99 {percentiles(walked)[1]:.2f} ms, "
          f"{rows[0]:,} rows; the same walk with UNION p50 {percentiles(unioned)[0]:.2f}, "
          f"p99 {percentiles(unioned)[1]:.2f} ms, {rows[1]:,} rows")
    return {"ours": percentiles(ours)[1], "bare": percentiles(walked)[1]}


def recall(app, admin, root: int) -> str:
    try:
        from agritrace.services.recalls import recall_lot
    except ImportError:
        return "no services/recalls.recall_lot to time"
    from agritrace.db import session
    started = time.perf_counter()
    with app.app_context():
        made = recall_lot(admin, root, "Dư lượng vượt mức cho phép (bench)")
        elapsed = time.perf_counter() - started
        s = session()
        counts = s.execute(text(
            "SELECT (SELECT count(*) FROM batches WHERE recall_id = :r), "
            "(SELECT count(*) FROM recall_holders WHERE recall_id = :r), "
            "(SELECT count(*) FROM notices WHERE recall_id = :r), "
            "(SELECT count(*) FROM outbox o JOIN notices n ON n.id = o.notice_id "
            " WHERE n.recall_id = :r)"), {"r": made.id}).one()
    verdict = "met" if elapsed < GOAL_RECALL_S else "missed"
    return (f"recall of a lot with {SPLIT_LEVELS}-step split downstream: {elapsed:.2f} s for "
            f"{counts[0]:,} lots marked, {counts[1]:,} holder rows, {counts[2]:,} notices, "
            f"{counts[3]:,} e-mails queued — goal < {GOAL_RECALL_S:g} s: {verdict}")


def main() -> int:
    rng = random.Random(16)
    load_before = os.getloadavg()
    with bench_app("trace") as (app, url):
        _org, _official = world(app)
        from agritrace.models import Role
        from agritrace.services import accounts
        with app.app_context():
            admin = accounts.create_user(None, email="admin@bench.test",
                                         password="bench-password-42", full_name="Admin",
                                         role=Role.ADMIN, system=True)
        p = Province(rng)
        p.organisations()
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        started = time.perf_counter()
        p.build(load_parties(dsn, p))
        counts = load_chain(dsn, p)
        print(f"generated and loaded in {time.perf_counter() - started:.0f} s: "
              + ", ".join(f"{v:,} {k}" for k, v in counts.items())
              + f"; edges + hand-overs {counts['edges'] + counts['handovers']:,}")
        back = rng.sample([i for step in range(1, 9) for i in p.levels[step]], TRACES)
        forward = rng.sample([i for step in range(0, 8) for i in p.levels[step]], TRACES)
        with psycopg.connect(dsn, autocommit=True, options="-c jit=off") as bare:
            results = {d: measure(app, admin, bare, starts, d)
                       for d, starts in (("back", back), ("forward", forward))}
            from agritrace.services.trace import trace
            started = time.perf_counter()
            with app.app_context():
                whole = trace(admin, p.split_root, direction="forward")
            print(f"forward from the split lot: {len(whole.lots):,} lots, "
                  f"{len(whole.handovers):,} hand-overs in "
                  f"{(time.perf_counter() - started) * 1000:.0f} ms")
        print(recall(app, admin, p.split_root))
    load_after = os.getloadavg()
    print("load average (1, 5, 15 min) before " + " ".join(f"{x:.2f}" for x in load_before)
          + ", after " + " ".join(f"{x:.2f}" for x in load_after) + " (2 cores, shared)")
    met = all(r["ours"] < GOAL_MS for r in results.values())
    print(f"trace back and forward: p99 {results['back']['ours']:.1f} ms / "
          f"{results['forward']['ours']:.1f} ms (bare recursive SQL "
          f"{results['back']['bare']:.1f} / {results['forward']['bare']:.1f} ms) — goal p99 "
          f"< {GOAL_MS:g} ms: {'met' if met else 'missed'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
