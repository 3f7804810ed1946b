"""The EPCIS 2.0 repository by GS1's REST binding: GS1's examples captured and queried
back equal, bad documents refused whole naming event index and field, the query
parameters, named queries, and who reads what."""
import copy
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agritrace.epcis import validate_document
from agritrace.models import EpcisCapture, EpcisEvent
from support import english
from test_batches import issued_area, new_batch

DATA = Path(__file__).parent.parent / "data" / "epcis"
EXAMPLES = sorted(p.name for p in DATA.glob("*.jsonld"))


def events_in(doc: dict) -> list[dict]:
    body = doc["epcisBody"]
    return body["queryResults"]["resultsBody"]["eventList"] if "queryResults" in body \
        else body["eventList"]


def stored(db) -> tuple[int, int]:
    return (db.scalar(select(func.count()).select_from(EpcisEvent)),
            db.scalar(select(func.count()).select_from(EpcisCapture)))


def query(client, headers, **params):
    got = client.get("/epcis/events", query_string=params, headers=headers)
    assert got.status_code == 200, got.get_json()
    return got


@pytest.fixture
def a(world):
    return english(world.token(world.producer_a))


@pytest.mark.parametrize("name", EXAMPLES)
def test_gs1s_examples_are_captured_then_queried_back_equal(client, db, world, a, name):
    doc = json.loads((DATA / name).read_text("utf-8"))
    sent = events_in(doc)
    got = client.post("/epcis/capture", json=doc, headers=a)
    assert got.status_code == 202, got.get_json()
    assert got.headers["GS1-EPCIS-Version"] == "2.0.0"
    job = client.get(got.headers["Location"], headers=a).get_json()
    assert job["success"] and not job["running"] and job["errors"] == []
    back = query(client, a, perPage=100, orderBy="eventTime", orderDirection="ASC")
    answer = back.get_json()
    assert validate_document(answer) == []
    events = events_in(answer)
    assert len(events) == len(sent)
    by_time = sorted(sent, key=lambda e: e["eventTime"])
    for mine, theirs in zip(events, by_time):
        mine = {k: v for k, v in mine.items() if k != "recordTime"}
        theirs = {k: v for k, v in theirs.items() if k != "recordTime"}
        if "eventID" not in theirs:
            theirs = {**theirs, "eventID": mine["eventID"]}   # the event hash names it
        assert mine == theirs


def test_the_query_parameters(client, db, world, a):
    doc = json.loads((DATA / "Example_9.6.1-ObjectEvent.jsonld").read_text("utf-8"))
    assert client.post("/epcis/capture", json=doc, headers=a).status_code == 202
    some = events_in(doc)[0]
    epc = some["epcList"][0]
    found = events_in(query(client, a, MATCH_anyEPC=epc).get_json())
    assert found and all(epc in e.get("epcList", []) for e in found)
    # The same item by its Digital Link finds the same events.
    assert len(events_in(query(client, a, MATCH_epc=epc).get_json())) == len(found)
    assert events_in(query(client, a, EQ_bizStep="no_such_step").get_json()) == []
    assert len(events_in(query(client, a, eventType="ObjectEvent|AggregationEvent",
                               EQ_action=some["action"]).get_json())) >= 1
    paged = query(client, a, perPage=1)
    assert 'rel="next"' in paged.headers["Link"]
    bad = client.get("/epcis/events", query_string={"EQ_colour": "red"}, headers=a)
    assert bad.status_code == 400
    assert bad.get_json()["type"] == "epcisException:QueryParameterException"
    too_many = client.get("/epcis/events", query_string={"maxEventCount": 1}, headers=a)
    assert too_many.status_code == 413
    assert too_many.get_json()["type"] == "epcisException:QueryTooLargeException"
    # Others' events stay theirs; no token, nothing.
    b = english(world.token(world.producer_b))
    assert events_in(query(client, b).get_json()) == []
    assert events_in(query(client, english(world.token(world.official_p))).get_json())
    assert events_in(query(client, english(world.token(world.official_q))).get_json()) == []
    nobody = client.get("/epcis/events")
    assert nobody.status_code == 401
    assert nobody.get_json()["type"] == "epcisException:SecurityException"


def test_named_queries(client, world, a):
    doc = json.loads((DATA / "Example_9.6.3-AggregationEvent.jsonld").read_text("utf-8"))
    assert client.post("/epcis/capture", json=doc, headers=a).status_code == 202
    made = client.post("/epcis/queries", json={"name": "packs", "query": {
        "eventType": ["AggregationEvent"]}}, headers=a)
    assert made.status_code == 201 and made.headers["Location"] == "/epcis/queries/packs"
    again = client.post("/epcis/queries", json={"name": "packs", "query": {}}, headers=a)
    assert again.status_code == 409
    events = events_in(client.get("/epcis/queries/packs/events", headers=a).get_json())
    assert events and {e["type"] for e in events} == {"AggregationEvent"}
    assert client.get("/epcis/queries/packs",
                      headers=english(world.token(world.producer_b))).status_code == 404
    assert client.delete("/epcis/queries/packs", headers=a).status_code == 204
    gone = client.get("/epcis/queries/packs/events", headers=a)
    assert gone.status_code == 404
    assert gone.get_json()["type"] == "epcisException:NoSuchNameException"


