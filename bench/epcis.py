"""The EPCIS 2.0 repository's two speeds.

Capture: one EPCISDocument of 10,000 events of every type (ObjectEvents about the
organisation's own lots, by GTIN and lot, with serialised items; AggregationEvents
packing items under SSCCs; TransformationEvents; TransactionEvents under purchase
orders; AssociationEvents), half with an eventID and half named by their CBV 2.0 event
hash, POSTed to /epcis/capture with an organisation's API token: parsed, validated
against GS1's JSON Schema event by event, checked (prefixes, duplicates, whose lots),
stored with its identifiers and its lots. Against: a raw COPY of the very rows the
capture wrote (events, identifiers, lots) into tables of the same shape and indexes.

Query: 1,000,000 events loaded with COPY (about 2.4 identifiers each, from a pool of
400,000 serialised items, so an item is in about 6 events), then 300 queries
GET /epcis/events?MATCH_anyEPC=… for random items, as the organisation (whose
visibility rule, own events or events about lots one step away, is part of every
query), against the bare indexed lookup of the same item run with psycopg.
Goals: capture ≥ 2,000 events/s; MATCH_anyEPC p99 < 50 ms.
"""
from __future__ import annotations

import json
import math
import os
import random
import statistics
import time
import uuid
from datetime import date, datetime, timedelta, timezone

import psycopg
from psycopg.types.json import Jsonb

from benchdb import bench_app, world

EVENTS = 10_000
STORED = 1_000_000
ITEMS = 400_000
QUERIES = 300
LOTS = 200
GTIN = "09520009999910"
COMPANY, ITEM_REF = "0952000", "099999"         # the GTIN's EPC URN parts
GOAL_RATE, GOAL_MS = 2_000, 50.0
VIETNAM = timezone(timedelta(hours=7))
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
           {"example": "https://ns.example.com/epcis/"}]
STEPS = ("inspecting", "storing", "commissioning", "receiving", "shipping", "packing")


def sgtin(serial: int) -> str:
    return f"urn:epc:id:sgtin:{COMPANY}.{ITEM_REF}.{serial}"


def item_link(serial: int) -> str:
    """The canonical form the repository keeps an sgtin in (GS1's Digital Link)."""
    return f"https://id.gs1.org/01/00952000999993/21/{serial}"


def event(i: int, rng: random.Random) -> dict:
    """The i-th event of the document: its type by i, its identifiers at random."""
    when = datetime(2026, 11, 1, tzinfo=VIETNAM) + timedelta(minutes=i)
    head = {"eventTime": when.isoformat(), "eventTimeZoneOffset": "+07:00"}
    items = [sgtin(rng.randrange(ITEMS)) for _ in range(2)]
    place = {"id": f"urn:epc:id:sgln:{COMPANY}.00001.{i % 7}"}
    kind = i % 20
    if kind < 8:         # 40 %: about the organisation's own lots
        body = {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": STEPS[i % 3],
                "disposition": "in_progress", "epcList": items, "readPoint": place,
                "quantityList": [{"epcClass": f"https://id.gs1.org/01/{GTIN}/10/LOT-{i % LOTS}",
                                  "quantity": 12.5, "uom": "KGM"}]}
    elif kind < 12:      # 20 %
        body = {"type": "AggregationEvent", "action": "ADD", "bizStep": "packing",
                "parentID": f"urn:epc:id:sscc:{COMPANY}.{i:010d}", "childEPCs": items,
                "readPoint": place}
    elif kind < 15:      # 15 %: of others' goods (no lot of the platform goes in)
        body = {"type": "TransformationEvent", "bizStep": "commissioning",
                "inputQuantityList": [{"epcClass": f"urn:epc:class:lgtin:4012345.011111.{i}",
                                       "quantity": 30, "uom": "KGM"}],
                "outputEPCList": items, "bizLocation": place,
                "example:batchNote": f"run {i}"}
    elif kind < 18:      # 15 %
        body = {"type": "TransactionEvent", "action": "ADD", "bizStep": "shipping",
                "bizTransactionList": [{"type": "po",
                                        "bizTransaction": f"urn:epc:id:gdti:{COMPANY}.00001.{i}"}],
                "epcList": items}
    else:                # 10 %
        body = {"type": "AssociationEvent", "action": "ADD", "bizStep": "assembling",
                "parentID": f"urn:epc:id:grai:{COMPANY}.12345.{i}", "childEPCs": items}
    out = {"type": body.pop("type"), **head, **body}
    if i % 2:
        out["eventID"] = f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}"
    return out


