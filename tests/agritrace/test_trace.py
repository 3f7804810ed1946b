"""Tracing back and forward along the chain: two cooperatives → a packing house → an
exporter → an importer abroad. The chain is written row by row here, as the hand-over
and transformation services would leave it, so that these tests judge the trace alone."""
from __future__ import annotations

import copy
import logging
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from epcis_event_hash_generator import hash_generator, json_to_py
from sqlalchemy import select

from agritrace.clock import now, today
from agritrace.epcis import validate_document
from agritrace.errors import NotFound
from agritrace.models import (Batch, BatchStatus, ExternalParty, Facility, FacilityKind,
                              FacilityStatus, Handover, HandoverStatus, Holding, LogisticUnit,
                              LotOrigin, OrgKind, Organization, OrgStatus, Product, Role,
                              Stamp, Transformation, TransformationInput,
                              TransformationKind, UnitKind)
from agritrace.services import accounts
from agritrace.services.trace import Start, StartKind, public_chain, trace
from labels.codes import compact_code, format_code
from labels.sscc import build_sscc
from support import PASSWORD, TAY_NINH, english, login
from test_batches import issued_area, new_batch

pytestmark = pytest.mark.filterwarnings("ignore:open_text is deprecated:DeprecationWarning")

HOUSE_CODE = "VN-TNPH-0042"
PREFIX = "8930001"


def _org(db, name, tax, kind, **extra):
    org = Organization(kind=kind, name=name, tax_code=tax, address="", province_code=TAY_NINH,
                       status=OrgStatus.APPROVED, **extra)
    db.add(org)
    db.flush()
    user = accounts.create_user(None, email=f"{tax}@test.vn", password=PASSWORD,
                                full_name=name, role=Role.PRODUCER, organization_id=org.id,
                                system=True)
    return org, user


def _lot(db, org, product, code, origin, made_by=None, quantity="1000", **extra):
    lot = Batch(organization_id=org.id, product_id=product.id, lot_code=code,
                quantity=Decimal(quantity), unit="KGM", origin=origin,
                transformation_id=made_by.id if made_by else None,
                pack_date=made_by.happened_on if made_by else None, **extra)
    db.add(lot)
    db.flush()
    return lot


def _transform(db, org, facility, kind, day, inputs):
    t = Transformation(organization_id=org.id, facility_id=facility.id if facility else None,
                       kind=kind, happened_on=day, unit="KGM", loss_quantity=Decimal(0))
    db.add(t)
    db.flush()
    db.add_all([TransformationInput(transformation_id=t.id, batch_id=lot.id,
                                    quantity=Decimal(q)) for lot, q in inputs])
    return t


def _handover(db, lot, sender, quantity, day, note, receiver=None, party=None,
              received=None):
    h = Handover(batch_id=lot.id, sender_id=sender.id, receiver_id=receiver.id if receiver
                 else None, external_party_id=party.id if party else None,
                 quantity=Decimal(quantity), unit="KGM", dispatched_on=day, delivery_note=note,
                 vehicle="70C-123.45",
                 status=HandoverStatus.DELIVERED if party else HandoverStatus.RECEIVED,
                 received_quantity=None if party else Decimal(received or quantity),
                 received_on=None if party else day + timedelta(days=1))
    db.add(h)
    return h


