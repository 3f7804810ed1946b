"""Who may call what: every rule of the app's URL map, as each of six actors (the
public, producers of organisations A and B, officials of provinces P and Q, an
administrator), against objects of organisation A in province P.

The cases are generated from `app.url_map`: a rule without an expectation below fails
the suite, so a new endpoint cannot ship without its rights written down. A request is
allowed when it answers neither 401, 403 nor 404 and does not send to the login page;
every denied write must leave every table exactly as it was (DESIGN §6)."""
from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from PIL import Image
from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from agritrace import create_app
from agritrace.operations import localdb
from agritrace.clock import today
from agritrace.db import EXTENSION
from agritrace.models import (ApiToken, Certification, CertScheme, Notice, Product,
                              RecallHolder, Report, Stamp)
from agritrace.models import Batch, Facility, LogisticUnit, UnitKind
from area_files import kml
from labels.codes import compact_code, format_code
from labels.sscc import build_sscc
from support import DONG_THAP, PASSWORD, TAY_NINH, World, english, login, plot, snapshot
from test_batches import issued_area, new_batch

import access_epcis
import access_field
import access_markets
import access_scale

from access_roles import *  # noqa: F401,F403  (the actor sets)
from access_roles import ACTORS, WRITES

# "METHOD rule" → the actors allowed. Paths under /portal and /gis serve the same views.
EXPECT: dict[str, frozenset] = {
    # public pages and services
    "GET /": EVERYONE, "GET /healthz": EVERYONE,
    "GET /login": EVERYONE, "POST /login": EVERYONE, "POST /logout": EVERYONE,
    "GET /register": EVERYONE, "POST /register": EVERYONE,
    "GET /01/<path:_rest>": EVERYONE, "POST /01/<path:_rest>": EVERYONE,
    "GET /s/<code>": EVERYONE, "POST /s/<code>": EVERYONE,
    "GET /verify": EVERYONE, "POST /verify": EVERYONE,
    "GET /report": EVERYONE, "POST /report": EVERYONE, "GET /report/sent": EVERYONE,
    "GET /areas/<code>": EVERYONE, "GET /map": EVERYONE, "GET /map/search": EVERYONE,
    "GET /media/products/<name>.jpg": EVERYONE,
    "GET /tiles/<layer>/<z>/<x>/<y>.pbf": EVERYONE,
    "GET /ogc": EVERYONE, "GET /ogc/": EVERYONE, "GET /ogc/api": EVERYONE,
    "GET /ogc/conformance": EVERYONE, "GET /ogc/collections": EVERYONE,
    "GET /ogc/collections/<collection_id>": EVERYONE,
    "GET /ogc/collections/<collection_id>/items": EVERYONE,
    "GET /ogc/collections/<collection_id>/items/<feature_id>": EVERYONE,
    "GET /api/v1/openapi.json": EVERYONE, "GET /api/v1/provinces": EVERYONE,
    "GET /api/v1/provinces/<int:province_code>/wards": EVERYONE,
    "POST /api/v1/registrations": EVERYONE,
    # one's own account
    "GET /account/": LOGIN, "POST /account/": LOGIN, "POST /account/password": LOGIN,
    "POST /account/tokens/<id:token_id>/revoke": SELF,
    "GET /api/v1/users/me": LOGIN,
    "GET /api/v1/tokens": LOGIN, "POST /api/v1/tokens": LOGIN,
    "DELETE /api/v1/tokens/<id:token_id>": SELF,
    "GET /admin/": ADMIN, "POST /admin/": ADMIN, "GET /admin/keys": ADMIN,
    # organisations
    "GET /api/v1/organizations": LOGIN, "POST /api/v1/organizations": REVIEW,
    "GET /api/v1/organizations/<id:org_id>": OWNER,
    "PATCH /api/v1/organizations/<id:org_id>": OWNER,
    "POST /api/v1/organizations/<id:org_id>/review": REVIEW,
    "POST /gis/organizations/<id:org_id>/review": REVIEW,
    "GET /portal/": PRODUCERS, "POST /portal/": PRODUCERS,
    "GET /gis/": OFFICIALS,
    # growing areas (vùng trồng) and their imports
    "GET /api/v1/areas": LOGIN, "POST /api/v1/areas": OWNER,
    "GET /api/v1/areas/at": EVERYONE, "GET /api/v1/areas/export": LOGIN,
    "POST /api/v1/areas/submit": OWNER, "POST /api/v1/areas/approve": REVIEW,
    "GET /api/v1/areas/<id:area_id>": OWNER, "PATCH /api/v1/areas/<id:area_id>": OWNER,
    "DELETE /api/v1/areas/<id:area_id>": OWNER,
    "GET /api/v1/areas/<id:area_id>/versions": OWNER,
    "POST /api/v1/areas/<id:area_id>/submit": OWNER,
    "POST /api/v1/areas/<id:area_id>/approve": REVIEW,
    "POST /api/v1/areas/<id:area_id>/reject": REVIEW,
    "POST /api/v1/areas/<id:area_id>/suspend": REVIEW,
    "POST /api/v1/areas/<id:area_id>/reinstate": REVIEW,
    "POST /api/v1/areas/<id:area_id>/revoke": REVIEW,
    "POST /api/v1/areas/<id:area_id>/proposal": REVIEW,
    "GET /api/v1/area-imports": LOGIN, "POST /api/v1/area-imports": OWNER,
    "GET /api/v1/area-imports/<id:import_id>": OWNER,
    "POST /api/v1/area-imports/<id:import_id>/commit": OWNER,
    "POST /api/v1/area-imports/<id:import_id>/discard": OWNER,
    "GET /api/v1/code-templates": LOGIN,
    "PUT /api/v1/code-templates/<int(min=1,max=99):province_code>"
    "/<any(growing_area,packing_house):kind>": ADMIN,
    "GET /{side}/areas/": LOGIN, "GET /{side}/areas/export": LOGIN,
    "GET /{side}/areas/new": LOGIN, "POST /{side}/areas/new": OWNER,
    "POST /{side}/areas/import": OWNER,
    "GET /{side}/areas/<id:area_id>": OWNER,
    "POST /{side}/areas/<id:area_id>/act": REVIEW,
    "GET /{side}/imports/<id:import_id>": OWNER,
    "POST /{side}/imports/<id:import_id>/commit": OWNER,
    "GET /gis/map": OFFICIALS, "GET /gis/map/search": OFFICIALS,
    # facilities (cơ sở đóng gói)
    "GET /api/v1/facilities": LOGIN, "POST /api/v1/facilities": OWNER,
    "GET /api/v1/facilities/<id:facility_id>": OWNER,
    "POST /api/v1/facilities/<id:facility_id>/approve": REVIEW,
    "POST /api/v1/facilities/<id:facility_id>/suspend": REVIEW,
    "POST /api/v1/facilities/<id:facility_id>/reinstate": REVIEW,
    "POST /api/v1/facilities/<id:facility_id>/close": REVIEW,
    # products
    "GET /api/v1/products": LOGIN, "POST /api/v1/products": OWN_WRITE,
    "GET /api/v1/products/<id:product_id>": OWNER,
    "PATCH /api/v1/products/<id:product_id>": OWN_WRITE,
    "DELETE /api/v1/products/<id:product_id>": OWN_WRITE,
    "PUT /api/v1/products/<id:product_id>/photo": OWN_WRITE,
    "DELETE /api/v1/products/<id:product_id>/photo": OWN_WRITE,
    "GET /{side}/products/<id:product_id>": OWNER,
    "POST /portal/products/<id:product_id>": OWN_WRITE,
    "POST /portal/products/<id:product_id>/delete": OWN_WRITE,
    "POST /portal/products/<id:product_id>/photo": OWN_WRITE,
    "POST /portal/products/<id:product_id>/photo/delete": OWN_WRITE,
    "POST /portal/products/<id:product_id>/certifications": OWN_WRITE,
    "POST /portal/products/<id:product_id>/certifications/<id:certification_id>/delete":
        OWN_WRITE,
    # batches (lô hàng), the diary (nhật ký) and stamps (tem)
    "GET /api/v1/batches": LOGIN, "POST /api/v1/batches": OWN_WRITE,
    "GET /api/v1/batches/<id:batch_id>": OWNER,
    "PATCH /api/v1/batches/<id:batch_id>": OWN_WRITE,
    "POST /api/v1/batches/<id:batch_id>/close": OWN_WRITE,
    "POST /api/v1/batches/<id:batch_id>/recall": OWNER,
    "POST /api/v1/batches/<id:batch_id>/clear-hold": REVIEW,
    "GET /api/v1/batches/<id:batch_id>/epcis": OWNER,
    "POST /api/v1/batches/<id:batch_id>/epcis": OWN_WRITE,
    "GET /epcis/events": LOGIN,
    "GET /api/v1/diary": LOGIN, "POST /api/v1/diary": OWN_WRITE,
    "POST /api/v1/stamp-orders": OWNER,
    "GET /api/v1/stamp-orders/<id:order_id>": OWNER,
    "GET /api/v1/stamp-runs": LOGIN, "GET /api/v1/stamp-runs/<id:run_id>": OWNER,
    "GET /api/v1/stamp-runs/<id:run_id>/print": OWNER,
    "POST /api/v1/stamp-runs/<id:run_id>/activate": OWNER,
    "POST /api/v1/stamp-runs/<id:run_id>/void": OWNER,
    "GET /{side}/batches": LOGIN, "GET /{side}/batches/<id:batch_id>": OWNER,
    "POST /{side}/batches/<id:batch_id>/close": OWN_WRITE,
    "POST /{side}/batches/<id:batch_id>/recall": OWNER,
    "POST /{side}/batches/<id:batch_id>/clear-hold": REVIEW,
    "POST /portal/batches/<id:batch_id>/epcis": SELF,
    "GET /portal/batches/new": PRODUCER_ONLY, "POST /portal/batches/new": SELF,
    "GET /{side}/batches/<id:batch_id>/stamps": OWNER,
    "POST /{side}/batches/<id:batch_id>/stamps": OWNER,
    "GET /{side}/stamp-orders/<id:order_id>": OWNER,
    "GET /{side}/stamp-runs/<id:run_id>": OWNER,
    "GET /{side}/stamp-runs/<id:run_id>/print": OWNER,
    "POST /{side}/stamp-runs/<id:run_id>/activate": OWNER,
    "POST /{side}/stamp-runs/<id:run_id>/void": OWNER,
    "GET /{side}/diary": LOGIN,
    "GET /portal/diary/new": SELF, "POST /portal/diary/new": SELF,
    "GET /portal/diary/<id:event_id>/saved": SELF,
    # hand-overs (giao nhận) of A's lot to B, stock and external parties
    "GET /api/v1/handovers": LOGIN, "POST /api/v1/handovers": SELF,
    "GET /api/v1/handovers/<id:handover_id>": HANDOVER,
    "POST /api/v1/handovers/<id:handover_id>/receipt": RECEIVER,
    "POST /api/v1/handovers/<id:handover_id>/refusal": RECEIVER,
    "GET /api/v1/stock": LOGIN,
    "GET /api/v1/parties": LOGIN, "POST /api/v1/parties": PRODUCER_ONLY,
    "GET /portal/stock": PRODUCER_ONLY, "GET /{side}/handovers": LOGIN,
    "GET /portal/handovers/new": PRODUCER_ONLY, "POST /portal/handovers/new": SELF,
    "GET /{side}/handovers/<id:handover_id>": HANDOVER,
    "POST /portal/handovers/<id:handover_id>/receipt": RECEIVER,
    "POST /portal/handovers/<id:handover_id>/refusal": RECEIVER,
    "GET /portal/parties": PRODUCER_ONLY, "POST /portal/parties": PRODUCER_ONLY,
    # consumers' reports (phản ánh) and statistics
    "GET /gis/reports": OFFICIALS,
    "GET /gis/reports/<id:report_id>": REVIEW, "POST /gis/reports/<id:report_id>": REVIEW,
    "GET /gis/stats": OFFICIALS, "GET /gis/stats/<table>.csv": OFFICIALS,
    # the capacity ledger of growing-area codes: each official for its own province,
    # the administrator for the platform's default yields
    "GET /gis/capacity": OFFICIALS, "POST /gis/capacity/yields": OFFICIALS,
    "GET /gis/capacity/flagged.geojson": OFFICIALS,
    "GET /api/v1/capacity": OFFICIALS, "GET /api/v1/crop-yields": OFFICIALS,
    "PUT /api/v1/crop-yields/<crop>": OFFICIALS,
    # recalls (thu hồi) that reach every holder, and the organisation's inbox: A recalled
    # a lot of its own, so it started the recall and holds the stock
    "POST /api/v1/recalls": OWNER, "GET /api/v1/recalls/<id:recall_id>": OWNER,
    "POST /api/v1/recall-holders/<id:holder_id>/confirmation": SELF,
    "GET /api/v1/notices": LOGIN,
    "GET /portal/inbox": PRODUCER_ONLY, "POST /portal/inbox/<id:notice_id>/read": SELF,
    "GET /portal/recall-holders/<id:holder_id>": SELF,
    "POST /portal/recall-holders/<id:holder_id>": SELF,
    "GET /recalls/<id:recall_id>": OWNER, "GET /gis/recalls": OFFICIALS,
    # tracing back and forward (truy xuất) from A's lot, a carton of it, its stamp, A's
    # area code and packing-house code: an organisation sees its own chain, an official
    # the chains touching the province
    "GET /trace": LOGIN, "GET /trace/lots/<id:batch_id>": OWNER,
    "GET /api/v1/trace/lots/<id:batch_id>": OWNER,
    "GET /api/v1/trace/lots/<id:batch_id>/epcis": OWNER,
    "GET /api/v1/trace/sscc/<sscc>": OWNER, "GET /api/v1/trace/stamps/<code>": OWNER,
    "GET /api/v1/trace/areas/<code>": OWNER, "GET /api/v1/trace/facilities/<code>": OWNER,
    # transformations (chế biến, đóng gói) at A's own packing house, an export lot of
    # what came out and its cartons (SSCC), whose Digital Link anyone may open
    "POST /api/v1/transformations": SELF,
    "GET /api/v1/transformations/<id:transformation_id>": OWNER,
    "POST /api/v1/export-lots": SELF,
    "POST /api/v1/export-lots/<id:lot_id>/cartons": OWN_WRITE,
    "GET /api/v1/export-lots/<id:lot_id>/labels.pdf": OWNER,
    "GET /api/v1/sscc/<sscc>": OWNER, "GET /00/<sscc>": EVERYONE,
    "GET /{side}/transformations": LOGIN,
    "GET /{side}/transformations/<id:transformation_id>": OWNER,
    "GET /portal/transformations/new": PRODUCER_ONLY, "POST /portal/transformations/new": SELF,
    "GET /portal/export-lots/new": PRODUCER_ONLY, "POST /portal/export-lots/new": SELF,
    "GET /{side}/export-lots/<id:lot_id>": OWNER,
    "POST /portal/export-lots/<id:lot_id>/cartons": SELF,
    "GET /{side}/export-lots/<id:lot_id>/labels.pdf": OWNER,
}

