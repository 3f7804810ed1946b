"""The farming diary through EPCIS 2.0 endpoints: a batch's history and a time window
out (validated against GS1's schema), an EPCIS document into a batch's diary (whole or
not at all, every problem named by event index and field)."""
import html
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agritrace.epcis import event_id, lot_uri, validate_document
from agritrace.models import AuditEntry, Stamp, TraceEvent
from labels.codes import compact_code
from support import PASSWORD, csrf_token, english, login
from test_batches import issued_area, new_batch

DATA = Path(__file__).parent.parent / "data" / "epcis"
BASE = "http://127.0.0.1:5000"
WEEK = [
    ("sowing", "2026-11-01T06:30:00+07:00", "area", {"variety": "ruột đỏ LĐ1"}),
    ("fertilising", "2026-11-02T07:00:00+07:00", "area", {"product": "NPK 16-16-8",
                                                           "dose": "50 kg/ha"}),
    ("irrigation", "2026-11-03T17:00:00+07:00", "area", {"method": "nhỏ giọt",
                                                          "volume_m3": 12.5}),
    ("spraying", "2026-11-04T07:30:00+07:00", "area", {
        "product": "Antracol 70WP", "active_ingredient": "propineb", "dose": "30 g / 16 l",
        "phi_days": 7}),
    ("harvesting", "2026-11-20T06:00:00+07:00", "batch", {"quantity": 1250.5, "unit": "KGM"}),
    ("lab_testing", "2026-11-20T14:00:00+07:00", "batch", {
        "analyte": "propineb", "result": 0.02, "limit": 1.0, "unit": "mg/kg",
        "lab": "Trung tâm Kiểm nghiệm Tây Ninh"}),
    ("packing", "2026-11-21T08:00:00+07:00", "batch", {"quantity": 120, "unit": "XCT"}),
    ("shipping", "2026-11-22T05:00:00+07:00", "batch", {"destination": "Chợ Bình Điền"}),
]


def diary_week(client, headers, area, batch):
    for step, when, subject, details in WEEK:
        target = {"area_id": area["id"]} if subject == "area" else {"batch_id": batch["id"]}
        made = client.post("/api/v1/diary", headers=headers, json={
            "step": step, "event_time": when, "details": details, **target})
        assert made.status_code == 201, made.get_json()


def events_of(doc: dict) -> list[dict]:
    """The events of an EPCISDocument, or of the EPCISQueryDocument a query answers."""
    body = doc["epcisBody"]
    return body["queryResults"]["resultsBody"]["eventList"] if "queryResults" in body \
        else body["eventList"]


def state(db):
    return (db.scalar(select(func.count()).select_from(TraceEvent)),
            db.scalar(select(func.count()).select_from(AuditEntry)))


@pytest.fixture
def setting(client, world):
    a = english(world.token(world.producer_a))
    area = issued_area(client, world, 0)
    batch = new_batch(client, a, world, [area]).get_json()
    diary_week(client, a, area, batch)
    return a, area, batch


def test_a_batch_history_exports_as_valid_epcis(client, db, world, setting):
    a, area, batch = setting
    # Outside the batch's season: a year and more before its harvest.
    client.post("/api/v1/diary", headers=a, json={
        "step": "sowing", "event_time": "2025-10-01T07:00:00+07:00",
        "details": {"variety": "old"}, "area_id": area["id"]})
    got = client.get(f"/api/v1/batches/{batch['id']}/epcis", headers=a)
    assert got.status_code == 200
    assert got.mimetype == "application/ld+json"
    assert got.headers["GS1-EPCIS-Version"] == "2.0.0"
    assert "attachment" in got.headers["Content-Disposition"]
    doc = json.loads(got.data)
    assert validate_document(doc) == []
    events = events_of(doc)
    assert [e["type"] for e in events] == ["ObjectEvent"] * len(WEEK)
    assert [e["eventTime"] for e in events] == [when for _, when, _, _ in WEEK]
    sowing, harvest = events[0], events[4]
    assert sowing["readPoint"]["id"] == f"{BASE}/areas/{area['code']}"
    assert sowing["agritrace:growingAreaCode"] == area["code"]
    assert sowing["epcList"] == []
    assert events[3]["agritrace:preHarvestIntervalDays"] == 7
    lot = lot_uri(BASE, batch["lot_code"], gtin=world.product_a.gtin)
    assert harvest["action"] == "ADD" and harvest["bizStep"] == "commissioning"
    assert harvest["quantityList"] == [{"epcClass": lot, "quantity": 1250.5, "uom": "KGM"}]
    assert harvest["ilmd"]["agritrace:harvestDate"] == "2026-11-20"
    assert harvest["ilmd"]["agritrace:productName"] == "Thanh long A"
    assert events[5]["disposition"] == "conformant"
    assert events[6]["quantityList"][0]["uom"] == "XCT"

    # The official of the province reads it too; nobody else does.
    p, q, b = (english(world.token(u)) for u in (world.official_p, world.official_q,
                                                  world.producer_b))
    assert client.get(f"/api/v1/batches/{batch['id']}/epcis", headers=p).status_code == 200
    for other in (q, b):
        assert client.get(f"/api/v1/batches/{batch['id']}/epcis",
                          headers=other).status_code == 404
    assert client.get(f"/api/v1/batches/{batch['id']}/epcis").status_code == 401