def build_chain(app, client, db, world):
    """Harvests of A and B → packing house (its code) → exporter → importer in China."""
    a, b = english(world.token(world.producer_a)), english(world.token(world.producer_b))
    area_a, area_b = issued_area(client, world, 0), issued_area(client, world, 300, org="b")
    day = today() - timedelta(days=20)
    harvest_a = new_batch(client, a, world, [area_a], lot_code="TL-A-1",
                          harvest_date=str(day), pack_date=str(day),
                          expiry_date=str(day + timedelta(days=60)), quantity=1200).get_json()
    harvest_b = new_batch(client, b, world, [area_b], lot_code="CH-B-1",
                          product_id=world.product_b.id, harvest_date=str(day),
                          pack_date=str(day), expiry_date=str(day + timedelta(days=60)),
                          quantity=800).get_json()
    diary = client.post("/api/v1/diary", headers=a, json={
        "step": "irrigation", "event_time": f"{day - timedelta(days=3)}T07:00:00+07:00",
        "details": {}, "batch_id": harvest_a["id"]})
    assert diary.status_code == 201, diary.get_json()
    with app.app_context():
        house, house_user = _org(db, "Nhà đóng gói Mỹ Thuận", "6666666666",
                                 OrgKind.PACKING_HOUSE)
        exporter, exporter_user = _org(db, "Xuất khẩu Tây Ninh", "7777777777",
                                       OrgKind.EXPORTER, gs1_company_prefix=PREFIX)
    facility = Facility(kind=FacilityKind.PACKING_HOUSE, code=HOUSE_CODE, name="Xưởng 1",
                        organization_id=house.id, geom="SRID=4326;POINT(106.21 11.41)",
                        province_code=TAY_NINH, status=FacilityStatus.ACTIVE)
    packed, export = (Product(organization_id=o.id, name=n, category="fruit")
                      for o, n in ((house, "Thanh long đóng hộp"),
                                   (exporter, "Thanh long xuất khẩu")))
    importer = ExternalParty(organization_id=exporter.id, name="Guangzhou Fruit Co.",
                             country="CN")
    db.add_all([facility, packed, export, importer])
    db.flush()
    lot_a, lot_b = db.get(Batch, harvest_a["id"]), db.get(Batch, harvest_b["id"])
    _handover(db, lot_a, world.org_a, 1000, day + timedelta(days=1), "PGH-A-01",
              receiver=house, received=950)
    _handover(db, lot_b, world.org_b, 800, day + timedelta(days=1), "PGH-B-01",
              receiver=house)
    packing = _transform(db, house, facility, TransformationKind.PACKING,
                         day + timedelta(days=3), [(lot_a, 950), (lot_b, 800)])
    box = _lot(db, house, packed, "DG-2026-01", LotOrigin.TRANSFORMATION, packing, "1700")
    _handover(db, box, house, 1700, day + timedelta(days=4), "PGH-DG-07", receiver=exporter)
    exporting = _transform(db, exporter, None, TransformationKind.EXPORT,
                           day + timedelta(days=5), [(box, 1700)])
    lot_e = _lot(db, exporter, export, "XK-CN-001", LotOrigin.EXPORT, exporting, "1700",
                 market="CN")
    cartons = [build_sscc(PREFIX, n) for n in range(1, 4)]
    db.add_all([LogisticUnit(sscc=c, organization_id=exporter.id, batch_id=lot_e.id,
                             kind=UnitKind.CARTON, net_weight_kg=Decimal(10),
                             packed_on=day + timedelta(days=5)) for c in cartons])
    _handover(db, lot_e, exporter, 1500, day + timedelta(days=6), "INV-2026-09", party=importer)
    # Merged: whatever opening balances the batch service booked, these are the stocks.
    for lot, org, balance in ((lot_a, world.org_a, 200), (lot_b, world.org_b, 0),
                              (lot_e, exporter, 200)):
        db.merge(Holding(batch_id=lot.id, organization_id=org.id, balance=Decimal(balance)))
    db.commit()
    return SimpleNamespace(a=lot_a, b=lot_b, box=box, export=lot_e, house=house,
                           house_user=house_user, exporter=exporter,
                           exporter_user=exporter_user, importer=importer, cartons=cartons,
                           area_a=area_a, area_b=area_b, facility=facility, day=day)


@pytest.fixture
def chain(app, client, db, world):
    return build_chain(app, client, db, world)


def run(app, actor, start, **kw):
    with app.app_context():
        return trace(actor, start, **kw)


def ids(found):
    return {lot.id: lot.depth for lot in found.lots}


def test_back_from_the_export_lot_reaches_the_orchard_codes_and_diaries(app, world, chain):
    found = run(app, world.official_p, chain.export.id, direction="back")
    assert ids(found) == {chain.export.id: 0, chain.box.id: -1, chain.a.id: -2,
                          chain.b.id: -2}
    assert {c for lot in found.lots for c in lot.area_codes} \
        == {chain.area_a["code"], chain.area_b["code"]}
    assert found.by_id[chain.a.id].diary_entries == 1
    assert found.by_id[chain.box.id].packing_house_code == HOUSE_CODE
    assert {(e.input_id, e.output_id, e.quantity) for e in found.edges} == {
        (chain.a.id, chain.box.id, Decimal(950)), (chain.b.id, chain.box.id, Decimal(800)),
        (chain.box.id, chain.export.id, Decimal(1700))}
    notes = {h.delivery_note: h for h in found.handovers}
    assert set(notes) == {"PGH-A-01", "PGH-B-01", "PGH-DG-07", "INV-2026-09"}
    assert notes["PGH-A-01"].shortfall == Decimal(50)
    assert notes["INV-2026-09"].external_name == "Guangzhou Fruit Co."
    assert {(h.batch_id, h.balance) for h in found.holders} == {
        (chain.a.id, Decimal(200)), (chain.export.id, Decimal(200))}
    assert not found.hidden and not found.truncated