# The routes of each later feature keep their rules, objects and bodies in a module of
# their own beside this one (access_*.py), merged here.
TOPICS = (access_epcis, access_field, access_scale, access_markets)
for _topic in TOPICS:
    EXPECT.update(_topic.EXPECT)

# Known departures from DESIGN §6, kept visible: "METHOD rule actor" → why.
BUGS: dict[str, str] = {}

# Allowed writes must succeed with the bodies below (so that a denial is about rights,
# not about the body), except these: "METHOD rule actor" → why.
ALLOWED_BUT_REFUSED = {
    "POST /portal/ admin": "the portal's product form creates products in the user's own "
                           "organisation, and an administrator has none (400)",
}


def expectation(method: str, rule: str) -> frozenset | None:
    found = EXPECT.get(f"{method} {rule}")
    if found is None:
        side = re.sub(r"^/(portal|gis)/", "/{side}/", rule)
        found = EXPECT.get(f"{method} {side}")
    return found


def _route_table():
    """(method, rule, endpoint) of every route, from an app that needs no database."""
    app = create_app({"DATABASE_URL": localdb.server_url(), "SECRET_KEY": "routes"})
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((method, rule.rule, rule.endpoint))
    return out


ROUTES = _route_table()


def test_every_route_has_an_expectation():
    missing = [f"{endpoint} ({method} {rule})" for method, rule, endpoint in ROUTES
               if expectation(method, rule) is None]
    assert not missing, "routes without an access rule in EXPECT: " + ", ".join(missing)


