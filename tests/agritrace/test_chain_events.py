"""The supply chain's EPCIS 2.0 events: valid by GS1's schema, named by the CBV 2.0
event hash as GS1's reference implementation computes it. Pure: no database."""
from __future__ import annotations

import copy
import json
import logging
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from epcis_event_hash_generator import hash_generator, json_to_py

from agritrace.epcis import CONTEXT_PREFIX, NAMESPACE, facility_uri, lot_uri, validate_document
from agritrace.epcis.chain import (Lot, LotQuantity, LotTransformation, Packing, Party, Place,
                                   RecallNotice, Shipment, chain_document, dispatch_event,
                                   packing_event, receipt_event, recall_event,
                                   transformation_event)
from agritrace.epcis.event_hash import event_hash
from agritrace.epcis.schema import validator
from labels.gs1 import check_digit

# The reference loads GS1's context with an importlib call Python has deprecated.
pytestmark = pytest.mark.filterwarnings("ignore:open_text is deprecated:DeprecationWarning")


def keyed(body: str) -> str:
    return body + str(check_digit(body))


def miskeyed(key: str) -> str:
    return key[:-1] + str((int(key[-1]) + 1) % 10)


BASE = "https://trace.example.vn"
CREATED = datetime(2024, 6, 1, 8, 0, tzinfo=timezone(timedelta(hours=7)))
GTIN = keyed("952000000123")                 # 952: GS1's prefix for examples
COOP_GLN, EXPORTER_GLN, WAREHOUSE_GLN = keyed("952000100001"), keyed("952000200002"), \
    keyed("952000300003")
SSCC, PALLET = keyed("0" + "9520001" + "000000042"), keyed("1" + "9520001" + "000000007")

MANGO = Lot("XOAI/2024-05", organization_id=3, product_id=8, gtin=GTIN)   # xoài cát Hoà Lộc
GRADED = Lot("PL-A1", organization_id=4, product_id=9)
EXPORT = Lot("EXP-0042", organization_id=4, product_id=9)
COOP = Party(3, gln=COOP_GLN)
PACKER = Party(4)
HOUSE = Place(code="VN-DTPH-0001")            # cơ sở đóng gói
WAREHOUSE = Place(gln=WAREHOUSE_GLN)

SHIPMENT = Shipment(LotQuantity(MANGO, Decimal("1250.500"), "KGM"), COOP, PACKER,
                    "PGH-2024/015", date(2024, 5, 20), sender_place=WAREHOUSE,
                    receiver_place=HOUSE)
RECEIVED = replace(SHIPMENT, goods=LotQuantity(MANGO, Decimal("1248"), "KGM"),
                   when=date(2024, 5, 21))
GRADING = LotTransformation(17, "grading", (LotQuantity(MANGO, Decimal("1248"), "KGM"),),
                            (LotQuantity(GRADED, Decimal("1100.5"), "KGM"),),
                            datetime(2024, 5, 22, 2, 15, tzinfo=timezone.utc), place=HOUSE)
CARTON = Packing(SSCC, date(2024, 5, 23), contents=(LotQuantity(EXPORT, 10, "KGM"),),
                 place=HOUSE)
RECALL = RecallNotice(LotQuantity(EXPORT, Decimal("950"), "KGM"),
                      "Dư lượng hoạt chất vượt mức cho phép (MRL)",
                      datetime(2024, 6, 3, 9, 0, tzinfo=timezone.utc), place=HOUSE)

BUILDERS = {
    "dispatch": (dispatch_event, SHIPMENT),
    "receipt": (receipt_event, RECEIVED),
    "transformation": (transformation_event, GRADING),
    "packing": (packing_event, CARTON),
    "recall": (recall_event, RECALL),
}


def build(name: str, facts=None) -> dict:
    builder, default = BUILDERS[name]
    return builder(facts if facts is not None else default, base_url=BASE)


def reference_hashes(doc: dict) -> list[str]:
    previous = logging.root.manager.disable
    logging.disable(logging.ERROR)  # the reference logs, then skips, an event it cannot read
    try:
        events = json_to_py.event_list_from_epcis_document_json(copy.deepcopy(doc))
        return hash_generator.epcis_hashes_from_events(events)
    finally:
        logging.disable(previous)


def with_more(name: str, facts):
    """The same facts with one more kilogram somewhere."""
    def more(q: LotQuantity) -> LotQuantity:
        return replace(q, quantity=q.quantity + 1)
    if name in ("dispatch", "receipt"):
        return replace(facts, goods=more(facts.goods))
    if name == "transformation":
        return replace(facts, outputs=tuple(more(q) for q in facts.outputs))
    if name == "packing":
        return replace(facts, contents=tuple(more(q) for q in facts.contents))
    return replace(facts, goods=more(facts.goods))