def setup(app, org_id: int) -> dict:
    """A producer of the organisation, its product with a GTIN and LOTS lots; the
    producer's Authorization header."""
    from agritrace.db import transaction
    from agritrace.models import Batch, BatchStatus, LotOrigin, Product, Role, TokenScope
    from agritrace.services import accounts
    with app.app_context():
        with transaction() as s:
            product = Product(organization_id=org_id, name="Thanh long", category="fruit",
                              gtin=GTIN)
            s.add(product)
            s.flush()
            s.add_all(Batch(product_id=product.id, organization_id=org_id,
                            lot_code=f"LOT-{n}", quantity=1000, unit="KGM",
                            harvest_date=date(2026, 10, 1), status=BatchStatus.OPEN,
                            origin=LotOrigin.HARVEST) for n in range(LOTS))
            user = accounts.create_user(None, email="producer@bench.test",
                                        password="bench-password-42", full_name="Producer",
                                        role=Role.PRODUCER, organization_id=org_id,
                                        system=True)
        _t, secret = accounts.create_token(user, name="bench", scope=TokenScope.WRITE)
    return {"Authorization": f"Bearer {secret}"}


def capture(app, headers: dict, rng: random.Random) -> tuple[float, int]:
    """Seconds to capture the document, and its capture job's id."""
    doc = {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
           "creationDate": "2026-11-08T00:00:00+07:00",
           "epcisBody": {"eventList": [event(i, rng) for i in range(EVENTS)]}}
    body = json.dumps(doc).encode()
    client = app.test_client()
    started = time.perf_counter()
    answer = client.post("/epcis/capture", data=body, headers={
        **headers, "Content-Type": "application/ld+json"})
    elapsed = time.perf_counter() - started
    if answer.status_code != 202:
        raise SystemExit(f"capture refused: {answer.status_code} {answer.get_data(True)[:2000]}")
    job = client.get(answer.headers["Location"], headers=headers).get_json()
    if not job["success"]:
        raise SystemExit(f"capture job failed: {job['errors'][:3]}")
    return elapsed, int(job["captureID"])


TABLES = ("epcis_events", "epcis_event_epcs", "epcis_event_lots")


def raw_copy(dsn: str, capture_id: int) -> tuple[float, dict]:
    """Seconds to COPY the rows the capture wrote into empty tables like theirs (same
    columns, indexes and constraints but foreign keys), in one transaction."""
    with psycopg.connect(dsn) as conn:
        rows = {
            "epcis_events": conn.execute(
                "SELECT * FROM epcis_events WHERE capture_id = %s", (capture_id,)).fetchall(),
            "epcis_event_epcs": conn.execute(
                "SELECT x.* FROM epcis_event_epcs x JOIN epcis_events e ON e.id = x.event_pk "
                "WHERE e.capture_id = %s", (capture_id,)).fetchall(),
            "epcis_event_lots": conn.execute(
                "SELECT x.* FROM epcis_event_lots x JOIN epcis_events e ON e.id = x.event_pk "
                "WHERE e.capture_id = %s", (capture_id,)).fetchall()}
        for table in TABLES:
            conn.execute(f"CREATE TABLE bench_{table} (LIKE {table} INCLUDING ALL)")
        conn.commit()
        columns = {t: [c.name for c in conn.execute(f"SELECT * FROM {t} LIMIT 0").description]
                   for t in TABLES}
        started = time.perf_counter()
        with conn.cursor() as cursor:
            for table in TABLES:
                with cursor.copy(f"COPY bench_{table} ({', '.join(columns[table])}) "
                                 "FROM STDIN") as copy:
                    for row in rows[table]:
                        copy.write_row(tuple(Jsonb(v) if isinstance(v, (dict, list)) else v
                                             for v in row))
        conn.commit()
        elapsed = time.perf_counter() - started
        for table in TABLES:
            conn.execute(f"DROP TABLE bench_{table}")
        conn.commit()
    return elapsed, {t: len(r) for t, r in rows.items()}


