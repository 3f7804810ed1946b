"""The farming diary (nhật ký canh tác) in EPCIS 2.0, both ways. Pure: no database."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from agritrace.epcis import (CONTEXT_PREFIX, NAMESPACE, DiaryEvent, EpcisError, area_uri,
                             event_id, export_document, facility_uri, lot_uri, parse_lot_uri,
                             read_document, validate_document)
from agritrace.epcis.schema import validator
from agritrace.epcis.vocabulary import biz_step_to_epcis
from agritrace.models.diary import BizStep, Disposition
from labels.gs1 import check_digit

DATA = Path(__file__).parent.parent / "data" / "epcis"
GS1_EXAMPLES = sorted(DATA.glob("*.jsonld"))

BASE = "https://trace.example.vn"
VN = timezone(timedelta(hours=7))
CREATED = datetime(2024, 6, 1, 8, 0, tzinfo=VN)
GTIN = "952000000123" + str(check_digit("952000000123"))   # 952: GS1's prefix for examples
LOT_DL = lot_uri(BASE, "ST25/2024-A", gtin=GTIN)
LOT_URN = lot_uri(BASE, "B-07", organization_id=4, product_id=11)
AREA = area_uri(BASE, code="VN-01OR-0007")
HOUSE = facility_uri(code="VN-01PH-0002")


def _event_types(path: Path) -> set[str]:
    doc = json.loads(path.read_text("utf-8"))
    body = doc["epcisBody"]
    events = body["queryResults"]["resultsBody"]["eventList"] if "queryResults" in body \
        else body["eventList"]
    return {e["type"] for e in events}


OBJECT_EVENT_EXAMPLES = [p for p in GS1_EXAMPLES if _event_types(p) == {"ObjectEvent"}]
OTHER_EXAMPLES = [p for p in GS1_EXAMPLES if _event_types(p) != {"ObjectEvent"}]


def at(day: int, hour: int = 7, tz=VN) -> datetime:
    return datetime(2024, 3, day, hour, 30, tzinfo=tz)


def diary() -> list[DiaryEvent]:
    """A season of one rice field: every step of the diary, with and without GTIN."""
    return [
        DiaryEvent(1, "sowing", at(1), location_uri=AREA, area_code="VN-01OR-0007",
                   details={"product": "Giống lúa ST25", "quantity_kg_per_ha": 80}),
        DiaryEvent(2, "fertilising", at(5), location_uri=AREA, area_code="VN-01OR-0007",
                   details={"product": "NPK 16-16-8", "dose": 250, "dose_unit": "kg/ha"}),
        DiaryEvent(3, "irrigation", at(6), location_uri=AREA,
                   details={"water_m3": 120.5, "note": "Tưới ngập 5 cm"}),
        DiaryEvent(4, "spraying", at(8, 1, timezone.utc), location_uri=AREA,
                   area_code="VN-01OR-0007",
                   details={"product": "Abamectin 3.6EC", "active_ingredient": "Abamectin",
                            "dose": 0.5, "dose_unit": "l/ha", "phi_days": 7}),
        DiaryEvent(5, "harvesting", at(20), lot_uri=LOT_DL, quantity=1200.5, uom="KGM",
                   location_uri=AREA, area_code="VN-01OR-0007", disposition="active",
                   ilmd={"harvest_date": "2024-03-20", "expiry_date": "2025-03-20",
                         "product_name": "Gạo ST25"}),
        DiaryEvent(6, "harvesting", at(21), lot_uri=LOT_URN, quantity=300, uom="KGM",
                   location_uri=area_uri(BASE, area_id=42), disposition="active",
                   ilmd={"harvest_date": "2024-03-21"}),
        DiaryEvent(7, "lab_testing", at(22), lot_uri=LOT_DL, disposition="conformant",
                   details={"analyte": "Chlorpyrifos", "result": 0.002, "limit": 0.01,
                            "unit": "mg/kg", "lab": "Vinacontrol"}),
        DiaryEvent(8, "lab_testing", at(22, 9), lot_uri=LOT_URN, disposition="non_conformant",
                   details={"analyte": "Cadmium", "result": 0.3, "limit": 0.2, "lab": "QUATEST 3"}),
        DiaryEvent(9, "packing", at(23), lot_uri=LOT_DL, quantity=240, uom="XBG",
                   location_uri=HOUSE, disposition="in_progress"),
        DiaryEvent(10, "shipping", at(25), lot_uri=LOT_DL, quantity=1200.5, uom="KGM",
                   location_uri=HOUSE, disposition="in_transit",
                   details={"note": "Container to Rotterdam"}),
        DiaryEvent(11, "shipping", at(25, 10), lot_uri=LOT_URN, quantity=300, uom="KGM",
                   location_uri=facility_uri(facility_id=9), disposition="in_transit"),
        DiaryEvent(12, "storing", at(26), lot_uri=LOT_DL, location_uri=HOUSE,
                   disposition="sellable_accessible"),
    ]


def events_of(doc: dict) -> list[dict]:
    return doc["epcisBody"]["eventList"]


# --- export -------------------------------------------------------------------------

def test_the_validator_checks_formats():
    # Without rfc3987 / rfc3339-validator these formats pass unchecked.
    checker = validator().format_checker
    assert not checker.conforms("2024-03-01 07:30", "date-time")
    assert not checker.conforms("note", "uri")
    assert checker.conforms(f"{CONTEXT_PREFIX}:spraying", "uri")


def test_exported_diary_validates_against_gs1_schema():
    doc = export_document(diary(), created=CREATED, sender="HTX Lúa gạo Sóc Trăng")
    assert validate_document(doc) == []
    assert doc["@context"][1] == {CONTEXT_PREFIX: NAMESPACE}
    assert [e["type"] for e in events_of(doc)] == ["ObjectEvent"] * len(diary())


@pytest.mark.parametrize("step", list(BizStep))
@pytest.mark.parametrize("with_lot", [LOT_DL, LOT_URN, None])
def test_every_step_exports_valid(step, with_lot):
    event = DiaryEvent(1, step.value, at(2), lot_uri=with_lot,
                       quantity=5 if with_lot else None, uom="KGM" if with_lot else None,
                       location_uri=AREA, disposition="active",
                       ilmd={"harvest_date": "2024-03-02"}
                       if with_lot and step in (BizStep.HARVESTING, BizStep.COMMISSIONING)
                       else {})
    doc = export_document([event], created=CREATED)
    assert validate_document(doc) == []
    (entry,) = read_document(json.dumps(doc))
    assert entry["biz_step"] == step.value


@pytest.mark.parametrize("disposition", list(Disposition))
def test_every_disposition_exports_valid_and_comes_back(disposition):
    event = DiaryEvent(1, "storing", at(2), lot_uri=LOT_DL, disposition=disposition.value)
    doc = export_document([event], created=CREATED)
    assert validate_document(doc) == []
    assert read_document(json.dumps(doc))[0]["disposition"] == disposition.value


def test_harvest_is_commissioning_with_ilmd_and_farming_steps_are_namespaced():
    events = {e["eventID"]: e for e in events_of(export_document(diary(), created=CREATED))}
    harvest = events[event_id(5)]
    assert (harvest["action"], harvest["bizStep"]) == ("ADD", "commissioning")
    assert harvest["ilmd"] == {"agritrace:harvestDate": "2024-03-20",
                               "agritrace:expiryDate": "2025-03-20",
                               "agritrace:productName": "Gạo ST25"}
    assert harvest["quantityList"] == [{"epcClass": LOT_DL, "quantity": 1200.5, "uom": "KGM"}]
    spraying = events[event_id(4)]
    assert spraying["bizStep"] == "agritrace:spraying"
    assert spraying["epcList"] == []
    assert spraying["agritrace:activeIngredient"] == "Abamectin"
    assert spraying["agritrace:preHarvestIntervalDays"] == 7
    assert spraying["agritrace:growingAreaCode"] == "VN-01OR-0007"
    # 01:30 UTC is 08:30 in Vietnam, written in the event's own offset
    assert (spraying["eventTime"], spraying["eventTimeZoneOffset"]) == \
        ("2024-03-08T08:30:00+07:00", "+07:00")
    assert events[event_id(7)]["bizStep"] == "inspecting"
    assert events[event_id(7)]["agritrace:result"] == 0.002
    assert "bizLocation" not in events[event_id(10)]   # shipped goods are in transit
    for event in events.values():
        extension_keys = set(event) - {
            "type", "eventTime", "eventTimeZoneOffset", "eventID", "action", "epcList",
            "quantityList", "bizStep", "disposition", "readPoint", "bizLocation", "ilmd"}
        assert all(k.startswith(f"{CONTEXT_PREFIX}:") for k in extension_keys), extension_keys


def test_a_farming_step_uri_is_checked_by_the_schema_like_any_other():
    doc = export_document(diary()[:1], created=CREATED)
    events_of(doc)[0]["bizStep"] = "urn:epcglobal:cbv:bizstep:sowing"   # CBV's namespace
    problems = validate_document(doc)
    assert [(p.event, p.field) for p in problems] == [(0, "epcisBody.eventList[0].bizStep")]
    assert biz_step_to_epcis(BizStep.SOWING) == "agritrace:sowing"
    # not a CBV 2.0 word, though the diary has it
    assert biz_step_to_epcis(BizStep.TRANSFORMING) == "agritrace:transforming"


@pytest.mark.parametrize("breakage, field, words", [
    (lambda e: e.update(eventTime="2024-03-01 07:30:00"), "eventTime", "RFC 3339"),
    (lambda e: e.update(eventTime="2024-02-30T07:30:00+07:00"), "eventTime", "RFC 3339"),
    (lambda e: e.pop("action"), "action", "missing"),
    (lambda e: e.update(note="bare"), "note", "namespace prefix"),
    (lambda e: e.update(ilmd={"harvestDate": "2024-03-20"}), "ilmd.harvestDate",
     "namespace prefix"),
    (lambda e: e.update(action="OBSERVE"), "ilmd", "only allowed when the action is ADD"),
    (lambda e: e["quantityList"][0].update(quantity="1200.5"), "quantityList[0].quantity",
     "must be a number"),
    (lambda e: e["quantityList"][0].update(uom="kg"), "quantityList[0].uom", "UN/CEFACT"),
    (lambda e: e.update(eventTimeZoneOffset="+7"), "eventTimeZoneOffset", "+07:00"),
    (lambda e: e.update(readPoint={"id": "area 7"}), "readPoint.id", "absolute URI"),
    (lambda e: (e.pop("quantityList"), e.pop("ilmd")), "", "epcList or a quantityList"),
])
def test_a_broken_export_does_not_validate_and_the_problem_is_named(breakage, field, words):
    doc = export_document(diary(), created=CREATED)
    index = 4   # the harvest, with ILMD and a quantity
    breakage(events_of(doc)[index])
    problems = validate_document(doc)
    expected = f"epcisBody.eventList[{index}]" + (f".{field}" if field else "")
    assert any(p.event == index and p.field == expected and words in p.message
               for p in problems), problems
    assert all(p.event == index for p in problems), problems


def test_export_refuses_entries_it_cannot_write_naming_each():
    events = [
        DiaryEvent(1, "harvest", at(1)),
        DiaryEvent(2, "spraying", datetime(2024, 3, 1, 7, 30)),
        DiaryEvent(3, "spraying", at(1), event_tz="+7"),
        DiaryEvent(4, "spraying", at(1), details={"activeIngredient": "x"}),
        DiaryEvent(5, "spraying", at(1), ilmd={"harvest_date": "2024-03-01"}),
        DiaryEvent(6, "packing", at(1), quantity=3, uom="KGM"),
        DiaryEvent(7, "packing", at(1), lot_uri="lot 7"),
        DiaryEvent(8, "packing", at(1), lot_uri=LOT_DL, quantity=float("nan")),
        DiaryEvent(9, "packing", at(1), disposition="sold"),
        DiaryEvent(10, "spraying", at(1), details={"pre_harvest_interval_days": 7}),
        DiaryEvent(11, "spraying", at(1), details={"sample": object()}),
    ]
    with pytest.raises(EpcisError) as caught:
        export_document(events, created=CREATED)
    named = {(p.event, p.field) for p in caught.value.problems}
    assert named == {(0, "biz_step"), (1, "event_time"), (2, "event_tz"),
                     (3, "details.activeIngredient"), (4, "ilmd"), (5, "quantity"),
                     (6, "lot_uri"), (7, "quantity"), (8, "disposition"),
                     (9, "details.pre_harvest_interval_days"), (10, "details.sample")}
    assert all(f"diary entry {p.event + 1}:" in p.message for p in caught.value.problems)


def test_export_takes_decimals_and_dates_from_the_database_as_json():
    from datetime import date
    event = DiaryEvent(1, "lab_testing", at(1), lot_uri=LOT_DL, quantity=Decimal("12.250"),
                       uom="KGM", details={"result": Decimal("0.010"),
                                           "tested_on": date(2024, 3, 1), "none_given": None})
    doc = export_document([event], created=CREATED)
    out = events_of(doc)[0]
    assert out["quantityList"][0]["quantity"] == 12.25
    assert out["agritrace:result"] == 0.01
    assert out["agritrace:testedOn"] == "2024-03-01"
    assert "agritrace:noneGiven" not in out
    json.dumps(doc)   # nothing left that JSON cannot hold


def test_event_ids_are_stable_and_distinct():
    assert event_id(5) == event_id(5)
    assert len({event_id(i) for i in range(100)}) == 100


# --- identifiers --------------------------------------------------------------------

def test_lot_uris():
    assert LOT_DL == f"{BASE}/01/0{GTIN}/10/ST25%2F2024-A"
    assert lot_uri(BASE + "/", "A!1", gtin=GTIN).endswith("/10/A%211")
    assert LOT_URN == "urn:agritrace:lot:4.11.B-07"
    assert parse_lot_uri(LOT_DL) == {"gtin": "0" + GTIN, "lot": "ST25/2024-A"}
    assert parse_lot_uri(LOT_URN) == {"organization_id": 4, "product_id": 11, "lot": "B-07"}
    assert parse_lot_uri(lot_uri(BASE, "1.2.3", organization_id=4, product_id=11))["lot"] == "1.2.3"
    assert parse_lot_uri("urn:epc:class:lgtin:4012345.012345.998877") is None
    with pytest.raises(ValueError):
        lot_uri(BASE, "A1")
    wrong = GTIN[:-1] + str((int(GTIN[-1]) + 1) % 10)
    with pytest.raises(ValueError, match="check digit"):
        lot_uri(BASE, "A1", gtin=wrong)


def test_place_uris():
    assert AREA == f"{BASE}/areas/VN-01OR-0007"
    assert area_uri(BASE, area_id=42) == "urn:agritrace:area:id:42"
    assert HOUSE == "urn:agritrace:facility:code:VN-01PH-0002"
    assert facility_uri(facility_id=9) == "urn:agritrace:facility:id:9"


# --- GS1's examples -----------------------------------------------------------------

def test_the_gs1_examples_are_here():
    assert len(GS1_EXAMPLES) >= 8 and OBJECT_EVENT_EXAMPLES and OTHER_EXAMPLES
    assert (DATA / "LICENSE").is_file()


@pytest.mark.parametrize("path", GS1_EXAMPLES, ids=lambda p: p.name)
def test_gs1_examples_validate(path):
    assert validate_document(json.loads(path.read_text("utf-8"))) == []


@pytest.mark.parametrize("path", OBJECT_EVENT_EXAMPLES, ids=lambda p: p.name)
def test_gs1_object_event_examples_are_read(path):
    entries = read_document(path.read_bytes())
    assert entries
    for entry in entries:
        assert entry["biz_step"] in BizStep._value2member_map_
        assert entry["event_time"].utcoffset() is not None
        assert entry["event_id"].startswith("ni:///sha-256;")


def test_gs1_example_9_6_1_read_in_detail():
    first, second = read_document((DATA / "Example_9.6.1-ObjectEvent.jsonld").read_bytes())
    assert (first["biz_step"], first["disposition"]) == ("shipping", "in_transit")
    assert first["event_time"] == datetime(2005, 4, 3, 20, 33, 31, 116000,
                                           tzinfo=timezone(-timedelta(hours=6)))
    assert first["event_tz"] == "-06:00"
    assert first["location_uri"] == "urn:epc:id:sgln:0614141.07346.1234"
    assert first["details"]["epcis_epc_list"] == ["urn:epc:id:sgtin:0614141.107346.2017",
                                                  "urn:epc:id:sgtin:0614141.107346.2018"]
    assert first["details"]["epcis_fields"]["bizTransactionList"][0]["type"] == "po"
    assert (second["biz_step"], second["disposition"]) == ("receiving", "in_progress")
    # another party's extension is kept under its full IRI, never dropped
    assert second["details"]["epcis_extensions"] == {
        "http://ns.example.com/epcis/myField": "Example of a vendor/user extension"}


def test_gs1_example_9_6_2_quantity_is_read():
    (entry,) = read_document((DATA / "Example_9.6.2-ObjectEvent.jsonld").read_text("utf-8"))
    assert (entry["lot_uri"], entry["quantity"], entry["uom"]) == \
        ("urn:epc:class:lgtin:4012345.012345.998877", 200.0, "KGM")
    assert entry["event_time"] == datetime(2013, 6, 8, 14, 58, 56, 591000, tzinfo=timezone.utc)


@pytest.mark.parametrize("path", OTHER_EXAMPLES, ids=lambda p: p.name)
def test_gs1_examples_with_other_event_types_are_refused_naming_the_event(path):
    with pytest.raises(EpcisError) as caught:
        read_document(path.read_bytes())
    problems = caught.value.problems
    assert problems and all(p.field == f"epcisBody.eventList[{p.event}].type" for p in problems)
    assert all("only ObjectEvents" in p.message for p in problems)


def test_a_mixed_document_is_refused_naming_only_the_other_event():
    doc = json.loads((DATA / "Example_9.6.1-ObjectEvent.jsonld").read_text("utf-8"))
    aggregation = json.loads((DATA / "Example_9.6.3-AggregationEvent.jsonld").read_text("utf-8"))
    events_of(doc).append(events_of(aggregation)[0])
    with pytest.raises(EpcisError) as caught:
        read_document(json.dumps(doc))
    assert [(p.event, p.field) for p in caught.value.problems] == \
        [(2, "epcisBody.eventList[2].type")]
    assert "AggregationEvent" in caught.value.problems[0].message


# --- round trip ---------------------------------------------------------------------

def test_round_trip_keeps_steps_times_quantities_and_details():
    events = diary()
    entries = read_document(json.dumps(export_document(events, created=CREATED)))
    assert len(entries) == len(events)
    for event, entry in zip(events, entries):
        assert entry["biz_step"] == event.biz_step
        assert entry["disposition"] == event.disposition
        assert entry["event_time"] == event.event_time
        assert entry["event_tz"] == event.event_tz
        assert (entry["lot_uri"], entry["quantity"], entry["uom"]) == \
            (event.lot_uri, event.quantity, event.uom)
        assert entry["location_uri"] == event.location_uri
        assert entry["area_code"] == event.area_code
        assert entry["details"] == dict(event.details)
        assert entry["ilmd"] == dict(event.ilmd)
        assert entry["event_id"] == event_id(event.id)
        assert BizStep(entry["biz_step"]) and (entry["disposition"] is None
                                               or Disposition(entry["disposition"]))


def test_reading_maps_our_namespace_by_iri_not_by_prefix():
    doc = export_document(diary()[3:5], created=CREATED)
    doc["@context"][1] = {"farm": NAMESPACE}
    text = json.dumps(doc).replace('"agritrace:', '"farm:')
    spraying, harvest = read_document(text)
    assert spraying["biz_step"] == "spraying"
    assert spraying["details"]["active_ingredient"] == "Abamectin"
    assert harvest["biz_step"] == "harvesting"
    assert harvest["ilmd"]["harvest_date"] == "2024-03-20"


def test_unknown_steps_become_other_with_the_original_kept():
    doc = export_document(diary()[:3], created=CREATED)
    events = events_of(doc)
    events[0]["bizStep"] = "picking"                          # CBV, but not in our diary
    events[1]["bizStep"] = "https://example.org/steps/weeding"
    events[2]["disposition"] = "retail_sold"
    picking, weeding, irrigation = read_document(json.dumps(doc))
    assert (picking["biz_step"], picking["details"]["epcis_biz_step"]) == ("other", "picking")
    assert (weeding["biz_step"], weeding["details"]["epcis_biz_step"]) == \
        ("other", "https://example.org/steps/weeding")
    assert irrigation["disposition"] is None
    assert irrigation["details"]["epcis_disposition"] == "retail_sold"


def test_full_cbv_iris_are_read_as_their_words():
    doc = export_document(diary()[9:10], created=CREATED)
    events_of(doc)[0]["bizStep"] = "https://ref.gs1.org/cbv/BizStep-shipping"
    events_of(doc)[0]["disposition"] = "cbv:Disp-in_transit"
    (entry,) = read_document(json.dumps(doc))
    assert (entry["biz_step"], entry["disposition"]) == ("shipping", "in_transit")


def test_a_commissioning_from_elsewhere_stays_commissioning():
    doc = export_document(diary()[4:5], created=CREATED)
    del events_of(doc)[0]["agritrace:diaryStep"]
    (entry,) = read_document(json.dumps(doc))
    assert entry["biz_step"] == "commissioning"


def test_more_than_one_lot_in_an_event_is_refused():
    doc = export_document(diary()[4:5], created=CREATED)
    events_of(doc)[0]["quantityList"].append({"epcClass": LOT_URN, "quantity": 1})
    with pytest.raises(EpcisError) as caught:
        read_document(json.dumps(doc))
    assert [(p.event, p.field) for p in caught.value.problems] == \
        [(0, "epcisBody.eventList[0].quantityList")]


def test_nanosecond_times_are_read_to_the_microsecond():
    doc = export_document(diary()[:1], created=CREATED)
    events_of(doc)[0]["eventTime"] = "2024-03-01T07:30:00.123456789Z"
    (entry,) = read_document(json.dumps(doc))
    assert entry["event_time"] == datetime(2024, 3, 1, 7, 30, 0, 123456, tzinfo=timezone.utc)


# --- bad input ----------------------------------------------------------------------

def test_not_json_names_line_and_column():
    with pytest.raises(EpcisError, match=r"not JSON: .* line 3, column 16"):
        read_document('{\n  "type": "EPCISDocument",\n  "epcisBody": }')


def test_not_utf8_is_refused():
    with pytest.raises(EpcisError, match="not UTF-8"):
        read_document(b'{"type": "EPCISDocument", "sender": "\xff"}')


@pytest.mark.parametrize("text", ['[1, 2]', '"EPCIS"', '{"hello": "world"}',
                                  '{"type": "ObjectEvent"}'])
def test_json_that_is_not_epcis_is_refused(text):
    with pytest.raises(EpcisError, match="not an EPCIS 2.0 document") as caught:
        read_document(text)
    assert caught.value.problems[0].field == "type"


def test_schema_failures_name_the_event_and_field():
    doc = export_document(diary(), created=CREATED)
    events_of(doc)[3]["eventTime"] = "08/03/2024 08:30"
    events_of(doc)[9]["agritrace:note"] = "fine"
    events_of(doc)[9]["ghi_chu"] = "bare key"
    with pytest.raises(EpcisError, match="does not follow GS1's EPCIS 2.0 schema") as caught:
        read_document(json.dumps(doc))
    assert [(p.event, p.field) for p in caught.value.problems] == [
        (3, "epcisBody.eventList[3].eventTime"), (9, "epcisBody.eventList[9].ghi_chu")]
    assert "event 3, epcisBody.eventList[3].eventTime" in str(caught.value)


def test_a_document_without_its_header_is_named_at_the_top():
    doc = export_document(diary()[:1], created=CREATED)
    del doc["creationDate"]
    problems = validate_document(copy.deepcopy(doc))
    assert [(p.event, p.field, p.message) for p in problems] == \
        [(None, "creationDate", "is missing.")]