def test_events_in_a_time_window_page_by_page(client, world, setting):
    a, area, batch = setting
    window = {"GE_eventTime": "2026-11-02T00:00:00+07:00",
              "LT_eventTime": "2026-11-21T00:00:00+07:00"}
    got = client.get("/epcis/events", query_string=window, headers=a)
    assert got.status_code == 200, got.get_json()
    doc = json.loads(got.data)
    assert validate_document(doc) == []
    steps = [e.get("agritrace:diaryStep", e["bizStep"]) for e in events_of(doc)]
    assert len(steps) == 5      # fertilising … lab test; sowing before, packing after
    assert "Link" not in got.headers

    first = client.get("/epcis/events", query_string={**window, "perPage": 2}, headers=a)
    assert len(events_of(json.loads(first.data))) == 2
    link = first.headers["Link"]
    assert 'rel="next"' in link and "nextPageToken=2" in link
    rest = client.get("/epcis/events", query_string={**window, "perPage": 2,
                                                     "nextPageToken": "4"}, headers=a)
    assert len(events_of(json.loads(rest.data))) == 1 and "Link" not in rest.headers

    # Another organisation and another province see none of it; the public nothing.
    for user in (world.producer_b, world.official_q):
        other = client.get("/epcis/events", query_string=window,
                           headers=english(world.token(user)))
        assert events_of(json.loads(other.data)) == []
    assert len(events_of(json.loads(client.get(
        "/epcis/events", query_string=window,
        headers=english(world.token(world.official_p))).data))) == 5
    assert client.get("/epcis/events").status_code == 401


@pytest.mark.parametrize("query, field", [
    ({"GE_eventTime": "2026-11-05T00:00:00+07:00", "LT_eventTime": "2026-11-01T00:00:00Z"},
     "LT_eventTime"),
    ({"GE_eventTime": "yesterday"}, "GE_eventTime"),
    ({"GE_eventTime": "2026-11-05T00:00:00"}, "GE_eventTime"),   # no offset
    ({"perPage": 0}, "perPage"),
    ({"perPage": 10_001}, "perPage"),
    ({"nextPageToken": "abc"}, "nextPageToken"),
    ({"EQ_colour": "red"}, "EQ_colour"),     # no parameter of EPCIS 2.0
])
def test_a_bad_window_is_a_clear_400(client, world, query, field):
    # EPCIS 2.0's query interface answers a bad parameter with QueryParameterException,
    # 400 in its REST binding.
    got = client.get("/epcis/events", query_string=query,
                     headers=english(world.token(world.producer_a)))
    assert got.status_code == 400
    assert got.mimetype == "application/problem+json"
    assert got.get_json()["type"] == "epcisException:QueryParameterException"
    assert field in got.get_json()["errors"]


def foreign_document(batch, world, *events):
    lot = lot_uri(BASE, batch["lot_code"], gtin=world.product_a.gtin)
    body = []
    for i, extra in enumerate(events):
        event = {"type": "ObjectEvent", "eventTime": f"2026-11-2{i}T09:00:00+07:00",
                 "eventTimeZoneOffset": "+07:00", "action": "OBSERVE",
                 "eventID": f"urn:uuid:6d8f3c1e-2b1a-4c7e-9f00-00000000000{i}",
                 "quantityList": [{"epcClass": lot, "quantity": 40, "uom": "KGM"}],
                 "bizStep": "inspecting"}
        event.update(extra)
        body.append({k: v for k, v in event.items() if v is not None})
    return {"@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
                         {"agritrace": "https://agritrace.vn/epcis/"}],
            "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": "2026-11-23T10:00:00+07:00",
            "epcisBody": {"eventList": body}}