def test_forward_from_a_cooperatives_batch_reaches_the_cartons(app, world, chain):
    found = run(app, world.official_p, chain.a.id, direction="forward")
    assert ids(found) == {chain.a.id: 0, chain.box.id: 1, chain.export.id: 2}
    assert sorted(c.sscc for c in found.cartons) == chain.cartons
    assert found.by_id[chain.export.id].market == "CN"


@pytest.mark.parametrize("kind, value", [
    (StartKind.SSCC, "carton"), (StartKind.AREA, "area"), (StartKind.FACILITY, HOUSE_CODE)])
def test_a_trace_starts_from_an_sscc_an_area_code_or_a_packing_house_code(app, world, chain,
                                                                          kind, value):
    value = {"carton": f"(00) {chain.cartons[1]}", "area": chain.area_a["code"].lower()}.get(
        value, value)
    found = run(app, world.admin, Start(kind, value))
    assert {chain.a.id, chain.box.id, chain.export.id} <= set(ids(found))
    expected = {StartKind.SSCC: chain.export.id, StartKind.AREA: chain.a.id,
                StartKind.FACILITY: chain.box.id}[kind]
    assert found.start_ids == [expected]


def test_an_organisation_sees_one_step_back_and_one_forward(app, world, chain):
    mine = run(app, world.producer_a, chain.a.id)
    assert ids(mine) == {chain.a.id: 0, chain.box.id: 1}     # whom it supplied, no further
    assert mine.hidden
    assert {h.delivery_note for h in mine.handovers} == {"PGH-A-01"}
    assert {h.organization_id for h in mine.holders} == {world.org_a.id}
    assert mine.cartons == []
    house = run(app, chain.house_user, chain.box.id)
    assert set(ids(house)) == {chain.a.id, chain.b.id, chain.box.id, chain.export.id}
    assert {h.delivery_note for h in house.handovers} == {"PGH-A-01", "PGH-B-01",
                                                          "PGH-DG-07"}
    assert house.hidden                       # the exporter's shipment abroad is not its own
    with pytest.raises(NotFound):             # two steps from A's lot
        run(app, world.producer_a, chain.export.id)
    with pytest.raises(NotFound):             # nothing of B's chain
        run(app, world.producer_b, chain.a.id)


def test_an_official_of_another_province_gets_not_found(app, world, chain):
    with pytest.raises(NotFound):
        run(app, world.official_q, chain.export.id)
    with pytest.raises(NotFound):
        run(app, world.official_q, Start(StartKind.AREA, chain.area_a["code"]))
    assert len(run(app, world.admin, chain.export.id).lots) == 4


def test_the_public_view_has_codes_and_dates_but_no_quantities(app, chain):
    with app.app_context():
        public = public_chain(chain.export.id)
    assert public.upstream
    assert public.area_codes == sorted([chain.area_a["code"], chain.area_b["code"]])
    assert public.packing_house_codes == [HOUSE_CODE]
    assert [s.depth for s in public.steps] == [-2, -2, -1, 0]
    fields = set(vars(public.steps[0]))
    assert not fields & {"quantity", "organization_name", "lot_code", "balance"}
    assert fields >= {"harvest_date", "made_on", "area_codes", "packing_house_code"}


# --- the API ---------------------------------------------------------------------------------

