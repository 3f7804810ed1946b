"""The access rules, objects and bodies of the epcis routes, merged into
test_access_matrix (see there for the actor sets and the meaning of each table)."""
from __future__ import annotations

from urllib.parse import quote

from access_roles import *  # noqa: F401,F403

# "METHOD rule" -> the actors allowed (the sets of access_roles).
EXPECT: dict = {}
# The GS1 resolver's own resources: public, like the scan page.
EXPECT.update({
    "GET /.well-known/gs1resolver": EVERYONE,
    "GET /recall-status/<gtin>/<path:lot>": EVERYONE,
})
# The repository (store, capture, query): a token and nothing more reads the query
# interface (each sees the events it may); A's own job, event and named query are A's.
_KINDS = "<any(eventTypes, epcs, bizSteps, bizLocations, readPoints, dispositions):kind>"
EXPECT.update({
    "GET /epcis/": LOGIN,
    "GET /epcis/events/<epcis_text:event_id>": OWNER,
    "POST /epcis/events": PRODUCER_ONLY,
    "GET /epcis/eventTypes": LOGIN,
    f"GET /epcis/{_KINDS}": LOGIN,
    f"GET /epcis/{_KINDS}/<epcis_text:value>": LOGIN,
    "DELETE /epcis/nextPageToken/<epcis_text:token>": LOGIN,
    "POST /epcis/capture": PRODUCER_ONLY,
    "GET /epcis/capture": LOGIN,
    "GET /epcis/capture/<capture_id>": OWNER,
    "POST /epcis/queries": LOGIN,
    "GET /epcis/queries": LOGIN,
    "GET /epcis/queries/<name>": SELF,
    "DELETE /epcis/queries/<name>": SELF,
    "GET /epcis/queries/<name>/events": SELF,
})
# Subscriptions to a named query: its owner's, like the query.
_SUBSCRIPTION = "/epcis/queries/<name>/subscriptions/<subscription_id>"
EXPECT.update({
    "POST /epcis/queries/<name>/subscriptions": SELF,
    "GET /epcis/queries/<name>/subscriptions": SELF,
    f"GET {_SUBSCRIPTION}": SELF,
    f"DELETE {_SUBSCRIPTION}": SELF,
})
# "METHOD rule" -> lambda s: request kwargs of a write that would succeed for the owner.
BODIES: dict = {}
# "METHOD rule" -> lambda s: URL values that differ from the usual objects.
OTHER: dict = {}


def _epcis_event(serial: str) -> dict:
    return {"type": "ObjectEvent", "eventTime": "2026-11-20T08:00:00+07:00",
            "eventTimeZoneOffset": "+07:00", "action": "OBSERVE", "bizStep": "inspecting",
            "epcList": [f"urn:epc:id:sgtin:952012.0345678.{serial}"]}


def _epcis_document(serial: str) -> dict:
    return {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": "2026-11-20T09:00:00+07:00",
            "epcisBody": {"eventList": [_epcis_event(serial)]}}


BODIES.update({
    "POST /epcis/capture": lambda s: {"json": _epcis_document("M2")},
    "POST /epcis/events": lambda s: {"json": _epcis_event("M3")},
    "POST /epcis/queries": lambda s: {"json": {"name": "matrix-2",
                                               "query": {"EQ_bizStep": ["inspecting"]}}},
})
OTHER.update({
    f"GET /epcis/{_KINDS}": lambda s: {"kind": "bizSteps"},
    f"GET /epcis/{_KINDS}/<epcis_text:value>": lambda s: {"kind": "bizSteps",
                                                    "value": "inspecting/events"},
    "DELETE /epcis/nextPageToken/<epcis_text:token>": lambda s: {"token": "30"},
    "GET /epcis/events/<epcis_text:event_id>": lambda s: {"event_id": quote(s.ids["epcis_event_id"],
                                                                      safe="")},
    "GET /epcis/capture/<capture_id>": lambda s: {"capture_id": s.ids["epcis_capture_id"]},
    "GET /epcis/queries/<name>": lambda s: {"name": "matrix"},
    "DELETE /epcis/queries/<name>": lambda s: {"name": "matrix"},
    "GET /epcis/queries/<name>/events": lambda s: {"name": "matrix"},
})
BODIES["POST /epcis/queries/<name>/subscriptions"] = lambda s: {"json": {
    "dest": "https://93.184.215.14/hook", "stream": True}}
for _rule in ("POST /epcis/queries/<name>/subscriptions",
              "GET /epcis/queries/<name>/subscriptions", f"GET {_SUBSCRIPTION}",
              f"DELETE {_SUBSCRIPTION}"):
    OTHER[_rule] = lambda s: {"name": "matrix"}
# path -> query string.
QUERIES: dict = {}


def build(client, db, world, headers, objects) -> dict:
    """Make this feature's objects of organisation A in province P (inside the matrix's
    transaction); return the URL values they give, by URL variable name."""
    values = {}
    # The resolver's recall status of A's stamped lot (the one the scan page's URL names).
    values.update({"gtin": world.product_a.gtin, "lot": "TL-ACL-1"})
    # The repository: a document captured by A (its job and event), A's named query.
    got = client.post("/epcis/capture", json=_epcis_document("M1"), headers=headers["a"])
    assert got.status_code == 202, got.get_json()
    values["epcis_capture_id"] = got.headers["Location"].rsplit("/", 1)[1]
    job = client.get(got.headers["Location"], headers=headers["a"]).get_json()
    assert job["success"], job
    events = client.get("/epcis/events", query_string={"MATCH_epc": _epcis_event("M1")[
        "epcList"][0]}, headers=headers["a"]).get_json()
    values["epcis_event_id"] = \
        events["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0]["eventID"]
    assert client.post("/epcis/queries", json={"name": "matrix", "query": {
        "eventType": ["ObjectEvent"]}}, headers=headers["a"]).status_code == 201
    # A's webhook subscription to that query.
    made = client.post("/epcis/queries/matrix/subscriptions", headers=headers["a"],
                       json={"dest": "https://93.184.215.14/hook", "stream": True})
    assert made.status_code == 201, made.get_json()
    values["subscription_id"] = made.get_json()["subscriptionID"]
    return values