def test_no_expectation_is_left_over():
    known = {f"{m} {r}" for m, r, _ in ROUTES} | {
        f"{m} {re.sub(r'^/(portal|gis)/', '/{side}/', r)}" for m, r, _ in ROUTES}
    assert sorted(set(EXPECT) - known) == []


# --- the objects of organisation A in province P ---------------------------------------

def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 40, 60)).save(out, "JPEG")
    return out.getvalue()


def _session_cookie(app, client):
    name = app.config["SESSION_COOKIE_NAME"]
    return name, client.get_cookie(name).value


@pytest.fixture(scope="module")
def setting(app, tmp_path_factory):
    """A world and A's objects, built once in an outer transaction rolled back at the
    end; each case runs in a savepoint of its own (see `matrix`)."""
    engine = app.extensions[EXTENSION].kw["bind"]
    connection = engine.connect()
    outer = connection.begin()
    original = app.extensions[EXTENSION]
    factory = sessionmaker(bind=connection, expire_on_commit=False,
                           join_transaction_mode="create_savepoint")
    app.extensions[EXTENSION] = factory
    upload_dir = app.config.get("UPLOAD_DIR")
    app.config["UPLOAD_DIR"] = str(tmp_path_factory.mktemp("uploads"))
    db = factory()
    try:
        with app.app_context():
            world = World(db)
        yield _build(app, db, world, connection)
    finally:
        db.close()
        app.extensions[EXTENSION] = original
        app.config["UPLOAD_DIR"] = upload_dir
        outer.rollback()
        connection.close()