def test_an_epcis_document_goes_into_a_batch_diary_once(client, db, world, setting):
    a, area, batch = setting
    url = f"/api/v1/batches/{batch['id']}/epcis"
    doc = foreign_document(
        batch, world, {},
        {"bizStep": "https://agritrace.vn/epcis/spraying", "agritrace:product": "Score 250EC",
         "agritrace:activeIngredient": "difenoconazole", "agritrace:dose": "10 ml / 16 l",
         "agritrace:preHarvestIntervalDays": 14, "eventTime": "2026-11-12T09:00:00+07:00",
         "quantityList": None, "epcList": [],
         "agritrace:growingAreaCode": area["code"],
         "readPoint": {"id": f"{BASE}/areas/{area['code']}"}},
        {"bizStep": "receiving", "disposition": "in_progress", "quantityList": None,
         "epcList": [f"https://id.gs1.org/01/09520009999910/10/{batch['lot_code']}/21/77"],
         "readPoint": {"id": "urn:epc:id:sgln:9520000.00001.0"}})
    before = state(db)
    got = client.post(url, data=json.dumps(doc), headers={**a, "Content-Type":
                                                          "application/ld+json"})
    assert got.status_code == 201, got.get_json()
    body = got.get_json()
    assert body["imported"] == 3 and body["skipped"] == []
    assert [e["step"] for e in body["events"]] == ["inspecting", "spraying", "receiving"]
    assert body["events"][1]["area_id"] == area["id"]
    assert body["events"][0]["details"]["quantity"] == 40
    assert body["events"][2]["details"]["epcis_read_point"] == "urn:epc:id:sgln:9520000.00001.0"
    assert state(db) == (before[0] + 3, before[1] + 2)   # the import, and the hold
    # Sprayed on the 12th with 14 days' interval: the harvest on the 20th is inside it.
    held = client.get(f"/api/v1/batches/{batch['id']}", headers=a).get_json()
    assert held["on_hold"] and "difenoconazole" in held["hold_reason"]

    # The same document again, or the batch's own export sent back, changes nothing.
    again = client.post(url, json=doc, headers=a)
    assert again.status_code == 201 and again.get_json()["imported"] == 0
    assert len(again.get_json()["skipped"]) == 3
    exported = client.get(url, headers=a).data
    back = client.post(url, data={"document": (io.BytesIO(exported), "e.jsonld")},
                       headers=a, content_type="multipart/form-data")
    assert back.status_code == 201, back.get_json()
    assert back.get_json()["imported"] == 0
    assert set(back.get_json()["skipped"]) >= {doc["epcisBody"]["eventList"][0]["eventID"]}
    assert state(db)[0] == before[0] + 3
    # An imported event keeps its eventID when exported again.
    ids = [e["eventID"] for e in events_of(json.loads(exported))]
    assert doc["epcisBody"]["eventList"][2]["eventID"] in ids


def test_gs1s_own_object_event_example_is_refused_as_another_companys_goods(
        client, db, world, setting):
    """GS1's example SGTINs (company prefix 0614141) are not this dragon-fruit batch:
    the document is refused naming the event and the object, and nothing is written."""
    a, area, batch = setting
    data = (DATA / "Example_9.6.1-ObjectEvent.jsonld").read_bytes()
    before = state(db)
    got = client.post(f"/api/v1/batches/{batch['id']}/epcis", data=data, headers=a,
                      content_type="application/ld+json")
    assert got.status_code == 422, got.get_json()
    problem = got.get_json()
    assert problem["detail"] == (
        "The EPCIS document was not imported: Event 0 is about "
        "urn:epc:id:sgtin:0614141.107346.2017, not this batch (GTIN 09520009999910, "
        f"lot {batch['lot_code']}).")
    assert "epcisBody.eventList[0].epcList[0]" in problem["errors"]
    assert "epcisBody.eventList[1].epcList[0]" in problem["errors"]
    assert state(db) == before


