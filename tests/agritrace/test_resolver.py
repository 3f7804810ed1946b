"""GS1 resolver behaviour of the stamps' Digital Links: each link type, the RFC 9264
linkset, the description file, the recall status, and that reading links is no scan."""
from datetime import date
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
from sqlalchemy import func, select

from agritrace.models import CertScheme, Certification, Scan, Stamp
from labels.codes import compact_code
from support import english
from test_scan import make_batch, make_run

GS1 = "https://gs1.org/voc/"

# RFC 9264 §4.2 (the JSON linkset: "linkset" its sole member, an array of link context
# objects with an anchor, each relation an array of target objects with an href; the
# target attributes' types) with what the GS1-Conformant resolver standard adds: every
# link has a title, languages are an array, and there is one default link carrying
# only href and title.
TARGET = {
    "type": "object", "required": ["href", "title"],
    "properties": {
        "href": {"type": "string", "format": "uri"}, "title": {"type": "string", "minLength": 1},
        "type": {"type": "string", "pattern": "^[a-z]+/[a-z0-9.+-]+$"},
        "hreflang": {"type": "array", "minItems": 1,
                     "items": {"type": "string", "pattern": "^[a-z]{2}(-[A-Za-z0-9]+)*$"}},
        "title*": {"type": "array", "items": {
            "type": "object", "required": ["value"], "additionalProperties": False,
            "properties": {"value": {"type": "string"}, "language": {"type": "string"}}}},
    },
}
LINKSET = {
    "type": "object", "required": ["linkset"], "additionalProperties": False,
    "properties": {"linkset": {"type": "array", "minItems": 1, "items": {
        "type": "object", "required": ["anchor", GS1 + "defaultLink"],
        "properties": {
            "anchor": {"type": "string", "format": "uri"},
            GS1 + "defaultLink": {"type": "array", "minItems": 1, "maxItems": 1, "items": {
                "type": "object", "required": ["href", "title"], "additionalProperties": False,
                "properties": {"href": {"type": "string"}, "title": {"type": "string"}}}},
        },
        "additionalProperties": {"type": "array", "minItems": 1, "items": TARGET},
    }}},
}


@pytest.fixture
def stamp(client, db, world):
    """A certified product's lot with an active run: (batch, stamp id, its Digital Link)."""
    world.product_a.certifications = [Certification(
        scheme=CertScheme.VIETGAP, number="VG-RES-1", issuer="QUACERT",
        valid_until=date(2099, 12, 31))]
    db.flush()
    batch = make_batch(client, world, lot="TL-RES-1")
    stamp_id = make_run(client, db, world, batch["id"], quantity=2)[1][0]
    return batch, stamp_id, f"/01/{world.product_a.gtin}/10/TL-RES-1/21/{compact_code(stamp_id)}"


def _scans(db, stamp_id) -> tuple:
    stamp = db.get(Stamp, stamp_id)
    db.refresh(stamp)
    rows = db.scalar(select(func.count()).select_from(Scan))
    return stamp.scan_count, stamp.first_scan_at, rows