def _build(app, db, world, connection):
    client = app.test_client()
    users = {"a": world.producer_a, "b": world.producer_b, "p": world.official_p,
             "q": world.official_q, "admin": world.admin}
    headers = {k: english(world.token(u)) for k, u in users.items()}
    a, p = headers["a"], headers["p"]

    area = issued_area(client, world, 0)
    draft = client.post("/api/v1/areas", headers=a, json={
        "name": "Vùng nháp", "crop": "dragon fruit",
        "geometry": plot(400).__geo_interface__}).get_json()
    submitted = client.post("/api/v1/areas", headers=a, json={
        "name": "Vùng chờ duyệt", "crop": "dragon fruit",
        "geometry": plot(600).__geo_interface__}).get_json()
    assert client.post(f"/api/v1/areas/{submitted['id']}/submit", json={},
                       headers=a).status_code == 200
    bare = client.post("/api/v1/products", headers=a, json={
        "name": "Bưởi A", "category": "fruit"}).get_json()     # no batch: may be deleted
    suspended = issued_area(client, world, 1000)
    assert client.post(f"/api/v1/areas/{suspended['id']}/suspend", headers=p,
                       json={"reason": "Kiểm tra"}).status_code == 200
    proposed = issued_area(client, world, 1400)
    moved = client.patch(f"/api/v1/areas/{proposed['id']}", headers=a,
                         json={"geometry": plot(1400, width_m=90).__geo_interface__})
    assert moved.status_code == 200, moved.get_json()
    pending = client.post("/api/v1/registrations", json={
        "organization": {"kind": "cooperative", "name": "HTX Chờ", "tax_code": "5555555555",
                         "province_code": TAY_NINH, "address": "Ấp 2"},
        "account": {"full_name": "Trần Chờ", "email": "cho@test.vn",
                    "password": "a-long-password-2"}})
    assert pending.status_code == 201, pending.get_json()
    day = today()
    batch = new_batch(client, a, world, [area], lot_code="TL-ACL-1",
                      harvest_date=str(day - timedelta(days=5)),
                      pack_date=str(day - timedelta(days=4)),
                      expiry_date=str(day + timedelta(days=30))).get_json()
    event = client.post("/api/v1/diary", headers=a, json={
        "step": "irrigation", "event_time": f"{day - timedelta(days=6)}T07:00:00+07:00",
        "details": {}, "area_id": area["id"]})
    assert event.status_code == 201, event.get_json()
    order = client.post("/api/v1/stamp-orders", headers=a,
                        json={"batch_id": batch["id"], "quantity": 5}).get_json()
    run_id = order["run_id"]
    assert client.post(f"/api/v1/stamp-runs/{run_id}/activate", headers=a).status_code == 200
    stamp = db.scalars(select(Stamp.id).where(Stamp.run_id == run_id)).first()
    # A batch of its own, held by a spraying too close to its harvest.
    held = new_batch(client, a, world, [issued_area(client, world, 1800)], lot_code="TL-HOLD",
                     harvest_date=str(day - timedelta(days=2)),
                     pack_date=str(day - timedelta(days=1)),
                     expiry_date=str(day + timedelta(days=30))).get_json()
    late = client.post("/api/v1/diary", headers=a, json={
        "step": "spraying", "event_time": f"{day - timedelta(days=4)}T07:00:00+07:00",
        "batch_id": held["id"], "details": {"product": "Antracol 70WP", "active_ingredient":
                                            "propineb", "dose": "30 g / 16 l", "phi_days": 7}})
    assert late.status_code == 201, late.get_json()
    waiting = client.post("/api/v1/stamp-orders", headers=a,
                          json={"batch_id": batch["id"], "quantity": 2}).get_json()
    facilities = {}
    for state, decisions in (("pending", ()), ("approved", ("approve",)),
                             ("suspended", ("approve", "suspend"))):
        made = client.post("/api/v1/facilities", headers=a, json={
            "kind": "packing_house", "name": f"Nhà đóng gói {state}",
            "location": Point(106.21, 11.41 + len(facilities) / 100).__geo_interface__})
        assert made.status_code == 201, made.get_json()
        facilities[state] = made.get_json()["id"]
        for decision in decisions:
            assert client.post(f"/api/v1/facilities/{facilities[state]}/{decision}",
                               headers=p, json={}).status_code == 200
    imported = client.post("/api/v1/area-imports", headers=a, data={
        "crop": "dragon fruit", "file": (io.BytesIO(kml([("Lô 1", plot(800))])), "a.kml")},
        content_type="multipart/form-data")
    assert imported.status_code == 201, imported.get_json()
    token = client.post("/api/v1/tokens", headers=a, json={"name": "to revoke"}).get_json()
    # Both products get a photo: A's is replaced and removed by the cases (the disk
    # is no part of the rolled-back transaction), B's is the one the public reads.
    for product, key in ((world.product_a, "a"), (world.product_b, "b")):
        photo = client.put(f"/api/v1/products/{product.id}/photo", headers=headers[key],
                           data={"photo": (io.BytesIO(_jpeg()), "a.jpg")},
                           content_type="multipart/form-data")
        assert photo.status_code == 200, photo.get_json()
    world.product_a.certifications = [Certification(
        scheme=CertScheme.VIETGAP, number="VG-1", issuer="QUACERT")]
    db.flush()
    anonymous = app.test_client()
    page = anonymous.get("/verify").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    sent = anonymous.post("/report", data={"csrf_token": csrf, "code": format_code(stamp),
                                           "reason": "fake", "message": "Tem dán lệch, mờ"})
    assert sent.status_code == 303, sent.get_data(as_text=True)
    report = db.scalars(select(Report.id)).one()
    # A hand-over of A's held lot to B, on its way (the usual lot keeps its quantity free).
    handover = client.post("/api/v1/handovers", headers=a, json={
        "batch_id": held["id"], "quantity": 100, "receiver_id": world.org_b.id,
        "dispatched_on": str(day - timedelta(days=1)), "delivery_note": "PGH-ACL"})
    assert handover.status_code == 201, handover.get_json()
    recalled = new_batch(client, a, world, [area], lot_code="TL-RCL", quantity=40).get_json()
    recall = client.post("/api/v1/recalls", headers=a, json={
        "batch_id": recalled["id"], "reason": "Dư lượng"}).get_json()
    holder = db.scalars(select(RecallHolder.id).where(RecallHolder.recall_id == recall["id"])
                        ).one()
    notice = db.scalars(select(Notice.id).where(Notice.recall_id == recall["id"])).one()
    # A carton of A's lot, and a lot of A's packed at its approved packing house.
    carton = build_sscc("8930001", 42)
    db.add(LogisticUnit(sscc=carton, organization_id=world.org_a.id, batch_id=batch["id"],
                        kind=UnitKind.CARTON, packed_on=day))
    db.get(Batch, recalled["id"]).packing_facility_id = facilities["approved"]
    house_code = db.scalar(select(Facility.code).where(Facility.id == facilities["approved"]))
    made = _export_lot(client, db, world, a, area, facilities["approved"])
    objects = {"batch": batch, "area": area, "stamp": stamp, "held": held,
               "facilities": facilities, **made}
    extra = {}
    for topic in TOPICS:
        extra.update(topic.build(client, db, world, headers, objects))
    db.commit()

    sessions = {"anon": (_session_cookie(app, anonymous), csrf)}
    for key, user in users.items():
        browser = app.test_client()
        assert login(browser, user.email, PASSWORD).status_code in (302, 303)
        page = browser.get("/account/").get_data(as_text=True)
        token_value = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        sessions[key] = (_session_cookie(app, browser), token_value)

    photo_name = db.scalar(select(Product.image_path).where(Product.id == world.product_b.id))
    ids = {
        "area_id": area["id"], "code": area["code"], "batch_id": batch["id"],
        "event_id": event.get_json()["id"], "order_id": order["id"], "run_id": run_id,
        "facility_id": facilities["pending"], "import_id": imported.get_json()["id"],
        "token_id": token["id"], "org_id": world.org_a.id, "product_id": world.product_a.id,
        "certification_id": world.product_a.certifications[0].id, "report_id": report,
        "province_code": TAY_NINH, "kind": "growing_area", "table": "crops",
        "name": photo_name, "collection_id": "growing-areas", "feature_id": area["id"],
        "layer": "growing-areas", "z": 14, "x": 13024, "y": 7650,
        "_rest": f"{world.product_a.gtin}/10/TL-ACL-1/21/{compact_code(stamp)}",
        "handover_id": handover.get_json()["id"],
        "recall_id": recall["id"], "holder_id": holder, "notice_id": notice,
        "sscc": carton, "house_code": house_code, **made, **extra,
    }
    return SimpleNamespace(app=app, world=world, connection=connection, headers=headers,
                           sessions=sessions, ids=ids, draft=draft, area=area, batch=batch,
                           stamp=stamp, submitted=submitted, bare=bare,
                           waiting_run=waiting["run_id"], suspended=suspended,
                           proposed=proposed, pending_org=pending.get_json()["id"],
                           facilities=facilities, held=held)


