"""/ogc read by clients nobody here wrote — GDAL's OAPIF driver (through pyogrio)
and OWSLib — from a real server on loopback with the demo data. They are picky
about conformance classes, media types and links; that is the point."""
import json
import subprocess
import sys
from urllib.parse import parse_qs

import pytest
from geoalchemy2.shape import to_shape
from shapely import wkb
from shapely.geometry import box, shape
from sqlalchemy import select

from support import live_demo

# pyogrio holds the GIL while it reads features, and the server answers from a thread
# of this process, so GDAL runs in a child process.
GDAL_CLIENT = r"""
import json, sys
import pyogrio
from pyogrio.raw import read
args = json.loads(sys.argv[1])
options = args.get("options", {})
if "bbox" in options:
    options["bbox"] = tuple(options["bbox"])
if args.get("list"):
    print(json.dumps(pyogrio.list_layers(args["url"]).tolist()))
    raise SystemExit
meta, fids, geometries, fields = read(args["url"], layer=args["layer"], return_fids=True,
                                      **options)
print(json.dumps({
    "fields": list(meta["fields"]), "types": list(meta["ogr_types"]),
    "geometry_type": meta["geometry_type"], "fids": fids.tolist(),
    "geometries": [g.hex() for g in geometries],
    "values": [[None if v is None or v != v else str(v) for v in column.tolist()]
               for column in fields]}))
"""


@pytest.fixture(scope="module")
def server():
    """The demo on loopback, with every request the server receives recorded."""
    with live_demo("ogc_clients") as (app, base):
        requests_seen = []
        inner = app.wsgi_app

        def recording(environ, start_response):
            requests_seen.append((environ["PATH_INFO"], parse_qs(environ["QUERY_STRING"])))
            return inner(environ, start_response)
        app.wsgi_app = recording
        yield app, base, requests_seen


@pytest.fixture(scope="module")
def issued(server):
    """The demo's issued areas, straight from the database."""
    from agritrace.db import session
    from agritrace.models import AreaStatus, GrowingArea
    app = server[0]
    with app.app_context():
        rows = session().scalars(select(GrowingArea).where(
            GrowingArea.status == AreaStatus.ISSUED).order_by(GrowingArea.id)).all()
        return {a.id: {"code": a.code, "name": a.name, "crop": a.crop,
                       "hectares": float(a.area_ha), "organization": a.organization.name,
                       "geometry": to_shape(a.geom)} for a in rows}


def gdal(**args):
    done = subprocess.run([sys.executable, "-c", GDAL_CLIENT, json.dumps(args)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def items_requests(seen, collection="growing-areas"):
    return [query for path, query in seen if path == f"/ogc/collections/{collection}/items"]


def test_gdal_lists_both_collections_as_layers(server):
    _app, base, _seen = server
    assert gdal(list=True, url=f"OAPIF:{base}/ogc") == [
        ["growing-areas", "MultiPolygon"], ["facilities", "Point"]]


def test_gdal_reads_every_issued_area_with_its_properties_and_polygon(server, issued):
    _app, base, _seen = server
    result = gdal(url=f"OAPIF:{base}/ogc", layer="growing-areas")
    assert len(issued) == 33
    assert result["fids"] == list(issued)
    assert result["geometry_type"] == "MultiPolygon"
    types = dict(zip(result["fields"], result["types"]))
    assert types["hectares"] == "OFTReal" and types["province_code"] == "OFTInteger"
    assert types["issued_at"] == "OFTDateTime" and types["valid_until"] == "OFTDate"
    column = {name: values for name, values in zip(result["fields"], result["values"])}
    for i, (area_id, area) in enumerate(issued.items()):
        for name in ("code", "name", "crop", "organization"):
            assert column[name][i] == area[name], (area_id, name)
        assert float(column["hectares"][i]) == pytest.approx(area["hectares"])
        assert column["province"][i] == "Tây Ninh"
        assert column["status"][i] == "issued"
        polygon = wkb.loads(bytes.fromhex(result["geometries"][i]))
        assert polygon.hausdorff_distance(area["geometry"]) < 1e-7, area_id


def test_gdal_follows_next_links_page_by_page(server, issued):
    _app, base, seen = server
    seen.clear()
    result = gdal(url=f"OAPIF:{base}/ogc", layer="growing-areas",
                  options={"PAGE_SIZE": "7"})
    assert result["fids"] == list(issued)
    offsets = [int(q.get("offset", ["0"])[0]) for q in items_requests(seen)
               if q.get("limit") == ["7"]]
    assert offsets[-5:] == [0, 7, 14, 21, 28]


def test_gdal_sends_bbox_and_where_to_the_server(server, issued):
    _app, base, seen = server
    seen.clear()
    area = box(105.90, 10.55, 106.00, 10.62)
    result = gdal(url=f"OAPIF:{base}/ogc", layer="growing-areas",
                  options={"where": "crop = 'rice'", "bbox": list(area.bounds)})
    expected = [i for i, a in issued.items()
                if a["crop"] == "rice" and a["geometry"].intersects(area)]
    assert 0 < len(expected) < sum(a["crop"] == "rice" for a in issued.values())
    assert result["fids"] == expected
    sent = items_requests(seen)[-1]
    assert sent["crop"] == ["rice"]
    assert [float(v) for v in sent["bbox"][0].split(",")] == pytest.approx(list(area.bounds))


def test_gdal_reads_the_facilities(server):
    _app, base, _seen = server
    result = gdal(url=f"OAPIF:{base}/ogc", layer="facilities")
    column = dict(zip(result["fields"], result["values"]))
    assert len(result["fids"]) == 3 and set(column["kind"]) == {"packing_house"}
    assert all(code.startswith("VN-TNPH-") for code in column["code"])


def test_owslib_reads_the_service(server, issued):
    from owslib.ogcapi.features import Features
    _app, base, _seen = server
    service = Features(f"{base}/ogc")
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in \
        service.conformance()["conformsTo"]
    assert service.api()["paths"]["/collections/growing-areas/items"]
    assert service.feature_collections() == ["growing-areas", "facilities"]
    collection = service.collection("growing-areas")
    west, south, east, north = collection["extent"]["spatial"]["bbox"][0]
    for area in issued.values():
        x0, y0, x1, y1 = area["geometry"].bounds
        assert west <= x0 and south <= y0 and x1 <= east and y1 <= north

    seen_ids = []
    for offset in range(0, 40, 10):
        page = service.collection_items("growing-areas", limit=10, offset=offset)
        assert page["numberMatched"] == len(issued)
        seen_ids += [f["id"] for f in page["features"]]
    assert seen_ids == list(issued)

    area = box(106.43, 10.40, 106.50, 10.47)
    dragon_fruit = service.collection_items("growing-areas", bbox=list(area.bounds),
                                     crop="dragon fruit", limit=100)
    expected = [i for i, a in issued.items()
                if a["crop"] == "dragon fruit" and a["geometry"].intersects(area)]
    assert expected and [f["id"] for f in dragon_fruit["features"]] == expected

    first = next(iter(issued))
    feature = service.collection_item("growing-areas", str(first))
    assert feature["properties"]["code"] == issued[first]["code"]
    assert shape(feature["geometry"]).hausdorff_distance(issued[first]["geometry"]) < 1e-7
    with pytest.raises(RuntimeError):
        service.collection_item("growing-areas", "999999")
    with pytest.raises(RuntimeError):
        service.collection_items("growing-areas", limit=0)
