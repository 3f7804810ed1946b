"""GS1's own contract for the EPCIS 2.0 REST binding (agritrace/epcis/rest/openapi.json,
GS1's document unchanged) run by schemathesis against the running server, as an
organisation: never a server error, every status one GS1 documents, every answer
matching GS1's response schemas, media types and headers.

Where GS1's document disagrees with the standard's text, or with itself, the text wins:
each such place is amended in the copy this test reads (`gs1_contract`), saying why.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from werkzeug.serving import make_server

import agritrace
from agritrace import create_app
from agritrace.db import EXTENSION, session
from support import World, drop, make_database

GS1_DOC = Path(agritrace.__file__).parent / "epcis" / "rest" / "openapi.json"
EXAMPLE = Path(__file__).parent.parent / "data" / "epcis" / "Example_9.6.1-ObjectEvent.jsonld"

# A few examples per operation, the same on every run, so that the whole contract stays
# within the suite's time; a larger random budget belongs to a separate fuzzing run.
# Capturing takes fewer: each example is a whole document built from GS1's schema.
SETTINGS, CAPTURE_SETTINGS = (
    settings(max_examples=n, deadline=None, derandomize=True,
             suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                    HealthCheck.filter_too_much]) for n in (8, 5))
CAPTURING = ["POST /capture", "POST /events"]

# Any schema-valid request is not bound to succeed: a document valid by GS1's OpenAPI can
# break the EPCIS JSON Schema, a query name can be one nobody saved (404).
EXCLUDED = [schemathesis.checks.positive_data_acceptance]


def gs1_contract() -> dict:
    """GS1's document, with the places where the standard's text wins."""
    doc = json.loads(GS1_DOC.read_text("utf-8"))
    parts = doc["components"]
    # GS1-Extensions is `prefix=namespace` pairs in the text and in GS1's own example;
    # the response header's definition leaves out `explode: true`, which says that form.
    parts["headers"]["GS1-Extensions"]["explode"] = True
    # A capture job has `errors` or `errorFile`: GS1 writes oneOf, but neither branch
    # requires its property, so every job matches both and none could pass oneOf.
    for part in parts["schemas"]["CaptureJob"]["allOf"]:
        if "oneOf" in part:
            part["anyOf"] = part.pop("oneOf")
    # 404: GS1's schema admits NoSuchNameException only, its own example says
    # NoSuchResourceException (an event, EPC or capture job that is not there), and the
    # text has NoSuchSubscriptionException for a subscription that is not there.
    missing = _problem(parts["responses"]["404ResourceNotFound"])
    missing["type"]["enum"] += ["epcisException:NoSuchResourceException",
                                "epcisException:NoSuchSubscriptionException"]
    # 409: GS1's schema says status 406 (a slip) and ResourceAlreadyExistsException; the
    # text names DuplicateNameException for a named query that already exists.
    taken = _problem(parts["responses"]["409ResourceAlreadyExistsException"])
    taken["status"] = {"type": "integer", "enum": [409]}
    taken["type"]["enum"].append("epcisException:DuplicateNameException")
    # The text: a query parameter the standard does not define, or a value it cannot
    # take, is a QueryParameterException (400); more events than eventCountLimit or
    # maxEventCount allows, a QueryTooLargeException (413). GS1's document leaves these
    # out of some event queries and out of creating a named query.
    for path, item in doc["paths"].items():
        if path.endswith("/events") and "get" in item:
            item["get"]["responses"].setdefault(
                "400", {"$ref": "#/components/responses/400QueryIssues"})
            item["get"]["responses"].setdefault(
                "413", {"$ref": "#/components/responses/413QueryScopeOrSize"})
    doc["paths"]["/queries"]["post"]["responses"]["400"] = {
        "$ref": "#/components/responses/400QueryIssues"}
    # A named query's events are a query: its problems are the query's (GS1 points
    # this 400 at subscription problems only). And problems are RFC 7807
    # application/problem+json everywhere else in GS1's document, as in the text.
    named = doc["paths"]["/queries/{queryName}/events"]["get"]
    named["responses"]["400"] = {"$ref": "#/components/responses/400QueryIssues"}
    issues = parts["responses"]["400SubscriptionIssues"]["content"]
    issues["application/problem+json"] = issues["application/json"]
    # Subscriptions are offered by webhook; a WebSocket upgrade (the 101 answer) is not
    # generated.
    named["parameters"] = [p for p in named["parameters"] if p["$ref"].rsplit("/", 1)[-1]
                           not in ("Upgrade", "Connection")]
    named["responses"].pop("101")
    # Subscription controls the text cannot take are a SubscriptionControlsException
    # (400); GS1's document leaves 400 out of creating a subscription.
    doc["paths"]["/queries/{queryName}/subscriptions"]["post"]["responses"]["400"] = {
        "$ref": "#/components/responses/400SubscriptionIssues"}
    # The Link header is RFC 8288's `<URL>; rel="next"` in the text and in GS1's own
    # example; its schema says `format: uri`, which that form is not.
    parts["schemas"]["Link"].pop("format", None)
    # Path parameters are `format: uri` in GS1's document, yet the text lets a business
    # step or disposition be a bare CBV word (GS1's own example: `in_progress`), and an
    # EPC or event ID any text: read as strings. (Kept as URIs, the generator can make
    # no value for them but the examples.)
    for parameter in parts["parameters"].values():
        if parameter.get("in") == "path":
            parameter["schema"].pop("format", None)
    return doc


def _problem(response: dict) -> dict:
    return response["content"]["application/problem+json"]["schema"]["allOf"][0][
        "properties"]


@pytest.fixture(scope="module")
def server():
    """The app on loopback on a database of its own, one of GS1's examples captured by
    organisation A: (base URL of the binding, A's token)."""
    url = make_database("epcis_conformance")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "epcis-conformance"})
    with app.app_context():
        world = World(session())
        session().commit()
    token = world.token(world.producer_a)
    captured = app.test_client().post("/epcis/capture", headers=token,
                                      json=json.loads(EXAMPLE.read_text("utf-8")))
    assert captured.status_code == 202, captured.get_json()
    served = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=served.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{served.server_port}/epcis", token
    finally:
        served.shutdown()
        app.extensions[EXTENSION].kw["bind"].dispose()
        drop(url)


@pytest.fixture(scope="module")
def gs1_schema(server):
    schema = schemathesis.openapi.from_dict(gs1_contract())
    # Valid requests only: GS1's document gives most resources no 400, so what a
    # repository answers to a request outside the document (an unknown parameter, an
    # event type outside its list) is not GS1's contract. The standard's own refusals
    # are checked in test_epcis_repository.py.
    schema.config.generation.update(modes=[GenerationMode.POSITIVE])
    # GS1's examples and a few generated requests each; the coverage phase's boundary
    # cases (hundreds for a capture document) would take minutes of the suite.
    schema.config.phases.update(phases=["examples", "fuzzing"])
    return schema


schema = schemathesis.pytest.from_fixture("gs1_schema")


@schema.exclude(name=CAPTURING).parametrize()
@SETTINGS
def test_gs1s_contract_holds(case, server):
    base, token = server
    case.call_and_validate(base_url=base, headers=token, excluded_checks=EXCLUDED)


@schema.include(name=CAPTURING).parametrize()
@CAPTURE_SETTINGS
def test_gs1s_contract_holds_for_capture(case, server):
    base, token = server
    case.call_and_validate(base_url=base, headers=token, excluded_checks=EXCLUDED)