def _export_lot(client, db, world, a, area, facility_id) -> dict:
    """A packs 100 kg of a harvest lot at its own approved packing house, makes an export
    lot for China of half of it and packs two cartons, numbered from its GS1 prefix. The
    lot grows on an orchard of its own, approved for China with the packing house, so
    that `area` stays free for the markets' own proposal."""
    from lots_support import approve_for_market
    world.org_a.gs1_company_prefix = "8930000"
    orchard = issued_area(client, world, 2800)
    approve_for_market(db, orchard["code"], "CN")
    approve_for_market(db, db.get(Facility, facility_id), "CN")
    source = new_batch(client, a, world, [orchard], lot_code="TL-SRC", quantity=200).get_json()
    made = client.post("/api/v1/transformations", headers=a, json={
        "kind": "packing", "facility_id": facility_id,
        "inputs": [{"batch_id": source["id"], "quantity": 100}],
        "outputs": [{"product_id": world.product_a.id, "lot_code": "TL-PK-1",
                     "quantity": 95}]})
    assert made.status_code == 201, made.get_json()
    packed = made.get_json()["outputs"][0]["id"]
    export = client.post("/api/v1/export-lots", headers=a, json={
        "market": "CN", "product_id": world.product_a.id, "lot_code": "TL-XK-1",
        "facility_id": facility_id, "inputs": [{"batch_id": packed, "quantity": 50}]})
    assert export.status_code == 201, export.get_json()
    lot = export.get_json()["id"]
    cartons = client.post(f"/api/v1/export-lots/{lot}/cartons", headers=a,
                          json={"count": 2, "net_weight_kg": 10})
    assert cartons.status_code == 201, cartons.get_json()
    return {"transformation_id": made.get_json()["id"], "packed_lot_id": packed,
            "lot_id": lot, "source_lot_id": source["id"]}


# --- bodies that would succeed for the owner ---------------------------------------------

def _area_json(s, east):
    return {"name": "Vùng mới", "crop": "dragon fruit", "organization_id": s.world.org_a.id,
            "geometry": plot(east).__geo_interface__}


def _files(name, data, filename, **fields):
    return {"data": {**fields, name: (io.BytesIO(data), filename)},
            "content_type": "multipart/form-data"}


DAY = "2026-11-10T07:30:00+07:00"


def _epcis(s) -> dict:
    """A one-event EPCIS 2.0 document about A's batch."""
    lot = f"https://id.gs1.org/01/{s.world.product_a.gtin}/10/{s.batch['lot_code']}"
    event = {"type": "ObjectEvent", "eventTime": DAY, "eventTimeZoneOffset": "+07:00",
             "action": "OBSERVE", "bizStep": "inspecting",
             "eventID": "urn:uuid:6d8f3c1e-2b1a-4c7e-9f00-000000000001",
             "quantityList": [{"epcClass": lot, "quantity": 40, "uom": "KGM"}]}
    return {"@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
            "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": "2026-11-23T10:00:00+07:00", "epcisBody": {"eventList": [event]}}
