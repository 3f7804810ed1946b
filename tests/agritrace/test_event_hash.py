"""The CBV 2.0 event hash, checked against GS1's reference implementation
(`epcis-event-hash-generator`). Pure: no database."""
from __future__ import annotations

import copy
import json
import logging
import random
import re
from pathlib import Path

import pytest
from epcis_event_hash_generator import hash_generator, json_to_py
from epcis_event_hash_generator.dl_normaliser import normaliser

from agritrace.epcis.event_hash import canonical_key, event_hash, pre_hash

# The reference loads GS1's context with an importlib call Python has deprecated.
pytestmark = pytest.mark.filterwarnings("ignore:open_text is deprecated:DeprecationWarning")

DATA = Path(__file__).parent.parent / "data" / "epcis"
GS1_EXAMPLES = sorted(DATA.glob("*.jsonld"))
# GS1's examples the reference cannot read: a business transaction without a type, and
# term definitions (not only prefixes) in @context, make it fail.
UNREADABLE = {"Example-TransactionEvents-2020_07_03y.jsonld"}
NI = re.compile(r"ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0")
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
           {"example": "http://ns.example.com/epcis/"}]


def reference(context, events: list[dict]) -> list[tuple[str, str]]:
    """(pre-hash string, hash) of each event, as the reference computes them."""
    doc = {"@context": copy.deepcopy(context), "type": "EPCISDocument", "schemaVersion": "2.0",
           "creationDate": "2024-06-01T00:00:00Z",
           "epcisBody": {"eventList": copy.deepcopy(events)}}
    previous = logging.root.manager.disable
    logging.disable(logging.ERROR)  # the reference logs, then skips, an event it cannot read
    try:
        pre = hash_generator.derive_prehashes_from_events(
            json_to_py.event_list_from_epcis_document_json(doc), "")
    finally:
        logging.disable(previous)
    if len(pre) != len(events):
        raise ValueError("the reference skipped an event")
    return list(zip(pre, hash_generator.calculate_hashes_from_pre_hashes(pre)))


def events_of(doc: dict) -> list[dict]:
    body = doc["epcisBody"]
    return body["queryResults"]["resultsBody"]["eventList"] if "queryResults" in body \
        else body["eventList"]


def load(path: Path) -> dict:
    return json.loads(path.read_text("utf-8"))


def test_the_reference_reads_all_of_gs1s_examples_but_the_listed_ones():
    refused = set()
    for path in GS1_EXAMPLES:
        doc = load(path)
        try:
            reference(doc["@context"], events_of(doc))
        except Exception:
            refused.add(path.name)
    assert refused == UNREADABLE


@pytest.mark.parametrize("path", [p for p in GS1_EXAMPLES if p.name not in UNREADABLE],
                         ids=lambda p: p.name)
def test_gs1_examples_hash_as_the_reference_hashes_them(path):
    doc = load(path)
    events = events_of(doc)
    expected = reference(doc["@context"], events)
    for event, (expected_pre_hash, expected_hash) in zip(events, expected):
        assert pre_hash(event, doc["@context"]) == expected_pre_hash
        assert event_hash(event, doc["@context"]) == expected_hash