def test_the_api_traces_from_every_kind_of_start(client, db, world, chain):
    p, q = english(world.token(world.official_p)), english(world.token(world.official_q))
    a = english(world.token(world.producer_a))
    order = client.post("/api/v1/stamp-orders", headers=a,
                        json={"batch_id": chain.a.id, "quantity": 2}).get_json()
    assert client.post(f"/api/v1/stamp-runs/{order['run_id']}/activate",
                       headers=a).status_code == 200
    stamp = db.scalars(select(Stamp.id).where(Stamp.run_id == order["run_id"])).first()
    for path in (f"lots/{chain.export.id}", f"sscc/{chain.cartons[0]}",
                 f"stamps/{format_code(stamp)}", f"areas/{chain.area_a['code']}",
                 f"facilities/{HOUSE_CODE}"):
        got = client.get(f"/api/v1/trace/{path}", headers=p)
        assert got.status_code == 200, (path, got.get_json())
        body = got.get_json()
        assert {lot["lot_code"] for lot in body["lots"]} >= {"TL-A-1", "DG-2026-01",
                                                              "XK-CN-001"}, path
        assert client.get(f"/api/v1/trace/{path}", headers=q).status_code == 404
    body = client.get(f"/api/v1/trace/lots/{chain.export.id}?direction=back",
                      headers=p).get_json()
    short = [h for h in body["handovers"] if h["delivery_note"] == "PGH-A-01"]
    assert short[0]["shortfall"] == 50 and short[0]["received_quantity"] == 950
    assert body["hidden"] is False and len(body["lots"]) == 4
    mine = client.get(f"/api/v1/trace/lots/{chain.a.id}", headers=a).get_json()
    assert mine["hidden"] is True and {lot["lot_code"] for lot in mine["lots"]} \
        == {"TL-A-1", "DG-2026-01"}
    bad = client.get("/api/v1/trace/sscc/123456789012345678", headers=p)
    assert bad.status_code == 422 and "sscc" in bad.get_json()["errors"]
    assert client.get("/api/v1/trace/areas/VN-TNOR-9999", headers=p).status_code == 404
    assert client.get(f"/api/v1/trace/lots/{chain.export.id}").status_code == 401


def reference_hashes(doc: dict) -> list[str]:
    """GS1's reference hash of each event, each read in a document of its own: the
    reference replaces a bare CBV word anywhere in a document, so a packing
    transformation's kind ("packing") would read as the bizStep of the cartons' events
    beside it (event_hash.py follows the standard's text there)."""
    previous = logging.root.manager.disable
    logging.disable(logging.ERROR)
    try:
        found = []
        for event in doc["epcisBody"]["eventList"]:
            alone = {**doc, "epcisBody": {"eventList": [event]}}
            found += hash_generator.epcis_hashes_from_events(
                json_to_py.event_list_from_epcis_document_json(copy.deepcopy(alone)))
        return found
    finally:
        logging.disable(previous)


def test_the_chain_exports_as_epcis_valid_and_named_by_the_reference_hash(client, db, world,
                                                                          chain):
    lot = db.get(Batch, chain.box.id)
    lot.status, lot.recall_reason = BatchStatus.RECALLED, "Dư lượng vượt MRL"
    lot.recalled_at = now()
    db.commit()
    got = client.get(f"/api/v1/trace/lots/{chain.export.id}/epcis",
                     headers=english(world.token(world.official_p)))
    assert got.status_code == 200 and got.mimetype == "application/ld+json"
    doc = got.get_json()
    assert validate_document(doc) == []
    events = doc["epcisBody"]["eventList"]
    assert reference_hashes(doc) == [e["eventID"] for e in events]
    kinds = [(e["type"], e.get("bizStep"), e.get("disposition")) for e in events]
    assert kinds.count(("ObjectEvent", "shipping", "in_transit")) == 4
    assert kinds.count(("ObjectEvent", "receiving", "in_progress")) == 3
    assert kinds.count(("TransformationEvent", "commissioning", None)) == 2
    assert kinds.count(("AggregationEvent", "packing", None)) == 3
    assert kinds.count(("ObjectEvent", "holding", "recalled")) == 1
    packing = next(e for e in events if e["type"] == "TransformationEvent"
                   and len(e["inputQuantityList"]) == 2)
    assert sorted(q["quantity"] for q in packing["inputQuantityList"]) == [800, 950]
    assert [e["eventTime"] for e in events] == sorted(e["eventTime"] for e in events)
    shipped = next(e for e in events if e.get("bizStep") == "shipping"
                   and "external" in e["destinationList"][0]["destination"])
    assert shipped["bizTransactionList"][0]["type"] == "desadv"
    assert client.get(f"/api/v1/trace/lots/{chain.export.id}/epcis", headers=english(
        world.token(world.official_q))).status_code == 404


