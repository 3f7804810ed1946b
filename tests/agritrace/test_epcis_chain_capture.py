"""Captured EPCIS events join the chain through the pages' own services: a receiving
event answers the hand-over dispatched to the sender, a TransformationEvent makes the
output lot, a shipping event to an organisation of the platform dispatches; what the
service refuses is that event's error in the capture job, with nothing written."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from agritrace.clock import today
from agritrace.models import (Batch, EpcisEvent, EpcisEventLot, Handover, HandoverStatus,
                              Holding, Transformation)
from lots_support import build
from support import english

CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
           {"agritrace": "https://agritrace.vn/epcis/"}]


@pytest.fixture
def chain(app, client, db, world):
    return build(app, client, db, world)


def document(*events) -> dict:
    return {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": f"{today()}T08:00:00+07:00", "epcisBody": {"eventList": list(events)}}


def lot_uri(world, lot) -> str:
    """The Digital Link of a lot of product A (it has a GTIN), else our lot URN."""
    if lot["product_id"] == world.product_a.id:
        return f"https://id.gs1.org/01/{world.product_a.gtin}/10/{lot['lot_code']}"
    return f"urn:agritrace:lot:{lot['organization_id']}.{lot['product_id']}.{lot['lot_code']}"


def receiving(world, lot, kg, note, at="00:30"):
    return {"type": "ObjectEvent", "eventTime": f"{today()}T{at}:00+07:00",
            "eventTimeZoneOffset": "+07:00", "action": "OBSERVE", "bizStep": "receiving",
            "disposition": "in_progress",
            "quantityList": [{"epcClass": lot_uri(world, lot), "quantity": kg, "uom": "KGM"}],
            "bizTransactionList": [{"type": "desadv",
                                    "bizTransaction": f"urn:agritrace:bt:{world.org_a.id}:{note}"}]}


def transforming(world, chain, inputs, out_kg, lot_code):
    return {"type": "TransformationEvent", "eventTime": f"{today()}T09:00:00+07:00",
            "eventTimeZoneOffset": "+07:00", "bizStep": "commissioning",
            "inputQuantityList": [{"epcClass": lot_uri(world, lot), "quantity": kg, "uom": "KGM"}
                                  for lot, kg in inputs],
            "outputQuantityList": [{
                "epcClass": f"urn:agritrace:lot:{chain.house.id}.{chain.packed['id']}.{lot_code}",
                "quantity": out_kg, "uom": "KGM"}],
            "bizLocation": {"id": f"urn:agritrace:facility:code:{chain.facility['code']}"},
            "agritrace:transformationKind": "grading"}


def capture(client, headers, *events, behaviour="rollback"):
    return client.post("/epcis/capture", json=document(*events),
                       headers={**headers, "GS1-Capture-Error-Behaviour": behaviour})


def held(db, org_id, lot_id) -> Decimal | None:
    return db.scalar(select(Holding.balance).where(Holding.organization_id == org_id,
                                                   Holding.batch_id == lot_id))


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_a_receipt_a_transformation_and_a_dispatch_by_capture(app, client, db, world, chain):
    tl_a1, tl_b1 = chain.lots[0], chain.lots[2]
    sent = client.post("/api/v1/handovers", headers=chain.a, json={
        "batch_id": tl_a1["id"], "quantity": 150, "receiver_id": chain.house.id,
        "dispatched_on": str(today() - timedelta(days=1)), "delivery_note": "PGH-77"})
    assert sent.status_code == 201, sent.get_json()
    events_before = count(db, EpcisEvent)

    got = capture(client, chain.h, receiving(world, tl_a1, 148, "PGH-77"))
    assert got.status_code == 202, got.get_json()
    handover = db.get(Handover, sent.get_json()["id"])
    db.refresh(handover)
    assert handover.status == HandoverStatus.RECEIVED
    assert (handover.received_quantity, handover.received_on) == (Decimal(148), today())
    assert held(db, chain.house.id, tl_a1["id"]) == 1000 + 148
    # The captured event is the receipt's own: stored once, about the lot.
    (stored,) = db.scalars(select(EpcisEvent).where(EpcisEvent.id > 0,
                                                    EpcisEvent.biz_step == "receiving"))
    assert count(db, EpcisEvent) == events_before + 1
    assert db.scalar(select(EpcisEventLot.batch_id).where(
        EpcisEventLot.event_pk == stored.id)) == tl_a1["id"]

    made = capture(client, chain.h, transforming(
        world, chain, [(tl_a1, 1148), (tl_b1, 700)], 1800, "DG-EPCIS-1"))
    assert made.status_code == 202, made.get_json()
    out = db.scalar(select(Batch).where(Batch.lot_code == "DG-EPCIS-1"))
    step = db.get(Transformation, out.transformation_id)
    assert (step.kind.value, step.facility_id, step.loss_quantity) == \
        ("grading", chain.facility["id"], Decimal(48))
    assert sorted(i.batch_id for i in step.inputs) == sorted([tl_a1["id"], tl_b1["id"]])
    assert held(db, chain.house.id, tl_a1["id"]) == 0 and held(db, chain.house.id, out.id) == 1800
    found = client.get("/epcis/events", headers=chain.h, query_string={
        "MATCH_outputEPCClass": f"urn:agritrace:lot:{chain.house.id}.{chain.packed['id']}."
                                "DG-EPCIS-1"}).get_json()
    (event,) = found["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert event["type"] == "TransformationEvent"

    shipping = {"type": "ObjectEvent", "eventTime": f"{today()}T10:00:00+07:00",
                "eventTimeZoneOffset": "+07:00", "action": "OBSERVE", "bizStep": "shipping",
                "quantityList": [{"epcClass": lot_uri(world, {
                    "product_id": chain.packed["id"], "organization_id": chain.house.id,
                    "lot_code": "DG-EPCIS-1"}), "quantity": 500, "uom": "KGM"}],
                "bizTransactionList": [{"type": "desadv", "bizTransaction": "urn:x:bt:DN-9"}],
                "destinationList": [{"type": "owning_party", "destination":
                                     f"{app.config['PUBLIC_BASE_URL']}/parties/{world.org_b.id}"}]}
    assert capture(client, chain.h, shipping).status_code == 202
    (dispatch,) = db.scalars(select(Handover).where(Handover.batch_id == out.id))
    assert (dispatch.receiver_id, dispatch.quantity, dispatch.delivery_note) == \
        (world.org_b.id, Decimal(500), "DN-9")
    assert held(db, chain.house.id, out.id) == 1300


def test_what_the_chain_refuses_is_the_events_error(client, db, world, chain):
    tl_a1, tl_a2 = chain.lots[0], chain.lots[1]
    sent = client.post("/api/v1/handovers", headers=chain.a, json={
        "batch_id": tl_a1["id"], "quantity": 150, "receiver_id": chain.house.id,
        "dispatched_on": str(today() - timedelta(days=1)), "delivery_note": "PGH-78"})
    assert sent.status_code == 201, sent.get_json()
    # More received than was sent: the receipt's own refusal, for the whole document.
    before = (count(db, EpcisEvent), held(db, chain.house.id, tl_a1["id"]))
    too_much = capture(client, chain.h, receiving(world, tl_a2, 10, "X", at="00:10"),
                       receiving(world, tl_a1, 160, "PGH-78"))
    assert too_much.status_code == 400
    problem = too_much.get_json()
    assert problem["type"] == "epcisException:ValidationException"
    assert "Event 1, epcisBody.eventList[1].quantityList[0]" in problem["detail"]
    assert "160 kg received is more than the 150 kg dispatched" in problem["detail"]
    assert (count(db, EpcisEvent), held(db, chain.house.id, tl_a1["id"])) == before
    # Proceed: the good event is kept, the transformation beyond its inputs is not made.
    kept = capture(client, chain.h, receiving(world, tl_a1, 150, "PGH-78"),
                   transforming(world, chain, [(tl_a2, 400)], 900, "DG-EPCIS-2"),
                   behaviour="proceed")
    assert kept.status_code == 202
    job = client.get(kept.headers["Location"], headers=chain.h).get_json()
    assert job["success"] is False
    (error,) = job["errors"]
    assert error["eventIndex"] == 1 and error["field"].endswith("outputQuantityList")
    assert "more than the inputs" in error["detail"]
    assert db.scalar(select(Batch).where(Batch.lot_code == "DG-EPCIS-2")) is None
    assert held(db, chain.house.id, tl_a2["id"]) == 400
    assert held(db, chain.house.id, tl_a1["id"]) == 1000 + 150
    # A second receipt of an answered hand-over is refused as on the page.
    again = capture(client, english(chain.h), receiving(world, tl_a1, 150, "PGH-78",
                                                        at="01:00"))
    assert again.status_code == 400 and "already confirmed" in again.get_json()["detail"]