@pytest.mark.parametrize("name", BUILDERS)
def test_every_event_is_valid_by_gs1s_schema_with_formats_checked(name):
    doc = chain_document([build(name)], created=CREATED)
    assert validate_document(doc) == []
    assert {"date-time", "uri"} <= set(validator().format_checker.checkers)
    broken = copy.deepcopy(doc)
    broken["epcisBody"]["eventList"][0]["eventTime"] = "2024-05-20 00:00"
    assert validate_document(broken) != []


@pytest.mark.parametrize("name", BUILDERS)
def test_the_event_id_is_the_hash_the_reference_computes(name):
    event = build(name)
    doc = chain_document([event], created=CREATED)
    assert reference_hashes(doc) == [event["eventID"]]
    # A partner reading the JSON names it alike.
    parsed = json.loads(json.dumps(doc))
    assert event_hash(parsed["epcisBody"]["eventList"][0], parsed["@context"]) \
        == event["eventID"]


def test_a_document_of_the_whole_chain_is_valid_and_named_as_the_reference_names_it():
    events = [build(name) for name in BUILDERS]
    doc = chain_document(events, created=CREATED)
    assert validate_document(doc) == []
    assert reference_hashes(doc) == [e["eventID"] for e in events]
    assert len({e["eventID"] for e in events}) == len(events)


@pytest.mark.parametrize("name", BUILDERS)
def test_the_same_facts_give_the_same_id_and_another_quantity_another(name):
    facts = BUILDERS[name][1]
    first, again = build(name), build(name, copy.deepcopy(facts))
    assert first == again
    changed = build(name, with_more(name, facts))
    assert changed["eventID"] != first["eventID"]
    assert reference_hashes(chain_document([changed], created=CREATED)) == [changed["eventID"]]


def test_the_dispatch_says_what_left_whose_it_was_and_where_it_goes():
    event = build("dispatch")
    assert (event["type"], event["action"], event["bizStep"], event["disposition"]) \
        == ("ObjectEvent", "OBSERVE", "shipping", "in_transit")
    assert event["quantityList"] == [{"epcClass": lot_uri(BASE, MANGO.lot_code, gtin=GTIN),
                                      "quantity": 1250.5, "uom": "KGM"}]
    assert event["quantityList"][0]["epcClass"] \
        == f"{BASE}/01/{GTIN.zfill(14)}/10/XOAI%2F2024-05"
    assert event["readPoint"] == {"id": f"{BASE}/414/{WAREHOUSE_GLN}"}
    assert "bizLocation" not in event   # in transit: at no business location
    assert event["bizTransactionList"] == [
        {"type": "desadv", "bizTransaction": f"urn:epcglobal:cbv:bt:{COOP_GLN}:PGH-2024%2F015"}]
    assert event["sourceList"] == [
        {"type": "owning_party", "source": f"{BASE}/417/{COOP_GLN}"},
        {"type": "location", "source": f"{BASE}/414/{WAREHOUSE_GLN}"}]
    assert event["destinationList"] == [
        {"type": "owning_party", "destination": f"{BASE}/parties/4"},
        {"type": "location", "destination": facility_uri(code="VN-DTPH-0001")}]
    # A date is midnight in Viet Nam.
    assert (event["eventTime"], event["eventTimeZoneOffset"]) \
        == ("2024-05-20T00:00:00.000+07:00", "+07:00")


def test_the_receipt_is_read_where_it_arrives_with_the_quantity_counted():
    event = build("receipt")
    assert (event["action"], event["bizStep"], event["disposition"]) \
        == ("OBSERVE", "receiving", "in_progress")
    assert event["quantityList"][0]["quantity"] == 1248
    house = facility_uri(code="VN-DTPH-0001")
    assert event["readPoint"] == event["bizLocation"] == {"id": house}
    assert event["bizTransactionList"] == build("dispatch")["bizTransactionList"]
    assert event["eventTime"] == "2024-05-21T00:00:00.000+07:00"