IDENTIFIERS = """\
urn:epc:id:sgtin:0614141.107346.2017
urn:epc:id:sgtin:952001.1123467.A!b(c)*+,:d
urn:epc:class:lgtin:4012345.012345.998877
urn:epc:class:lgtin:952001.1123467.LOT%2F1
urn:epc:idpat:sgtin:4012345.098765.*
urn:epc:id:sscc:0614141.1234567890
urn:epc:id:sgln:0614141.07346.1234
urn:epc:id:sgln:0614141.07346.0
urn:epc:id:pgln:0614141.00001
urn:epc:id:grai:0614141.12345.400
urn:epc:idpat:grai:0614141.12345.*
urn:epc:id:giai:4000001.112345
urn:epc:id:gsrn:0614141.1234567890
urn:epc:id:gsrnp:0614141.1234567890
urn:epc:id:gdti:0614141.12345.400
urn:epc:id:sgcn:4012345.67890.04711
urn:epc:id:ginc:0614141.xyz47%2F11
urn:epc:id:gsin:0614141.123456789
urn:epc:id:itip:4012345.012345.01.02.987
urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7'SDB
urn:epc:id:cpi:0614141.123ABC.123456789
urn:epc:idpat:cpi:0614141.123ABC.*
urn:epc:id:sgtin:0614141.10734.2017
https://id.gs1.org/01/09520123456788/10/ABC
https://trace.example.vn/01/09520123456788/10/ABC?17=261231
https://trace.example.vn/app/01/9520123456788/10/ABC/21/XY
https://trace.example.vn/01/09520123456788/10/LOT%2F1
https://trace.example.vn/gtin/09520123456788/lot/ABC
https://trace.example.vn/01/09520123456788/22/2A/10/ABC
https://trace.example.vn/01/12345670
https://trace.example.vn/00/095201234000000002
https://trace.example.vn/414/9520123456795/254/1
https://trace.example.vn/417/9520123456788
https://trace.example.vn/8006/095201234567880102/21/xyz
http://localhost:5000/01/09520123456788/10/LOT1
https://trace.example.vn/parties/12
urn:agritrace:lot:1.2.LOT1
urn:epcglobal:cbv:bt:9520123456788:PGH%201
geo:47.506694,11.104301""".splitlines()


@pytest.mark.parametrize("uri", IDENTIFIERS)
def test_identifiers_become_the_canonical_links_the_reference_makes(uri):
    assert canonical_key(uri) == normaliser(uri)


def test_digital_links_of_any_shape_become_the_canonical_links_the_reference_makes():
    draw = random.Random(2024)
    keys = ["01", "10", "21", "22", "00", "414", "254", "417", "8004", "8003", "8006", "8010",
            "8011", "235", "253", "255", "401", "402", "gtin", "lot", "ser", "cpv", "sscc"]
    odd = "0123456789/aAz%.-_!'\";?<>=:()*+,#"
    for _ in range(3000):
        path = "".join(
            "/" + draw.choice(keys) + "/" + "".join(
                draw.choice(odd if draw.random() < 0.3 else "0123456789")
                for _ in range(draw.choice([4, 8, 12, 13, 14, 17, 18, 20, 25])))
            for _ in range(draw.randint(1, 4)))
        uri = draw.choice(["https://id.gs1.org", "https://trace.example.vn", "http://x.vn/a"]) \
            + path + draw.choice(["", "?17=261231", "?linkType=all"])
        assert canonical_key(uri) == normaliser(uri), uri


def test_canonical_links_drop_the_domain_the_query_and_coarser_levels():
    assert canonical_key("https://trace.example.vn/01/9520123456788/10/A1/21/S9?17=261231") \
        == "https://id.gs1.org/01/09520123456788/21/S9"
    assert canonical_key("urn:epc:id:sgln:0614141.07346.1234") \
        == "https://id.gs1.org/414/0614141073467/254/1234"
    # As the reference: a percent-escape, or an address without a dot, is left as it is.
    assert canonical_key("https://trace.example.vn/01/09520123456788/10/L%2F1") is None
    assert canonical_key("http://localhost:5000/01/09520123456788/10/L1") is None


SHIPPED = {
    "type": "ObjectEvent",
    "eventTime": "2024-05-02T07:30:00.5+07:00",
    "eventTimeZoneOffset": "+07:00",
    "epcList": ["urn:epc:id:sgtin:0614141.107346.2018", "urn:epc:id:sgtin:0614141.107346.2017"],
    "action": "OBSERVE",
    "bizStep": "shipping",
    "disposition": "in_transit",
    "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
    "bizTransactionList": [{"type": "po", "bizTransaction": "http://transaction.acme.com/po/1"}],
    "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877",
                      "quantity": 200.50, "uom": "KGM"}],
    "example:myField": {"example:sub": "0012", "example:other": "Xin chào"},
}