BODIES = {
    "POST /login": lambda s: {"data": {"email": "a@test.vn", "password": PASSWORD}},
    "POST /register": lambda s: {"data": {
        "kind": "cooperative", "name": "HTX Mới", "tax_code": "4444444444",
        "province_code": TAY_NINH, "address": "Ấp 1", "full_name": "Nguyễn Văn Mới",
        "email": "moi@test.vn", "password": "a-long-password-1"}},
    "POST /api/v1/registrations": lambda s: {"json": {
        "organization": {"kind": "cooperative", "name": "HTX Mới", "tax_code": "4444444444",
                         "province_code": TAY_NINH, "address": "Ấp 1"},
        "account": {"full_name": "Nguyễn Văn Mới", "email": "moi@test.vn",
                    "password": "a-long-password-1"}}},
    "POST /verify": lambda s: {"data": {"code": format_code(s.stamp), "pin": "000000"}},
    "POST /report": lambda s: {"data": {"code": format_code(s.stamp), "reason": "fake",
                                        "message": "Tem dán lệch, mờ"}},
    "POST /api/v1/tokens": lambda s: {"json": {"name": "new"}},
    "POST /account/": lambda s: {"data": {"name": "new"}},
    "POST /account/password": lambda s: {"data": {"current_password": PASSWORD,
                                                  "new_password": "another-horse-43-long"}},
    "POST /api/v1/organizations": lambda s: {"json": {
        "kind": "cooperative", "name": "HTX Mới", "tax_code": "4444444444",
        "province_code": TAY_NINH, "address": "Ấp 1"}},
    "PATCH /api/v1/organizations/<id:org_id>": lambda s: {"json": {"phone": "0272 3871 999"}},
    "POST /api/v1/organizations/<id:org_id>/review": lambda s: {"json": {"approve": True}},
    "POST /gis/organizations/<id:org_id>/review": lambda s: {"data": {
        "decision": "approve", "reason": "Đủ hồ sơ"}},
    "POST /api/v1/areas": lambda s: {"json": _area_json(s, 1200)},
    "PATCH /api/v1/areas/<id:area_id>": lambda s: {"json": {"households": 12}},
    "POST /api/v1/areas/submit": lambda s: {"json": {"ids": [s.draft["id"]]}},
    "POST /api/v1/areas/approve": lambda s: {"json": {"ids": [s.submitted["id"]]}},
    "POST /api/v1/areas/<id:area_id>/reject": lambda s: {"json": {"reason": "Sai ranh"}},
    "POST /api/v1/areas/<id:area_id>/suspend": lambda s: {"json": {"reason": "Kiểm tra"}},
    "POST /api/v1/areas/<id:area_id>/revoke": lambda s: {"json": {"reason": "Thu hồi"}},
    "POST /api/v1/areas/<id:area_id>/proposal": lambda s: {"json": {"approve": True}},
    "POST /api/v1/area-imports": lambda s: _files(
        "file", kml([("Lô 9", plot(1600))]), "plots.kml", crop="dragon fruit",
        organization_id=str(s.world.org_a.id)),
    "POST /api/v1/area-imports/<id:import_id>/commit": lambda s: {"json": {}},
    "PUT /api/v1/code-templates/<int(min=1,max=99):province_code>"
    "/<any(growing_area,packing_house):kind>": lambda s: {"json": {
        "template": "VN-{PROV}{KIND}-{NNNN}", "prov": "TN", "kind_letters": "OR"}},
    "POST /{side}/areas/new": lambda s: {"data": {
        "name": "Vùng vẽ", "crop": "dragon fruit", "organization_id": str(s.world.org_a.id),
        "geometry": json.dumps(plot(2000).__geo_interface__)}},
    "POST /{side}/areas/import": lambda s: _files(
        "file", kml([("Lô 8", plot(2400))]), "plots.kml", crop="dragon fruit",
        organization_id=str(s.world.org_a.id)),
    "POST /{side}/areas/<id:area_id>/act": lambda s: {"data": {"action": "suspend",
                                                               "reason": "Kiểm tra"}},
    "POST /api/v1/facilities": lambda s: {"json": {
        "kind": "packing_house", "name": "Nhà đóng gói 2", "organization_id": s.world.org_a.id,
        "location": Point(106.22, 11.42).__geo_interface__}},
    "POST /api/v1/products": lambda s: {"json": {
        "organization_id": s.world.org_a.id, "name": "Xoài A", "category": "fruit"}},
    "PATCH /api/v1/products/<id:product_id>": lambda s: {"json": {"ocop_stars": 4}},
    "PUT /api/v1/products/<id:product_id>/photo": lambda s: _files("photo", _jpeg(), "photo.jpg"),
    "POST /portal/products/<id:product_id>": lambda s: {"data": {
        "name": "Thanh long A", "category": "fruit", "gtin": "09520009999910"}},
    "POST /portal/products/<id:product_id>/photo": lambda s: _files("photo", _jpeg(), "photo.jpg"),
    "POST /portal/products/<id:product_id>/certifications": lambda s: {"data": {
        "scheme": "GlobalGAP", "number": "GG-2", "issuer": "CU"}},
    "POST /api/v1/batches": lambda s: {"json": {
        "product_id": s.world.product_a.id, "lot_code": "TL-NEW-1", "harvest_date":
        "2026-11-20", "pack_date": "2026-11-21", "expiry_date": "2026-12-10",
        "quantity": 10, "unit": "KGM", "area_ids": [s.area["id"]]}},
    "PATCH /api/v1/batches/<id:batch_id>": lambda s: {"json": {"quantity": 10}},
    "POST /api/v1/batches/<id:batch_id>/epcis": lambda s: {"json": _epcis(s)},
    "POST /api/v1/batches/<id:batch_id>/recall": lambda s: {"json": {"reason": "Dư lượng"}},
    "POST /api/v1/batches/<id:batch_id>/clear-hold": lambda s: {"json": {"reason": "Đạt"}},
    "PUT /api/v1/crop-yields/<crop>": lambda s: {"json": {
        "yield_kg_per_ha": 15000, "seasons_per_year": 1, "margin_pct": 10}},
    "POST /gis/capacity/yields": lambda s: {"data": {
        "crop": "sầu riêng", "yield_kg_per_ha": "15000", "seasons_per_year": "1",
        "margin_pct": "10"}},
    "POST /{side}/batches/<id:batch_id>/recall": lambda s: {"data": {
        "reason": "Dư lượng", "confirm": "true"}},
    "POST /api/v1/recalls": lambda s: {"json": {"batch_id": s.batch["id"],
                                                "reason": "Dư lượng"}},
    "POST /api/v1/recall-holders/<id:holder_id>/confirmation": lambda s: {"json": {
        "action": "quarantined", "quantity": 10}},
    "POST /portal/recall-holders/<id:holder_id>": lambda s: {"data": {
        "action": "quarantined", "quantity": "10"}},
    "POST /portal/batches/<id:batch_id>/epcis": lambda s: _files(
        "document", json.dumps(_epcis(s)).encode(), "events.jsonld"),
    "POST /{side}/batches/<id:batch_id>/clear-hold": lambda s: {"data": {"reason": "Đạt"}},
    "POST /api/v1/handovers": lambda s: {"json": {
        "batch_id": s.batch["id"], "quantity": 10, "receiver_id": s.world.org_b.id,
        "dispatched_on": str(today() - timedelta(days=1)), "delivery_note": "PGH-1"}},
    "POST /portal/handovers/new": lambda s: {"data": {
        "batch_id": str(s.batch["id"]), "quantity": "10", "receiver": f"org:{s.world.org_b.id}",
        "dispatched_on": str(today() - timedelta(days=1)), "delivery_note": "PGH-2"}},
    "POST /api/v1/handovers/<id:handover_id>/receipt": lambda s: {"json": {
        "received_quantity": 95, "received_on": str(today())}},
    "POST /portal/handovers/<id:handover_id>/receipt": lambda s: {"data": {
        "received_quantity": "95", "received_on": str(today())}},
    "POST /api/v1/handovers/<id:handover_id>/refusal": lambda s: {"json": {"reason": "Dập"}},
    "POST /portal/handovers/<id:handover_id>/refusal": lambda s: {"data": {"reason": "Dập"}},
    "POST /api/v1/parties": lambda s: {"json": {"name": "Importer Co.", "country": "CN"}},
    "POST /portal/parties": lambda s: {"data": {"name": "Importer Co.", "country": "CN"}},
    "POST /api/v1/transformations": lambda s: {"json": {
        "kind": "grading", "facility_id": s.facilities["approved"],
        "inputs": [{"batch_id": s.ids["source_lot_id"], "quantity": 10}],
        "outputs": [{"product_id": s.world.product_a.id, "lot_code": "TL-PK-2",
                     "quantity": 9}]}},
    "POST /portal/transformations/new": lambda s: {"data": {
        "kind": "grading", "facility_id": str(s.facilities["approved"]),
        "inputs-0-batch_id": str(s.ids["source_lot_id"]), "inputs-0-quantity": "10",
        "outputs-0-product_id": str(s.world.product_a.id), "outputs-0-lot_code": "TL-PK-3",
        "outputs-0-quantity": "9", "outputs-0-unit": "KGM"}},
    "POST /api/v1/export-lots": lambda s: {"json": {
        "market": "CN", "product_id": s.world.product_a.id, "lot_code": "TL-XK-2",
        "facility_id": s.facilities["approved"],
        "inputs": [{"batch_id": s.ids["packed_lot_id"], "quantity": 10}]}},
    "POST /portal/export-lots/new": lambda s: {"data": {
        "market": "CN", "product_id": str(s.world.product_a.id), "lot_code": "TL-XK-3",
        "facility_id": str(s.facilities["approved"]), "unit": "KGM",
        "inputs-0-batch_id": str(s.ids["packed_lot_id"]), "inputs-0-quantity": "10"}},
    "POST /api/v1/export-lots/<id:lot_id>/cartons": lambda s: {"json": {
        "count": 1, "net_weight_kg": 5}},
    "POST /portal/export-lots/<id:lot_id>/cartons": lambda s: {"data": {
        "count": "1", "net_weight_kg": "5"}},
    "POST /portal/batches/new": lambda s: {"data": {
        "product_id": s.world.product_a.id, "lot_code": "TL-NEW-2", "harvest_date":
        "2026-11-20", "pack_date": "2026-11-21", "expiry_date": "2026-12-10",
        "quantity": "10", "unit": "KGM", "area_ids": str(s.area["id"])}},
    "POST /api/v1/diary": lambda s: {"json": {
        "step": "irrigation", "event_time": DAY, "details": {}, "area_id": s.area["id"]}},
    "POST /portal/diary/new": lambda s: {"data": {
        "date": "2026-11-10"}},
    "POST /api/v1/stamp-orders": lambda s: {"json": {"batch_id": s.batch["id"],
                                                     "quantity": 3}},
    "POST /{side}/batches/<id:batch_id>/stamps": lambda s: {"data": {"quantity": "3"}},
    "POST /api/v1/stamp-runs/<id:run_id>/void": lambda s: {"json": {"reason": "In hỏng"}},
    "POST /{side}/stamp-runs/<id:run_id>/void": lambda s: {"data": {"reason": "In hỏng"}},
    "POST /gis/reports/<id:report_id>": lambda s: {"data": {"status": "in_review"}},
    "POST /portal/": lambda s: {"data": {"name": "Xoài B", "category": "fruit",
                                         "organization_id": str(s.world.org_a.id)}},
    "POST /admin/": lambda s: {"data": {
        "email": "moi@test.vn", "full_name": "Cán bộ mới", "password": "a-long-password-1",
        "role": "official", "province_code": str(TAY_NINH)}},
}