def _document(*events):
    return {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": "2026-11-20T09:00:00+07:00", "epcisBody": {"eventList": list(events)}}


GOOD = {"type": "ObjectEvent", "eventTime": "2026-11-20T08:00:00+07:00",
        "eventTimeZoneOffset": "+07:00", "action": "OBSERVE", "bizStep": "inspecting",
        "epcList": ["urn:epc:id:sgtin:952012.0345678.1"]}


def _broken(**change):
    event = copy.deepcopy(GOOD)
    for key, value in change.items():
        if value is None:
            event.pop(key)
        else:
            event[key] = value
    return event


@pytest.mark.parametrize("event, field", [
    (_broken(eventTime=None), "eventTime"),
    (_broken(bizStep="harvest"), "bizStep"),
    (_broken(disposition="ripe"), "disposition"),
    (_broken(eventTime="20/11/2026 08:00"), "eventTime"),
    (_broken(**{"example:grade": "A"}), "example:grade"),    # no @context for example:
])
def test_bad_events_are_refused_whole_naming_index_and_field(client, db, a, event, field):
    before = stored(db)
    got = client.post("/epcis/capture", json=_document(GOOD, event), headers=a)
    assert got.status_code == 400, got.get_json()
    problem = got.get_json()
    assert problem["type"] == "epcisException:ValidationException"
    assert "Event 1" in problem["detail"] and field in problem["detail"]
    assert stored(db) == before
    # Proceed keeps the good event and reports the other.
    kept = client.post("/epcis/capture", json=_document(GOOD, event), headers={
        **a, "GS1-Capture-Error-Behaviour": "proceed"})
    assert kept.status_code == 202
    job = client.get(kept.headers["Location"], headers=a).get_json()
    assert job["success"] is False and [e["eventIndex"] for e in job["errors"]] == [1]
    assert stored(db)[0] == before[0] + 1


def test_an_event_about_another_organisations_lot_is_refused(client, db, world, a):
    b = english(world.token(world.producer_b))
    lot = new_batch(client, a, world, [issued_area(client, world, 0)], lot_code="L-EPCIS-1")
    assert lot.status_code == 201, lot.get_json()
    gtin = world.product_a.gtin
    event = _broken(epcList=None, quantityList=[{
        "epcClass": f"https://id.gs1.org/01/{gtin.zfill(14)}/10/L-EPCIS-1", "quantity": 5,
        "uom": "KGM"}])
    before = stored(db)
    got = client.post("/epcis/capture", json=_document(event), headers=b)
    assert got.status_code == 400
    assert "Event 0" in got.get_json()["detail"] and "quantityList[0]" in \
        got.get_json()["detail"] and "L-EPCIS-1" in got.get_json()["detail"]
    assert stored(db) == before
    assert client.post("/epcis/capture", json=_document(event), headers=a).status_code == 202


def test_a_document_over_the_limit_is_413_naming_it(app, client, a):
    was = app.config["EPCIS_CAPTURE_MAX_MB"]
    app.config["EPCIS_CAPTURE_MAX_MB"] = 0.001
    try:
        got = client.post("/epcis/capture", json=_document(*[GOOD] * 20), headers=a)
    finally:
        app.config["EPCIS_CAPTURE_MAX_MB"] = was
    assert got.status_code == 413
    assert got.get_json()["type"] == "epcisException:CaptureLimitExceededException"
    assert "1048 bytes" in got.get_json()["detail"]
    assert got.headers["GS1-EPCIS-Capture-File-Size-Limit"] == "1048"


def test_an_extension_the_client_needs_and_this_repository_lacks_is_406(client, a):
    ours = {**a, "GS1-Extensions": "agritrace=https://agritrace.vn/epcis/"}
    assert client.get("/epcis/eventTypes", headers=ours).status_code == 200
    got = client.get("/epcis/eventTypes", headers={
        **a, "GS1-Extensions": "agritrace=https://agritrace.vn/epcis/, "
                               "fit=http://org1.example.com/epcis/"})
    assert got.status_code == 406
    assert got.get_json()["type"] == "epcisException:NotAcceptableException"
    assert "fit=http://org1.example.com/epcis/" in got.get_json()["detail"]
    assert got.headers["GS1-Extensions"] == "agritrace=https://agritrace.vn/epcis/"


def test_error_declaration_times_ending_in_z_are_compared(client, a):
    declared = _broken(errorDeclaration={"declarationTime": "2026-11-21T02:00:00Z",
                                         "reason": "incorrect_data"})
    assert client.post("/epcis/capture", json=_document(declared), headers=a).status_code == 202
    for name, moment, count in (("LT_errorDeclarationTime", "2026-11-21T09:30:00+07:00", 1),
                                ("GE_errorDeclarationTime", "2026-11-21T09:30:00+07:00", 0),
                                ("GE_errorDeclarationTime", "2026-11-21T08:59:00+07:00", 1)):
        found = events_in(query(client, a, **{name: moment}).get_json())
        assert len(found) == count, (name, moment)