def test_events_about_other_goods_or_places_are_refused(client, db, world, setting):
    a, area, batch = setting
    url = f"/api/v1/batches/{batch['id']}/epcis"
    gtin = world.product_a.gtin
    cases = [
        ({"epcList": ["urn:epc:id:sgtin:9520009.099992.77"], "quantityList": None},
         "epcList[0]", "urn:epc:id:sgtin:9520009.099992.77"),
        # the right GTIN, another lot of it
        ({"quantityList": [{"epcClass": "urn:epc:class:lgtin:9520009.099991.X-1",
                            "quantity": 5, "uom": "KGM"}]},
         "quantityList[0].epcClass", "urn:epc:class:lgtin:9520009.099991.X-1"),
        # the right GTIN, a serial that is none of this batch's stamps
        ({"epcList": [f"https://id.gs1.org/01/{gtin}/21/77"], "quantityList": None},
         "epcList[0]", f"https://id.gs1.org/01/{gtin}/21/77"),
        # no object, and a place that is none of the batch's areas
        ({"quantityList": None, "epcList": [],
          "readPoint": {"id": "urn:epc:id:sgln:9520000.00001.0"}},
         "readPoint.id", "did not happen on one of its growing areas"),
    ]
    before = state(db)
    for extra, field, words in cases:
        doc = foreign_document(batch, world, {}, extra)
        got = client.post(url, json=doc, headers=a)
        assert got.status_code == 422, got.get_json()
        problem = got.get_json()
        assert f"epcisBody.eventList[1].{field}" in problem["errors"], problem["errors"]
        assert words in problem["detail"] and "Event 1" in problem["detail"]
    assert state(db) == before


def test_events_about_this_batch_by_any_of_its_names_go_in(client, db, world, setting):
    """This lot as an LGTIN URN, a Digital Link with a serial, one of its own stamps as
    an SGTIN, our lot URI, or no object at all but one of its areas as the place."""
    a, area, batch = setting
    order = client.post("/api/v1/stamp-orders", headers=a,
                        json={"batch_id": batch["id"], "quantity": 2})
    assert order.status_code == 201, order.get_json()
    stamp = db.scalars(select(Stamp.id).where(
        Stamp.run_id == order.get_json()["run_id"])).first()
    serial = compact_code(stamp)
    lot = batch["lot_code"]
    events = [
        {"quantityList": [{"epcClass": f"urn:epc:class:lgtin:9520009.099991.{lot}",
                           "quantity": 3, "uom": "KGM"}]},
        {"quantityList": None, "epcList": [f"https://other.example/01/09520009999910/10/"
                                           f"{lot}/21/9"]},
        {"quantityList": None, "epcList": [f"urn:epc:id:sgtin:9520009.099991.{serial}"]},
        {"quantityList": None, "epcList": [],
         "readPoint": {"id": f"{BASE}/areas/{area['code']}"}},
        {"quantityList": None, "epcList": [],
         "bizLocation": {"id": f"urn:agritrace:area:id:{area['id']}"}},
    ]
    got = client.post(f"/api/v1/batches/{batch['id']}/epcis",
                      json=foreign_document(batch, world, *events), headers=a)
    assert got.status_code == 201, got.get_json()
    assert got.get_json()["imported"] == len(events)


def test_a_batch_export_round_trips_into_its_own_diary(client, db, world, setting):
    """The batch's own export goes back in: as it is, every event is recognised and
    skipped; without its eventIDs, every event is about this batch and goes in again."""
    a, area, batch = setting
    url = f"/api/v1/batches/{batch['id']}/epcis"
    exported = json.loads(client.get(url, headers=a).data)
    count = len(events_of(exported))
    assert count == len(WEEK)
    again = client.post(url, json=exported, headers=a)
    assert again.status_code == 201, again.get_json()
    assert (again.get_json()["imported"], len(again.get_json()["skipped"])) == (0, count)
    for event in events_of(exported):
        del event["eventID"]
    anew = client.post(url, json=exported, headers=a)
    assert anew.status_code == 201, anew.get_json()
    assert anew.get_json()["imported"] == count


def test_the_batch_page_shows_why_a_document_was_refused(client, db, world, setting):
    a, area, batch = setting
    login(client, "a@test.vn", PASSWORD)
    data = (DATA / "Example_9.6.1-ObjectEvent.jsonld").read_bytes()
    page = client.post(f"/portal/batches/{batch['id']}/epcis",
                       data={"csrf_token": csrf_token(client, f"/portal/batches/{batch['id']}"),
                             "document": (io.BytesIO(data), "gs1.jsonld")},
                       headers={"Accept-Language": "en"}, content_type="multipart/form-data")
    assert page.status_code == 400
    shown = html.unescape(page.get_data(as_text=True))
    assert "Event 0 is about urn:epc:id:sgtin:0614141.107346.2017, not this batch" in shown


