"""Growing areas through the API: drafting, overlap, review, codes, versions."""
import json

import pytest
from shapely.geometry import mapping
from sqlalchemy import func, select

from agritrace.models import AuditEntry, CodeSequence, GrowingArea, GrowingAreaVersion
from gis.measure import area_ha
from support import english, plot


def draft(client, headers, geom, **extra):
    body = {"name": "Lô thử", "crop": "dragon fruit", "geometry": mapping(geom), **extra}
    return client.post("/api/v1/areas", json=body, headers=headers)


def counts(db):
    return (db.scalar(select(func.count()).select_from(GrowingArea)),
            db.scalar(select(func.count()).select_from(AuditEntry)),
            db.scalar(select(func.count()).select_from(GrowingAreaVersion)))


def test_draft_submit_approve_issues_codes_in_sequence(client, db, world):
    a, p = english(world.token(world.producer_a)), english(world.token(world.official_p))
    field = plot(width_m=200, height_m=150)
    created = draft(client, a, field, households=3)
    assert created.status_code == 201, created.get_json()
    area = created.get_json()
    assert area["status"] == "draft" and area["code"] is None
    assert area["organization_id"] == world.org_a.id and area["province_code"] == 80
    # Computed by the platform, geodesic: 3 ha give or take the rectangle's rounding.
    assert area["area_ha"] == pytest.approx(area_ha(field), abs=1e-4)
    assert area["area_ha"] == pytest.approx(3.0, rel=1e-3)
    assert area["perimeter_m"] == pytest.approx(700, rel=1e-3)

    assert client.post(f"/api/v1/areas/{area['id']}/approve", json={},
                       headers=p).status_code == 409  # not submitted yet
    submitted = client.post(f"/api/v1/areas/{area['id']}/submit", json={}, headers=a)
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "submitted"
    approved = client.post(f"/api/v1/areas/{area['id']}/approve",
                           json={"valid_until": "2030-12-31"}, headers=p)
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["code"] == "VN-TNOR-0001"
    assert approved.get_json()["valid_until"] == "2030-12-31"

    second = draft(client, a, plot(east_m=300)).get_json()
    client.post(f"/api/v1/areas/{second['id']}/submit", json={}, headers=a)
    assert client.post(f"/api/v1/areas/{second['id']}/approve", json={},
                       headers=p).get_json()["code"] == "VN-TNOR-0002"

    actions = db.scalars(select(AuditEntry.action).where(
        AuditEntry.entity == "growing_area", AuditEntry.entity_id == str(area["id"]))
        .order_by(AuditEntry.id)).all()
    assert actions == ["create", "submit", "approve"]
    public = client.get("/api/v1/areas/at", query_string={"lon": field.centroid.x,
                                                           "lat": field.centroid.y})
    assert [x["code"] for x in public.get_json()] == ["VN-TNOR-0001"]


def test_overlap_is_refused_naming_the_other_area_and_nothing_changes(client, db, world):
    a, b, p = (english(world.token(u))
               for u in (world.producer_a, world.producer_b, world.official_p))
    first = draft(client, a, plot(width_m=100, height_m=100)).get_json()
    client.post(f"/api/v1/areas/{first['id']}/submit", json={}, headers=a)
    client.post(f"/api/v1/areas/{first['id']}/approve", json={}, headers=p)

    before = counts(db)
    # 20 m × 100 m of the neighbour's field: 2,000 m², well over the tolerance.
    refused = draft(client, b, plot(east_m=80, width_m=100, height_m=100))
    assert refused.status_code == 422
    body = refused.get_json()
    assert "VN-TNOR-0001" in body["detail"]
    assert "2000 m²" in body["detail"] or "1999 m²" in body["detail"] \
        or "2001 m²" in body["detail"]
    assert counts(db) == before

    # A sliver along the shared boundary (0.5 m × 100 m = 50 m²) is tolerated.
    sliver = draft(client, b, plot(east_m=99.5, width_m=100, height_m=100))
    assert sliver.status_code == 201, sliver.get_json()
    # A draft blocks nobody; once submitted, it does.
    third = draft(client, a, plot(east_m=150, width_m=100, height_m=100))
    assert third.status_code == 201
    client.post(f"/api/v1/areas/{sliver.get_json()['id']}/submit", json={}, headers=b)
    blocked = client.post(f"/api/v1/areas/{third.get_json()['id']}/submit", json={}, headers=a)
    assert blocked.status_code == 422 and "m²" in blocked.get_json()["detail"]