def test_a_shipment_without_glns_names_parties_and_notes_on_the_platform():
    plain = replace(SHIPMENT, sender=Party(3), receiver=Party(11, external=True),
                    sender_place=None, receiver_place=None,
                    goods=LotQuantity(GRADED, 5, "KGM"))
    event = dispatch_event(plain, base_url=BASE + "/")
    assert event["quantityList"][0]["epcClass"] == "urn:agritrace:lot:4.9.PL-A1"
    assert event["bizTransactionList"][0]["bizTransaction"] == "urn:agritrace:bt:3:PGH-2024%2F015"
    assert event["sourceList"] == [{"type": "owning_party", "source": f"{BASE}/parties/3"}]
    assert event["destinationList"] == [
        {"type": "owning_party", "destination": f"{BASE}/parties/external/11"}]
    assert "readPoint" not in event
    assert validate_document(chain_document([event], created=CREATED)) == []


def test_the_transformation_turns_input_lots_into_new_output_lots():
    event = build("transformation")
    assert event["type"] == "TransformationEvent"
    assert event["inputQuantityList"][0]["quantity"] == 1248
    assert event["outputQuantityList"] == [
        {"epcClass": "urn:agritrace:lot:4.9.PL-A1", "quantity": 1100.5, "uom": "KGM"}]
    assert event["transformationID"] == "urn:agritrace:transformation:17"
    assert event["bizStep"] == "commissioning"
    assert event[f"{CONTEXT_PREFIX}:transformationKind"] == "grading"
    # An aware time is shown in Viet Nam time.
    assert event["eventTime"] == "2024-05-22T09:15:00.000+07:00"


def test_packing_puts_the_export_lot_in_a_carton_and_cartons_on_a_pallet():
    event = build("packing")
    assert (event["type"], event["action"], event["bizStep"]) \
        == ("AggregationEvent", "ADD", "packing")
    assert event["parentID"] == f"{BASE}/00/{SSCC}"
    assert event["childQuantityList"] == [
        {"epcClass": "urn:agritrace:lot:4.9.EXP-0042", "quantity": 10, "uom": "KGM"}]
    pallet = packing_event(Packing(PALLET, date(2024, 5, 24), child_ssccs=(SSCC,)),
                           base_url=BASE)
    assert pallet["childEPCs"] == [f"{BASE}/00/{SSCC}"]
    assert validate_document(chain_document([pallet], created=CREATED)) == []
    assert reference_hashes(chain_document([pallet], created=CREATED)) == [pallet["eventID"]]


def test_the_recall_holds_the_lot_with_its_reason_in_our_namespace():
    event = build("recall")
    assert (event["action"], event["bizStep"], event["disposition"]) \
        == ("OBSERVE", "holding", "recalled")
    assert event[f"{CONTEXT_PREFIX}:recallReason"] == RECALL.reason
    whole = recall_event(replace(RECALL, goods=MANGO, place=None), base_url=BASE)
    assert whole["quantityList"] == [{"epcClass": lot_uri(BASE, MANGO.lot_code, gtin=GTIN)}]
    doc = chain_document([whole], created=CREATED)
    assert {CONTEXT_PREFIX: NAMESPACE} in doc["@context"]
    assert validate_document(doc) == []
    assert reference_hashes(doc) == [whole["eventID"]]


@pytest.mark.parametrize("bad", [
    replace(SHIPMENT, when=datetime(2024, 5, 20, 8, 0)),                    # no time zone
    replace(SHIPMENT, delivery_note="  "),
    replace(SHIPMENT, sender=Party(3, gln=miskeyed(COOP_GLN))),
    replace(SHIPMENT, goods=LotQuantity(MANGO, Decimal("-1"), "KGM")),
    replace(SHIPMENT, goods=LotQuantity(MANGO, float("nan"), "KGM")),
    replace(SHIPMENT, goods=LotQuantity(MANGO, 5, "kg")),
    replace(SHIPMENT, goods=LotQuantity(Lot("L1", 3, 8, gtin=miskeyed(GTIN)), 5, "KGM")),
    replace(SHIPMENT, receiver_place=Place(gln=miskeyed(WAREHOUSE_GLN))),
])
def test_facts_that_cannot_be_an_event_are_refused(bad):
    with pytest.raises(ValueError):
        dispatch_event(bad, base_url=BASE)


@pytest.mark.parametrize("build_bad", [
    lambda: packing_event(replace(CARTON, sscc=miskeyed(SSCC)), base_url=BASE),
    lambda: packing_event(replace(CARTON, contents=()), base_url=BASE),
    lambda: transformation_event(replace(GRADING, outputs=()), base_url=BASE),
    lambda: transformation_event(replace(GRADING, kind="Grading!"), base_url=BASE),
    lambda: recall_event(replace(RECALL, reason=""), base_url=BASE),
    lambda: chain_document([], created=datetime(2024, 6, 1)),
])
def test_other_facts_that_cannot_be_an_event_are_refused(build_bad):
    with pytest.raises(ValueError):
        build_bad()