def load(dsn: str, org_id: int, others: list[int], rng: random.Random) -> None:
    """STORED events with COPY: a tenth of them the organisation's, the rest others'."""
    start = datetime(2025, 1, 1, tzinfo=VIETNAM)
    with psycopg.connect(dsn) as conn:
        first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM epcis_events").fetchone()[0]
        with conn.cursor() as cursor:
            with cursor.copy("COPY epcis_events (id, event_id, organization_id, province_code, "
                             "event_time, event_type, action, biz_step, document) "
                             "FROM STDIN") as copy:
                for n in range(STORED):
                    when = start + timedelta(seconds=30 * n)
                    org = org_id if n % 10 == 0 else others[n % len(others)]
                    copy.write_row((first + n, f"urn:bench:{n}", org, 80, when, "ObjectEvent",
                                    "OBSERVE", "storing", Jsonb({
                                        "type": "ObjectEvent", "action": "OBSERVE",
                                        "eventTime": when.isoformat(),
                                        "eventTimeZoneOffset": "+07:00",
                                        "bizStep": "storing", "eventID": f"urn:bench:{n}"})))
            with cursor.copy("COPY epcis_event_epcs (epc, event_pk, field) FROM STDIN") as copy:
                for n in range(STORED):
                    serials = {rng.randrange(ITEMS) for _ in range(2 + (n % 5 == 0) * 2)}
                    for serial in serials:
                        copy.write_row((item_link(serial), first + n, "epc"))
        conn.commit()
        conn.execute("ANALYZE epcis_events")
        conn.execute("ANALYZE epcis_event_epcs")
        conn.commit()


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]


BARE = """
SELECT e.id, e.document, e.record_time FROM epcis_events e
WHERE e.id IN (SELECT event_pk FROM epcis_event_epcs WHERE epc = %s
               AND field IN ('epc', 'parent', 'input', 'output'))
ORDER BY e.event_time, e.id LIMIT 30
"""


def queries(app, dsn: str, headers: dict, rng: random.Random) -> dict:
    client = app.test_client()
    ours, bare, found = [], [], 0
    with psycopg.connect(dsn, autocommit=True, options="-c jit=off") as conn:
        for _ in range(QUERIES):
            serial = rng.randrange(ITEMS)
            started = time.perf_counter()
            answer = client.get("/epcis/events", headers=headers,
                                query_string={"MATCH_anyEPC": sgtin(serial)})
            ours.append((time.perf_counter() - started) * 1000)
            if answer.status_code != 200:
                raise SystemExit(f"query refused: {answer.get_data(True)[:500]}")
            found += len(answer.get_json()["epcisBody"]["queryResults"]["resultsBody"][
                "eventList"])
            started = time.perf_counter()
            conn.execute(BARE, (item_link(serial),)).fetchall()
            bare.append((time.perf_counter() - started) * 1000)
    return {"ours": p99(ours), "median": statistics.median(ours), "bare": p99(bare),
            "found": found / QUERIES}


def others(app, count: int = 9) -> list[int]:
    from agritrace.db import transaction
    from agritrace.models import Organization, OrgKind, OrgStatus
    with app.app_context():
        with transaction() as s:
            made = [Organization(kind=OrgKind.TRADER, name=f"Trader {n}",
                                 tax_code=f"{8000000000 + n}", address="", province_code=80,
                                 status=OrgStatus.APPROVED) for n in range(count)]
            s.add_all(made)
            s.flush()
            return [o.id for o in made]


def main() -> int:
    rng = random.Random(17)
    load_before = os.getloadavg()
    with bench_app("epcis") as (app, url):
        org_id, _official = world(app)
        headers = setup(app, org_id)
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        took, job = capture(app, headers, rng)
        copy_took, rows = raw_copy(dsn, job)
        rate = EVENTS / took
        print(f"capture of {EVENTS:,} mixed events: {took:.2f} s, {rate:,.0f} events/s; rows "
              + ", ".join(f"{t} {n:,}" for t, n in rows.items())
              + f"; raw COPY of the same rows {copy_took:.2f} s "
              f"(capture = {took / copy_took:.1f} × COPY)")
        started = time.perf_counter()
        load(dsn, org_id, others(app), rng)
        print(f"{STORED:,} events loaded with COPY in {time.perf_counter() - started:.0f} s")
        result = queries(app, dsn, headers, rng)
        print(f"MATCH_anyEPC over {STORED + EVENTS:,} events, {QUERIES} items as the "
              f"organisation: median {result['median']:.1f} ms, p99 {result['ours']:.1f} ms, "
              f"{result['found']:.1f} events an item; bare indexed lookup p99 "
              f"{result['bare']:.1f} ms")
    load_after = os.getloadavg()
    print("load average (1, 5, 15 min) before " + " ".join(f"{x:.2f}" for x in load_before)
          + ", after " + " ".join(f"{x:.2f}" for x in load_after) + " (2 cores, shared)")
    met = rate >= GOAL_RATE and result["ours"] < GOAL_MS
    print(f"EPCIS capture and query: {rate:,.0f} events/s captured ({took / copy_took:.1f} × "
          f"a raw COPY of the same rows), MATCH_anyEPC p99 {result['ours']:.1f} ms over "
          f"{STORED:,} events (bare lookup {result['bare']:.1f} ms) — goal ≥ {GOAL_RATE:,} "
          f"events/s and p99 < {GOAL_MS:g} ms: {'met' if met else 'missed'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