def test_invalid_polygons_are_refused_in_plain_words(client, db, world):
    a = english(world.token(world.producer_a))
    before = counts(db)
    bowtie = {"type": "Polygon", "coordinates": [[[106.2, 11.4], [106.201, 11.401],
                                                  [106.201, 11.4], [106.2, 11.401],
                                                  [106.2, 11.4]]]}
    r = client.post("/api/v1/areas", json={"name": "x", "crop": "lime", "geometry": bowtie},
                    headers=a)
    assert r.status_code == 422 and "geometry" in r.get_json()["errors"]
    assert "crosses itself" in r.get_json()["detail"]
    swapped = {"type": "Polygon", "coordinates": [[[11.4, 106.2], [11.401, 106.2],
                                                   [11.401, 106.201], [11.4, 106.2]]]}
    r = client.post("/api/v1/areas", json={"name": "x", "crop": "lime", "geometry": swapped},
                    headers=a)
    assert r.status_code == 422 and "latitude" in r.get_json()["detail"].lower()
    point = {"type": "Point", "coordinates": [106.2, 11.4]}
    r = client.post("/api/v1/areas", json={"name": "x", "crop": "lime", "geometry": point},
                    headers=a)
    assert r.status_code == 422
    garbage = client.post("/api/v1/areas", json={"name": "x", "crop": "lime",
                                                  "geometry": {"type": "Polygon"}}, headers=a)
    assert garbage.status_code == 422
    assert counts(db) == before

    repaired = client.post("/api/v1/areas", json={"name": "x", "crop": "lime",
                                                   "geometry": bowtie, "repair": True},
                           headers=a)
    assert repaired.status_code == 201, repaired.get_json()


def test_rights_over_areas(client, db, world):
    a, b, p, q = (english(world.token(u)) for u in (world.producer_a, world.producer_b,
                                           world.official_p, world.official_q))
    area = draft(client, a, plot()).get_json()
    url = f"/api/v1/areas/{area['id']}"
    assert client.get(url, headers=b).status_code == 404
    assert client.get(url, headers=q).status_code == 404
    assert client.get(url, headers=p).status_code == 200
    assert client.patch(url, json={"name": "mine"}, headers=b).status_code == 404
    client.post(url + "/submit", json={}, headers=a)
    assert client.post(url + "/approve", json={}, headers=a).status_code == 403
    assert client.post(url + "/approve", json={}, headers=q).status_code == 404
    read_only = english(world.token(world.official_p, "read"))
    assert client.post(url + "/approve", json={}, headers=read_only).status_code == 403
    assert client.get(url).status_code == 401
    assert db.get(GrowingArea, area["id"]).status.value == "submitted"
    # Producer B cannot draft for organisation A either.
    assert draft(client, b, plot(east_m=500), organization_id=world.org_a.id).status_code == 404


def test_life_of_an_issued_area_and_its_polygon_versions(client, db, world):
    a, p = english(world.token(world.producer_a)), english(world.token(world.official_p))
    area = draft(client, a, plot()).get_json()
    url = f"/api/v1/areas/{area['id']}"
    client.post(url + "/submit", json={}, headers=a)
    assert client.post(url + "/reject", json={}, headers=p).status_code == 422  # no reason
    assert client.post(url + "/reject", json={"reason": "Thiếu hồ sơ"}, headers=p
                       ).get_json()["status"] == "rejected"
    client.post(url + "/submit", json={}, headers=a)
    code = client.post(url + "/approve", json={}, headers=p).get_json()["code"]

    bigger = plot(width_m=120)
    proposed = client.patch(url, json={"geometry": mapping(bigger)}, headers=a)
    assert proposed.status_code == 200
    body = proposed.get_json()
    assert body["proposed_geometry"] is not None and body["version"] == 1
    assert body["area_ha"] == pytest.approx(1.0, rel=1e-3)    # unchanged until approved
    accepted = client.post(url + "/proposal", json={"approve": True}, headers=p).get_json()
    assert accepted["version"] == 2 and accepted["area_ha"] == pytest.approx(1.2, rel=1e-3)
    assert accepted["proposed_geometry"] is None and accepted["code"] == code
    versions = client.get(url + "/versions", headers=a).get_json()
    assert [v["version"] for v in versions] == [1, 2]

    assert client.post(url + "/suspend", json={"reason": "Dư lượng"}, headers=p
                       ).get_json()["status"] == "suspended"
    assert client.post(url + "/reinstate", json={}, headers=p).get_json()["status"] == "issued"
    assert client.post(url + "/revoke", json={"reason": "Ngừng sản xuất"}, headers=p
                       ).get_json()["status"] == "revoked"
    assert client.post(url + "/reinstate", json={}, headers=p).status_code == 409

    # The revoked code is never issued again.
    other = draft(client, a, plot(east_m=500)).get_json()
    client.post(f"/api/v1/areas/{other['id']}/submit", json={}, headers=a)
    assert client.post(f"/api/v1/areas/{other['id']}/approve", json={}, headers=p
                       ).get_json()["code"] == "VN-TNOR-0002"
    actions = db.scalars(select(AuditEntry.action).where(
        AuditEntry.entity == "growing_area", AuditEntry.entity_id == str(area["id"]))
        .order_by(AuditEntry.id)).all()
    assert actions == ["create", "submit", "reject", "submit", "approve", "propose_polygon",
                       "approve_polygon", "suspend", "reinstate", "revoke"]