# Some rules act on another object of A than the usual one, in the state they need.
OTHER = {
    "PUT /api/v1/crop-yields/<crop>": lambda s: {"crop": "durian"},
    "DELETE /api/v1/areas/<id:area_id>": lambda s: {"area_id": s.draft["id"]},
    "POST /api/v1/areas/<id:area_id>/submit": lambda s: {"area_id": s.draft["id"]},
    "POST /api/v1/areas/<id:area_id>/approve": lambda s: {"area_id": s.submitted["id"]},
    "POST /api/v1/areas/<id:area_id>/reject": lambda s: {"area_id": s.submitted["id"]},
    "DELETE /api/v1/products/<id:product_id>": lambda s: {"product_id": s.bare["id"]},
    "POST /portal/products/<id:product_id>/delete": lambda s: {"product_id": s.bare["id"]},
    "POST /api/v1/stamp-runs/<id:run_id>/activate": lambda s: {"run_id": s.waiting_run},
    "POST /portal/stamp-runs/<id:run_id>/activate": lambda s: {"run_id": s.waiting_run},
    "POST /gis/stamp-runs/<id:run_id>/activate": lambda s: {"run_id": s.waiting_run},
    "POST /api/v1/areas/<id:area_id>/reinstate": lambda s: {"area_id": s.suspended["id"]},
    "POST /api/v1/areas/<id:area_id>/proposal": lambda s: {"area_id": s.proposed["id"]},
    "POST /api/v1/organizations/<id:org_id>/review": lambda s: {"org_id": s.pending_org},
    "POST /gis/organizations/<id:org_id>/review": lambda s: {"org_id": s.pending_org},
    "POST /api/v1/facilities/<id:facility_id>/suspend":
        lambda s: {"facility_id": s.facilities["approved"]},
    "POST /api/v1/facilities/<id:facility_id>/close":
        lambda s: {"facility_id": s.facilities["approved"]},
    "POST /api/v1/facilities/<id:facility_id>/reinstate":
        lambda s: {"facility_id": s.facilities["suspended"]},
    "POST /api/v1/batches/<id:batch_id>/clear-hold": lambda s: {"batch_id": s.held["id"]},
    "POST /portal/batches/<id:batch_id>/clear-hold": lambda s: {"batch_id": s.held["id"]},
    "POST /gis/batches/<id:batch_id>/clear-hold": lambda s: {"batch_id": s.held["id"]},
    "GET /s/<code>": lambda s: {"code": compact_code(s.stamp)},
    "GET /api/v1/trace/stamps/<code>": lambda s: {"code": compact_code(s.stamp)},
    "GET /api/v1/trace/facilities/<code>": lambda s: {"code": s.ids["house_code"]},
    "POST /s/<code>": lambda s: {"code": compact_code(s.stamp)},
}

QUERIES = {"/portal/diary/new": "?step=irrigation&area_id={area_id}",
           "/api/v1/areas/at": "?lon=106.2005&lat=11.4005",
           "/api/v1/areas/export": "?format=geojson", "/portal/areas/export": "?format=geojson",
           "/gis/areas/export": "?format=geojson", "/map/search": "?q=VN",
           "/gis/map/search": "?q=VN"}

for _topic in TOPICS:
    BODIES.update(getattr(_topic, "BODIES", {}))
    OTHER.update(getattr(_topic, "OTHER", {}))
    QUERIES.update(getattr(_topic, "QUERIES", {}))