# --- the pages --------------------------------------------------------------------------------

def test_the_trace_page_lists_every_step_with_dates_and_quantities(app, client, world, chain):
    assert login(client, world.official_p.email, PASSWORD).status_code in (302, 303)
    page = client.get(f"/trace/lots/{chain.export.id}", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for text in (chain.area_a["code"], chain.area_b["code"], HOUSE_CODE, "PGH-A-01",
                 "PGH-DG-07", "INV-2026-09", "Guangzhou Fruit Co.", "short by 50",
                 chain.cartons[0], "2 steps back", str(chain.day)):
        assert text in html, text
    assert "<script" not in html.split("<main>")[1]
    assert 'id="chain-hidden"' not in html
    found = client.get(f"/trace?kind=area&q={chain.area_a['code']}&direction=forward",
                       headers={"Accept-Language": "en"})
    assert found.status_code == 200 and "XK-CN-001" in found.get_data(as_text=True)
    wrong = client.get("/trace?kind=sscc&q=42", headers={"Accept-Language": "en"})
    assert wrong.status_code == 400 and "not an SSCC" in wrong.get_data(as_text=True)
    assert client.get("/trace?kind=facility&q=VN-XXPH-0000").status_code == 404


def test_an_organisation_is_told_that_the_deeper_chain_is_hidden(client, world, chain):
    assert login(client, world.producer_a.email, PASSWORD).status_code in (302, 303)
    html = client.get(f"/trace/lots/{chain.a.id}", headers={"Accept-Language": "en"}) \
        .get_data(as_text=True)
    assert 'id="chain-hidden"' in html and "DG-2026-01" in html
    assert "XK-CN-001" not in html and "Guangzhou" not in html
    assert client.get(f"/trace/lots/{chain.export.id}").status_code == 404
    assert client.get(f"/trace/lots/{chain.a.id}", headers={"Accept-Language": "vi"}) \
        .status_code == 200


def test_the_scan_page_shows_the_public_part_of_the_chain(client, db, world, chain):
    exporter = english(world.token(chain.exporter_user))
    order = client.post("/api/v1/stamp-orders", headers=exporter,
                        json={"batch_id": chain.export.id, "quantity": 2})
    assert order.status_code == 201, order.get_json()
    run_id = order.get_json()["run_id"]
    assert client.post(f"/api/v1/stamp-runs/{run_id}/activate",
                       headers=exporter).status_code == 200
    stamp = db.scalars(select(Stamp.id).where(Stamp.run_id == run_id)).first()
    html = client.get(f"/s/{compact_code(stamp)}", headers={"Accept-Language": "en"}) \
        .get_data(as_text=True)
    part = html.split('id="chain"', 1)[1].split("</section>", 1)[0]
    for code in (chain.area_a["code"], chain.area_b["code"], HOUSE_CODE,
                 f"Harvested {chain.day:%b} {chain.day.day}, {chain.day.year}"):
        assert code in part, code
    for secret in ("950", "800", "1,700", "1700", "Guangzhou", "HTX A", "HTX B",
                   "Mỹ Thuận", "PGH-", "TL-A-1", "CH-B-1"):
        assert secret not in html, secret


def test_the_statements_columns_are_the_rows_fields_in_order(app, db):
    """The trace reads rows by position (services/trace.py, _read)."""
    from dataclasses import fields
    from sqlalchemy import text

    from agritrace.services import trace_walk
    from agritrace.services.trace import CartonRow, HandoverRow, HolderRow, LotNode
    raw = db.connection().connection.driver_connection
    for statement, row in ((trace_walk.LOTS, LotNode), (trace_walk.HANDOVERS, HandoverRow),
                           (trace_walk.HOLDERS, HolderRow), (trace_walk.CARTONS, CartonRow)):
        names = [f.name for f in fields(row) if f.name != "depth"]
        found = raw.execute(statement, {"ids": [0]}).description
        assert [column.name for column in found] == names, row.__name__
    steps = db.execute(text(trace_walk.walk_sql("both")), {"starts": [0], "max_depth": 1})
    assert list(steps.keys()) == ["lot_id", "via_id", "quantity", "depth"]