def test_codes_from_other_systems_are_kept_verbatim(client, db, world):
    p, a = english(world.token(world.official_p)), english(world.token(world.producer_a))
    kept = draft(client, p, plot(), organization_id=world.org_a.id, code="vn-tnor-0100")
    assert kept.status_code == 201, kept.get_json()
    assert kept.get_json()["code"] == "VN-TNOR-0100" and kept.get_json()["status"] == "issued"
    # The sequence moved past it.
    assert db.get(CodeSequence, (80, "growing_area")).last_value == 100
    assert draft(client, p, plot(east_m=300), organization_id=world.org_a.id,
                 code="ABC-123").status_code == 422
    assert draft(client, p, plot(east_m=300), organization_id=world.org_a.id,
                 code="VN-DTOR-0005").status_code == 422   # another province's series
    assert draft(client, a, plot(east_m=600), code="VN-TNOR-0200").status_code == 403


def test_packing_house_gets_a_ph_code(client, db, world):
    a, p = english(world.token(world.producer_a)), english(world.token(world.official_p))
    created = client.post("/api/v1/facilities", json={
        "kind": "packing_house", "name": "Nhà đóng gói A",
        "location": {"type": "Point", "coordinates": [106.2, 11.4]}}, headers=a)
    assert created.status_code == 201, created.get_json()
    fid = created.get_json()["id"]
    approved = client.post(f"/api/v1/facilities/{fid}/approve", json={}, headers=p)
    assert approved.get_json()["code"] == "VN-TNPH-0001"
    assert approved.get_json()["status"] == "active"
    outside = client.post("/api/v1/facilities", json={
        "kind": "packing_house", "name": "Sai chỗ",
        "location": {"type": "Point", "coordinates": [11.4, 106.2]}}, headers=a)
    assert outside.status_code == 422


def test_admin_edits_a_code_template(client, db, world):
    admin, p = english(world.token(world.admin)), english(world.token(world.official_p))
    url = "/api/v1/code-templates/80/growing_area"
    assert client.put(url, json={"template": "TN-{KIND}{NNNNN}", "prov": "TN"},
                      headers=p).status_code == 403
    assert client.put(url, json={"template": "TN-{KIND}", "prov": "TN"},
                      headers=admin).status_code == 422
    saved = client.put(url, json={"template": "TN-{KIND}{NNNNN}", "prov": "TN"}, headers=admin)
    assert saved.status_code == 200, saved.get_json()
    a = english(world.token(world.producer_a))
    area = draft(client, a, plot()).get_json()
    client.post(f"/api/v1/areas/{area['id']}/submit", json={}, headers=a)
    assert client.post(f"/api/v1/areas/{area['id']}/approve", json={}, headers=p
                       ).get_json()["code"] == "TN-OR00001"
    assert db.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity == "code_template")) == 1


def test_a_loaded_province_boundary_keeps_areas_inside_it(app, client, db, world, tmp_path):
    # A made-up boundary for province P: a 2 km square around the test fields.
    boundary = plot(-500, -500, width_m=2000, height_m=2000)
    path = tmp_path / "tinh.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": mapping(boundary)}]}))
    result = app.test_cli_runner().invoke(args=["boundaries", "load", "80", str(path)])
    assert result.exit_code == 0, result.output
    assert "km²" in result.output
    a = english(world.token(world.producer_a))
    assert draft(client, a, plot(0)).status_code == 201
    outside = draft(client, a, plot(3000))
    assert outside.status_code == 422
    assert "outside the boundary of Tây Ninh" in outside.get_json()["detail"]
    bad = app.test_cli_runner().invoke(args=["boundaries", "load", "99", str(path)])
    assert bad.exit_code != 0