def _body(method, rule, s):
    make = BODIES.get(f"{method} {rule}") or BODIES.get(
        f"{method} {re.sub(r'^/(portal|gis)/', '/{side}/', rule)}")
    if make:
        return make(s)
    return {"json": {}} if rule.startswith("/api/") and method in WRITES else {}


def _url(method, rule, s):
    ids = dict(s.ids)
    if f"{method} {rule}" in OTHER:
        ids.update(OTHER[f"{method} {rule}"](s))

    def fill(match):
        return str(ids[match.group(1)])
    path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", fill, rule)
    return path + QUERIES.get(rule, "").replace("{area_id}", str(ids["area_id"]))


# --- the whole database, to see that a denied write changed nothing -----------------------

# --- the matrix ----------------------------------------------------------------------

def _cases():
    for method, rule, endpoint in ROUTES:
        allowed = expectation(method, rule)
        if allowed is None:
            continue                      # reported by test_every_route_has_an_expectation
        for actor in ACTORS:
            marks = []
            bug = BUGS.get(f"{method} {rule} {actor}")
            if bug:
                marks.append(pytest.mark.xfail(strict=True, reason=bug))
            yield pytest.param(method, rule, actor, actor in allowed, marks=marks,
                               id=f"{endpoint}-{method}-{rule}-{actor}")


def _text(response) -> str:
    return response.get_data().decode("utf-8", "replace")   # PDFs too


def _is_api(rule: str) -> bool:
    return rule.startswith(("/api/", "/epcis/"))


def _request(s, method, rule, actor):
    app = s.app
    url = _url(method, rule, s)
    kwargs = _body(method, rule, s)
    client = app.test_client()
    headers = {"Accept-Language": "en"}
    if _is_api(rule):
        if actor != "anon":
            headers.update(s.headers[actor])
    else:
        (name, value), csrf = s.sessions[actor]
        client.set_cookie(name, value)
        if method in WRITES:
            kwargs["data"] = {"csrf_token": csrf, **kwargs.get("data", {})}
    response = client.open(url, method=method, headers=headers, **kwargs)
    shown = _text(response)
    location = response.headers.get("Location", "")
    if not _is_api(rule) and response.status_code in (302, 303) and "/login" not in location:
        # Pages report a refused form in a flash on the page they send to.
        shown = _text(client.get(location, headers=headers))
    return response, shown


# What permissions.py says when it refuses (in English, as the cases ask for English).
REFUSALS = ("Not found.", "Your account is not allowed to do this.",
            "You may read this record but not change it.")

# Rules whose refusal is a 422 naming the field at fault rather than a 403: still a
# denial, and still checked to change nothing.
DENY_AS_422 = {"POST /api/v1/organizations"}


def _denied(method, rule, response, shown: str) -> bool:
    """Refused: 401/403/404, a redirect to the login page, or a page (a form re-shown
    with 422, or the page a form redirects to) with one of the refusals in a flash."""
    status = response.status_code
    if status in (401, 403, 404):
        return True
    if status == 422 and f"{method} {rule}" in DENY_AS_422:
        return True
    if status in (301, 302, 303, 307, 308) and \
            re.search(r"/login(\?|$)", response.headers.get("Location", "")):
        return True
    flashes = re.findall(r'<p class="flash error"[^>]*>(.*?)</p>', shown, re.S)
    boxes = re.findall(r'<div class="error-box".*?</div>', shown, re.S) if status == 422 \
        else []
    return any(r in f for f in flashes + boxes for r in REFUSALS)


@pytest.fixture
def matrix(setting):
    """A savepoint around each case: what an allowed write changes is undone."""
    nested = setting.connection.begin_nested()
    try:
        yield setting
    finally:
        nested.rollback()


@pytest.mark.parametrize("method, rule, actor, allowed", list(_cases()))
def test_access(matrix, method, rule, actor, allowed):
    s = matrix
    write = method in WRITES
    before = snapshot(s.connection) if write and not allowed else None
    response, shown = _request(s, method, rule, actor)
    status = response.status_code
    detail = f"{method} {_url(method, rule, s)} as {actor} → {status}: " \
             f"{_text(response)[:300]}"
    assert status < 500, detail
    expected = "allowed" if allowed else "denied"
    assert _denied(method, rule, response, shown) is not allowed, \
        f"{expected} expected; {detail}"
    key = f"{method} {rule} {actor}"
    if allowed and write and key not in ALLOWED_BUT_REFUSED:
        assert status < 400 and 'class="flash error"' not in shown, \
            "an allowed write should succeed with the owner's body; " + detail
    if before is not None:
        after = snapshot(s.connection)
        changed = {t: (before.get(t), after.get(t)) for t in set(before) | set(after)
                   if before.get(t) != after.get(t)}
        assert not changed, f"a denied write changed {sorted(changed)}; {detail}"


def test_the_cases_use_real_objects_of_organisation_a(setting):
    """The ids filled in are A's and P's: the matrix would prove nothing on strangers."""
    s = setting
    assert s.area["organization_id"] == s.world.org_a.id and s.area["status"] == "issued"
    assert s.draft["status"] == "draft" and s.batch["organization_id"] == s.world.org_a.id
    token = s.connection.execute(select(ApiToken.user_id).where(
        ApiToken.id == s.ids["token_id"])).scalar_one()
    assert token == s.world.producer_a.id
    assert s.world.official_p.province_code == TAY_NINH != DONG_THAP


def test_the_snapshot_sees_a_write(matrix):
    """The check behind every denied write: one changed field of one row shows."""
    before = snapshot(matrix.connection)
    response, _shown = _request(matrix, "PATCH", "/api/v1/products/<id:product_id>", "a")
    assert response.status_code == 200
    after = snapshot(matrix.connection)
    assert [t for t in before if before[t] != after[t]] == ["audit_log", "products"]


def test_the_public_never_sees_a_draft_area(matrix):
    """DESIGN §6: the public sees only issued areas, through every public door."""
    s = matrix
    client = s.app.test_client()
    draft = s.draft
    assert client.get(f"/ogc/collections/growing-areas/items/{draft['id']}").status_code == 404
    issued = client.get(f"/ogc/collections/growing-areas/items/{s.area['id']}")
    assert issued.status_code == 200
    corner = plot(400).centroid
    at = client.get(f"/api/v1/areas/at?lon={corner.x}&lat={corner.y}").get_json()
    assert at == []
    owner = client.get(f"/api/v1/areas/at?lon={corner.x}&lat={corner.y}",
                       headers=s.headers["a"]).get_json()
    assert [a["id"] for a in owner] == [draft["id"]]