def test_the_pre_hash_string_is_the_canonical_order_of_the_fields():
    assert pre_hash(SHIPPED, CONTEXT) == (
        "eventType=ObjectEvent"
        "eventTime=2024-05-02T00:30:00.500Z"
        "eventTimeZoneOffset=+07:00"
        "epcListepc=https://id.gs1.org/01/10614141073464/21/2017"
        "epc=https://id.gs1.org/01/10614141073464/21/2018"
        "quantityListquantityElementepcClass=https://id.gs1.org/01/04012345123456/10/998877"
        "quantity=200.5uom=KGM"
        "action=OBSERVE"
        "bizStep=https://ref.gs1.org/cbv/BizStep-shipping"
        "disposition=https://ref.gs1.org/cbv/Disp-in_transit"
        "readPointid=https://id.gs1.org/414/0614141073467/254/1234"
        "bizTransactionListtype=https://ref.gs1.org/cbv/BTT-pobizTransaction="
        "http://transaction.acme.com/po/1"
        "{http://ns.example.com/epcis/}myField{http://ns.example.com/epcis/}other=Xin chào"
        "{http://ns.example.com/epcis/}sub=12")
    assert NI.fullmatch(event_hash(SHIPPED, CONTEXT))
    assert reference(CONTEXT, [SHIPPED])[0] == (pre_hash(SHIPPED, CONTEXT),
                                                event_hash(SHIPPED, CONTEXT))


def test_another_writing_of_the_same_event_has_the_same_hash():
    same = {key: SHIPPED[key] for key in reversed(list(SHIPPED))}
    same.update({
        "eventTime": "2024-05-02T00:30:00.500Z",
        "epcList": ["https://trace.example.vn/01/10614141073464/21/2017",
                    "urn:epc:id:sgtin:0614141.107346.2018"],
        "bizStep": "urn:epcglobal:cbv:bizstep:shipping",
        "disposition": "https://ref.gs1.org/cbv/Disp-in_transit",
        "bizTransactionList": [{"bizTransaction": "http://transaction.acme.com/po/1",
                                "type": "po"}],
        "quantityList": [{"uom": "KGM", "quantity": 200.5,
                          "epcClass": "https://id.gs1.org/01/04012345123456/10/998877"}],
        "eventID": "urn:uuid:0b3c1a3e-2f0d-4a8e-9a4e-3c7d2b1f6a10",
        "recordTime": "2024-05-03T00:00:00Z",
    })
    assert event_hash(same, CONTEXT) == event_hash(SHIPPED, CONTEXT)


@pytest.mark.parametrize("change", [
    {"quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877",
                       "quantity": 200.25, "uom": "KGM"}]},
    {"eventTime": "2024-05-02T07:30:00.501+07:00"},
    {"bizLocation": {"id": "urn:epc:id:sgln:0614141.07346.0"}},
    {"example:myField": {"example:sub": "13", "example:other": "Xin chào"}},
])
def test_a_changed_or_added_field_changes_the_hash(change):
    assert event_hash({**SHIPPED, **change}, CONTEXT) != event_hash(SHIPPED, CONTEXT)


def test_where_the_reference_errs_the_text_is_followed():
    # A bare word is a CBV term only where the field takes CBV terms.
    event = {**SHIPPED, "example:note": "shipping"}
    assert "{http://ns.example.com/epcis/}note=shipping" in pre_hash(event, CONTEXT)
    # Rounding up to the next second carries over (the reference drops the event).
    late = {**SHIPPED, "eventTime": "2024-05-02T23:59:59.9995Z"}
    assert "eventTime=2024-05-03T00:00:00.000Z" in pre_hash(late, CONTEXT)