def test_each_link_type_redirects_and_reading_links_is_no_scan(client, db, world, stamp):
    batch, stamp_id, path = stamp
    before = _scans(db, stamp_id)
    gtin = world.product_a.gtin
    expected = {
        "gs1:traceability": f"/trace/lots/{batch['id']}",
        f"{GS1}epcis": "/epcis/events",
        "gs1:certificationInfo": f"/01/{gtin}/10/TL-RES-1",
        "https://ref.gs1.org/voc/recallStatus": f"/recall-status/{gtin}/TL-RES-1",
    }
    for link_type, target in expected.items():
        got = client.get(path, query_string={"linkType": link_type, "utm_source": "pack"})
        assert got.status_code == 307, (link_type, got.get_data(as_text=True))
        location = urlsplit(got.headers["Location"])
        query = parse_qs(location.query)
        assert location.path == target and query["utm_source"] == ["pack"]
        assert "linkType" not in query
        assert got.headers["Access-Control-Allow-Origin"] == "*"
        assert 'rel="linkset"' in got.headers["Link"]
    epcis = client.get(path, query_string={"linkType": "gs1:epcis"}).headers["Location"]
    assert parse_qs(urlsplit(epcis).query)["MATCH_anyEPCClass"] == [
        f"http://127.0.0.1:5000/01/{gtin}/10/TL-RES-1"]
    for asked in ({"query_string": {"linkType": "linkset"}},
                  {"query_string": {"linkType": "all"}},
                  {"headers": {"Accept": "application/linkset+json"}}):
        got = client.get(path, **asked)
        assert got.status_code == 200 and got.mimetype == "application/linkset+json"
    assert client.get(path, query_string={"linkType": "gs1:nutritionalInfo"}).status_code == 404
    assert _scans(db, stamp_id) == before
    # The page itself (no linkType, or gs1:pip) is the scan, as before.
    page = client.get(path, query_string={"linkType": "gs1:pip"}, headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Genuine stamp" in page.get_data(as_text=True)
    assert db.get(Stamp, stamp_id).scan_count == before[0] + 1


def test_the_linkset_is_rfc_9264_json_with_gs1_link_types(client, db, world, stamp):
    batch, stamp_id, path = stamp
    got = client.get(path, query_string={"linkType": "linkset"},
                     headers={"Accept-Language": "en"})
    body = got.get_json(force=True)
    jsonschema.validate(body, LINKSET, format_checker=jsonschema.FormatChecker())
    (context,) = body["linkset"]
    assert context["anchor"] == "http://localhost" + path
    assert {rel.removeprefix(GS1) for rel in context if rel != "anchor"} == {
        "pip", "defaultLink", "traceability", "epcis", "certificationInfo", "recallStatus"}
    pages = context[GS1 + "pip"]
    assert [p["hreflang"] for p in pages] == [["vi"], ["en"]]
    assert context[GS1 + "defaultLink"] == [{"href": context["anchor"],
                                             "title": "Stamp check and the product's story"}]
    trace = context[GS1 + "traceability"][0]
    assert trace["title"].startswith("Trace of the lot") and trace["hreflang"] == ["vi", "en"]
    assert [t["language"] for t in trace["title*"]] == ["en", "vi"]
    assert 'rel="http://www.w3.org/ns/json-ld#context"' in got.headers["Link"]


def test_a_missing_link_type_is_a_404_that_names_the_linkset(client, db, world):
    batch = make_batch(client, world, lot="TL-RES-2")       # no certification this time
    stamp_id = make_run(client, db, world, batch["id"], quantity=1)[1][0]
    path = f"/01/{world.product_a.gtin}/10/TL-RES-2/21/{compact_code(stamp_id)}"
    got = client.get(path, query_string={"linkType": "gs1:certificationInfo"},
                     headers={"Accept-Language": "en"})
    assert got.status_code == 404 and got.mimetype == "application/problem+json"
    assert "gs1:certificationInfo" in got.get_json()["errors"]["linkType"][0]
    assert f"{path}?linkType=linkset" in got.get_json()["detail"]
    unknown = client.get(f"/01/{world.product_a.gtin}/10/TL-RES-2/21/7KQ2M9XD4TPAW3",
                         query_string={"linkType": "linkset"})
    assert unknown.status_code == 404
    assert db.scalar(select(func.count()).select_from(Scan)) == 0


def test_the_scan_page_names_its_linkset_and_the_resolver_describes_itself(client, db, world,
                                                                         stamp):
    batch, stamp_id, path = stamp
    page = client.get(path)
    assert page.status_code == 200
    assert f'<http://localhost{path}?linkType=linkset>; rel="linkset"' in page.headers["Link"]
    lot_page = client.get(f"/01/{world.product_a.gtin}/10/TL-RES-1",
                          query_string={"linkType": "linkset"}).get_json(force=True)
    assert GS1 + "recallStatus" in lot_page["linkset"][0]
    about = client.get("/.well-known/gs1resolver")
    assert about.status_code == 200 and about.headers["Access-Control-Allow-Origin"] == "*"
    description = about.get_json()
    assert description["resolverRoot"] == "http://localhost"
    assert description["supportedPrimaryKeys"] == ["01"]
    assert description["supportedLinkType"] == [{"namespace": GS1, "prefix": "gs1:"}]


def test_the_recall_status_of_a_lot(client, db, world, stamp):
    batch, stamp_id, path = stamp
    url = f"/recall-status/{world.product_a.gtin}/TL-RES-1"
    page = client.get(url, headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "This lot is not recalled" in page.get_data(as_text=True)
    official = english(world.token(world.official_p))
    assert client.post(f"/api/v1/batches/{batch['id']}/recall", headers=official,
                       json={"reason": "Dư lượng vượt ngưỡng"}).status_code == 200
    status = client.get(url, headers={"Accept": "application/json"}).get_json()
    assert status["recalled"] is True and status["reason"] == "Dư lượng vượt ngưỡng"
    assert client.get(f"/recall-status/{world.product_a.gtin}/NO-SUCH-LOT").status_code == 404