def _no_phi(doc):
    event = doc["epcisBody"]["eventList"][1]
    event.update({"bizStep": "https://agritrace.vn/epcis/spraying",
                  "agritrace:activeIngredient": "x"})
    return doc


@pytest.mark.parametrize("breakage, field, words", [
    (lambda d: "{not json", "", "JSON"),
    (lambda d: json.dumps(d).encode()[:-40], "", "JSON"),
    (lambda d: d["epcisBody"]["eventList"][1].pop("eventTime") and d,
     "epcisBody.eventList[1].eventTime", "event 1"),
    (lambda d: d["epcisBody"]["eventList"][0].update(eventTime="20 Nov 2026") or d,
     "epcisBody.eventList[0].eventTime", "event 0"),
    (lambda d: d["epcisBody"]["eventList"][1].update(
        type="AggregationEvent", parentID="urn:epc:id:sscc:9520000.0000000001",
        childEPCs=[], action="ADD", childQuantityList=d["epcisBody"]["eventList"][1].pop(
            "quantityList")) or d,
     "epcisBody.eventList[1].type", "ObjectEvent"),
    (lambda d: d["epcisBody"]["eventList"][1]["quantityList"][0].update(
        epcClass=lot_uri(BASE, "OTHER-LOT", gtin="09520009999910")) or d,
     "epcisBody.eventList[1].quantityList[0].epcClass", "OTHER-LOT"),
    (lambda d: d["epcisBody"]["eventList"][0].update(
        {"agritrace:growingAreaCode": "VN-TNOR-9999"}) or d,
     "epcisBody.eventList[0].agritrace:growingAreaCode", "VN-TNOR-9999"),
    (_no_phi, "epcisBody.eventList[1].agritrace:preHarvestIntervalDays", "spraying"),
    (lambda d: d["epcisBody"]["eventList"][1].update(
        eventID=d["epcisBody"]["eventList"][0]["eventID"]) or d,
     "epcisBody.eventList[1].eventID", "event 0"),
], ids=["not-json", "truncated", "no-event-time", "bad-time", "aggregation", "other-lot",
        "other-area", "spraying-without-interval", "repeated-event-id"])
def test_a_bad_document_is_refused_whole_naming_event_and_field(client, db, world, setting,
                                                                breakage, field, words):
    a, area, batch = setting
    doc = breakage(foreign_document(batch, world, {}, {}, {}))
    data = doc if isinstance(doc, (str, bytes)) else json.dumps(doc)
    before = state(db)
    got = client.post(f"/api/v1/batches/{batch['id']}/epcis", data=data, headers=a,
                      content_type="application/ld+json")
    assert got.status_code == 422, got.get_json()
    problem = got.get_json()
    assert got.mimetype == "application/problem+json"
    text = problem["detail"] + json.dumps(problem.get("errors", {}), ensure_ascii=False)
    assert words in text
    if field:
        assert field in problem["errors"], problem["errors"]
    assert state(db) == before


def test_who_may_import(client, db, world, setting):
    a, area, batch = setting
    url = f"/api/v1/batches/{batch['id']}/epcis"
    doc = foreign_document(batch, world, {})
    others = [(english(world.token(user)), status) for user, status in (
        (world.official_p, 403), (world.producer_b, 404), (world.official_q, 403))]
    read_only = english(world.token(world.producer_a, scope="read"))
    before = state(db)
    for headers, status in others:
        assert client.post(url, json=doc, headers=headers).status_code == status
    assert client.post(url, json=doc).status_code == 401
    assert client.post(url, headers=a).status_code == 422          # no document at all
    assert client.post(url, json=doc, headers=read_only).status_code == 403
    assert state(db) == before
    client.post(f"/api/v1/batches/{batch['id']}/recall", json={"reason": "Dư lượng"},
                headers=a)
    assert client.post(url, json=doc, headers=a).status_code == 409


def test_exported_event_ids_are_the_diary_entries(client, db, world, setting):
    a, area, batch = setting
    doc = json.loads(client.get(f"/api/v1/batches/{batch['id']}/epcis", headers=a).data)
    ids = db.scalars(select(TraceEvent.id).order_by(TraceEvent.event_time)).all()
    assert [e["eventID"] for e in events_of(doc)] == [event_id(i) for i in ids]
