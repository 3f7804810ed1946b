"""Transformations at a packing house (đóng gói): many growers' lots from several
orchards become one lot of its own, within the product's yield factor, and the output
keeps its growing areas, codes and diaries reachable. Every refusal names its field
and leaves every table as it was."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from agritrace.clock import now, today
from agritrace.models import (Batch, Holding, MovementKind, OrgKind, StockMovement,
                              Transformation)
from agritrace.services import lot_graph
from lots_support import build, deliver, member, pack_body, product
from support import csrf_token, english, login, snapshot, PASSWORD


@pytest.fixture
def chain(app, client, db, world):
    return build(app, client, db, world)


def holding(db, org_id, lot_id):
    return db.scalar(select(Holding.balance).where(Holding.organization_id == org_id,
                                                   Holding.batch_id == lot_id))


def test_many_growers_lots_from_several_orchards_become_one_packing_house_lot(client, db,
                                                                                chain):
    made = client.post("/api/v1/transformations", headers=chain.h,
                       json=pack_body(chain, quantity=2050, note="Phân loại, đóng thùng"))
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["kind"] == "packing" and body["unit"] == "KGM"
    assert body["loss_quantity"] == 50.0              # 2100 kg in, 2050 kg out
    assert [i["lot_code"] for i in body["inputs"]] == ["TL-A-1", "TL-A-2", "TL-B-1"]
    (out,) = body["outputs"]
    assert out["lot_code"] == "DG-2026-01" and out["origin"] == "transformation"
    assert out["transformation_id"] == body["id"] and out["organization_id"] == chain.house.id
    # The ledger: each input used up, the output held by the packing house.
    for lot in chain.lots:
        assert holding(db, chain.house.id, lot["id"]) == 0
    assert holding(db, chain.house.id, out["id"]) == Decimal("2050")
    kinds = db.scalars(select(StockMovement.kind).where(
        StockMovement.transformation_id == body["id"]).order_by(StockMovement.id)).all()
    assert kinds == [MovementKind.USE] * 3 + [MovementKind.OUTPUT]
    # The output keeps its orchards: three areas of two cooperatives, and the harvest
    # lots (whose diaries they carry) one step back.
    areas = lot_graph.upstream_areas(db, [out["id"]])[out["id"]]
    assert [a.code for a in areas] == ["VN-TNOR-0001", "VN-TNOR-0002", "VN-TNOR-0003"]
    assert lot_graph.upstream_lot_ids(db, [out["id"]]) == {out["id"]} | {
        lot["id"] for lot in chain.lots}
    assert lot_graph.downstream_lot_ids(db, [chain.lots[2]["id"]]) == {
        chain.lots[2]["id"], out["id"]}
    houses = lot_graph.upstream_packing_houses(db, [out["id"]])[out["id"]]
    assert [h.code for h in houses] == [chain.facility["code"]]
    url = f"/api/v1/transformations/{body['id']}"
    assert client.get(url, headers=chain.h).get_json()["outputs"][0]["id"] == out["id"]
    assert client.get(url, headers=english(chain.world.token(chain.world.official_p))
                      ).status_code == 200
    assert client.get(url, headers=chain.a).status_code == 404
    assert client.get(url, headers=english(chain.world.token(chain.world.official_q))
                      ).status_code == 404


def test_the_lot_graph_walks_many_steps_in_both_directions(client, db, chain):
    first = client.post("/api/v1/transformations", headers=chain.h,
                        json=pack_body(chain)).get_json()["outputs"][0]
    graded = client.post("/api/v1/transformations", headers=chain.h, json={
        "kind": "grading", "inputs": [{"batch_id": first["id"], "quantity": 2000}],
        "outputs": [{"product_id": chain.packed["id"], "lot_code": "DG-L1", "quantity": 1500},
                    {"product_id": chain.packed["id"], "lot_code": "DG-L2", "quantity": 500}]})
    assert graded.status_code == 201, graded.get_json()
    l1, l2 = graded.get_json()["outputs"]
    harvests = {lot["id"] for lot in chain.lots}
    assert lot_graph.upstream_lot_ids(db, [l2["id"]]) == harvests | {first["id"], l2["id"]}
    assert lot_graph.downstream_lot_ids(db, [chain.lots[0]["id"]]) == {
        chain.lots[0]["id"], first["id"], l1["id"], l2["id"]}
    both = lot_graph.upstream_areas(db, [l1["id"], chain.lots[2]["id"]])
    assert len(both[l1["id"]]) == 3 and [a.code for a in both[chain.lots[2]["id"]]] == [
        "VN-TNOR-0003"]


def test_outputs_beyond_the_yield_factor_are_refused_naming_the_figures(client, db, chain):
    body = pack_body(chain)
    body["outputs"] = [{"product_id": chain.dried["id"], "lot_code": "SAY-1",
                        "quantity": 420.5, "unit": "KGM"}]
    before = snapshot(db.connection())
    refused = client.post("/api/v1/transformations", headers=chain.h, json=body)
    assert refused.status_code == 422, refused.get_json()
    problem = refused.get_json()
    assert "420.5 KGM" in problem["detail"] and "2100 KGM" in problem["detail"]
    assert "0.2" in problem["detail"] and "at most 420 KGM" in problem["detail"]
    assert "outputs" in problem["errors"]
    assert snapshot(db.connection()) == before
    body["outputs"][0]["quantity"] = 420              # exactly 2100 kg × 0.2
    made = client.post("/api/v1/transformations", headers=chain.h, json=body)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["loss_quantity"] == 1680.0


def test_mass_units_are_compared_in_kilograms(client, db, chain):
    body = pack_body(chain)
    body["outputs"] = [{"product_id": chain.packed["id"], "lot_code": "DG-T",
                        "quantity": 2.1, "unit": "TNE"}]
    made = client.post("/api/v1/transformations", headers=chain.h, json=body)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["loss_quantity"] == 0.0
    body["outputs"] = [{"product_id": chain.packed["id"], "lot_code": "DG-H",
                        "quantity": 40, "unit": "XCT"}]
    deliver(db, chain.lots[0]["id"], chain.world.org_a.id, chain.house.id, 100)
    body["inputs"] = [{"batch_id": chain.lots[0]["id"], "quantity": 100}]
    refused = client.post("/api/v1/transformations", headers=chain.h, json=body)
    assert refused.status_code == 422 and "unit" in refused.get_json()["errors"]
    assert "KGM, XCT" in refused.get_json()["detail"]


def _recall(client, chain, db):
    p = english(chain.world.token(chain.world.official_p))
    assert client.post(f"/api/v1/batches/{chain.lots[0]['id']}/recall", headers=p,
                       json={"reason": "Dư lượng thuốc"}).status_code == 200


def _hold(client, chain, db):
    lot = db.get(Batch, chain.lots[1]["id"])
    lot.held_at, lot.hold_reason = now(), "Phun thuốc trong thời gian cách ly"
    db.commit()


@pytest.mark.parametrize("change, status, field, words", [
    (lambda b, c: b["inputs"][0].update(quantity=1000.5), 422, "inputs.0.quantity",
     "You hold 1000 KGM of lot TL-A-1"),
    (lambda b, c: b["inputs"][1].update(batch_id=b["inputs"][0]["batch_id"]), 422, "inputs",
     "named twice"),
    (lambda b, c: b["outputs"][0].update(product_id=c.world.product_a.id), 422,
     "outputs.0.product_id", "is not one of your organisation's products"),
    (lambda b, c: b["outputs"][0].update(quantity=2100.001), 422, "outputs",
     "at most 2100 KGM"),
    (lambda b, c: b.update(happened_on=str(today() + timedelta(days=1))), 422, "happened_on",
     "in the future"),
    (lambda b, c: b["outputs"][0].update(pack_date=str(today()),
                                         expiry_date=str(today() - timedelta(days=1))),
     422, "outputs.0.expiry_date", "expiry date is before"),
    (lambda b, c: b.update(kind="export"), 422, "kind", None),
    (lambda b, c: b.update(inputs=[]), 422, "inputs", None),
], ids=["more-than-held", "twice", "others-product", "beyond-balance",
        "future", "expiry", "export-kind", "no-inputs"])
def test_bad_transformations_are_refused_naming_the_field(client, db, chain, change, status,
                                                          field, words):
    body = pack_body(chain)
    change(body, chain)
    before = snapshot(db.connection())
    answer = client.post("/api/v1/transformations", headers=chain.h, json=body)
    assert answer.status_code == status, answer.get_json()
    problem = answer.get_json()
    assert field in problem["errors"], problem
    if words:
        assert words in problem["detail"] + str(problem["errors"])
    assert snapshot(db.connection()) == before


@pytest.mark.parametrize("prepare, field, words", [
    (_recall, "inputs.0.batch_id", "Lot TL-A-1 was recalled (Dư lượng thuốc)"),
    (_hold, "inputs.1.batch_id", "Lot TL-A-2 is on hold"),
], ids=["recalled", "on-hold"])
def test_a_recalled_or_held_input_is_refused(client, db, chain, prepare, field, words):
    prepare(client, chain, db)
    before = snapshot(db.connection())
    refused = client.post("/api/v1/transformations", headers=chain.h, json=pack_body(chain))
    assert refused.status_code == 422, refused.get_json()
    assert field in refused.get_json()["errors"] and words in refused.get_json()["detail"]
    assert snapshot(db.connection()) == before


def test_a_lot_code_already_used_by_the_organisation_is_refused(client, db, chain):
    body = {**pack_body(chain, quantity=100),
            "inputs": [{"batch_id": chain.lots[0]["id"], "quantity": 100}]}
    assert client.post("/api/v1/transformations", headers=chain.h, json=body
                       ).status_code == 201
    before = snapshot(db.connection())
    again = client.post("/api/v1/transformations", headers=chain.h, json=body)
    assert again.status_code == 409, again.get_json()
    assert "outputs.0.lot_code" in again.get_json()["errors"]
    assert "DG-2026-01" in again.get_json()["detail"]
    assert snapshot(db.connection()) == before


def test_who_may_transform(app, client, db, chain):
    world = chain.world
    officials = [english(world.token(u)) for u in (world.official_p, world.admin)]
    before = snapshot(db.connection())
    body = pack_body(chain)
    # A cooperative without a packing house of its own, an official, another
    # organisation's facility, another's lots: refused, nothing written.
    assert client.post("/api/v1/transformations", headers=chain.a,
                       json={**body, "facility_id": None}).status_code == 403
    for headers in officials:
        assert client.post("/api/v1/transformations", json=body,
                           headers=headers).status_code == 403
    assert client.post("/api/v1/transformations", headers=chain.a, json=body
                       ).status_code == 404
    assert client.post("/api/v1/transformations", json=body).status_code == 401
    assert snapshot(db.connection()) == before
    _dryer, dryer_user = member(app, db, "Cơ sở sấy Ba", "8888888888", OrgKind.PROCESSOR)
    t = english(world.token(dryer_user))
    fruit = product(client, t, "Thanh long sấy dẻo", yield_factor=0.25)
    before = snapshot(db.connection())
    not_held = client.post("/api/v1/transformations", headers=t, json={
        **body, "facility_id": None,
        "outputs": [{"product_id": fruit["id"], "lot_code": "SD-1", "quantity": 10}]})
    assert not_held.status_code == 422 and "inputs.0.batch_id" in not_held.get_json()["errors"]
    assert "TL-A-1" not in not_held.get_json()["detail"]          # a stranger's lot code
    assert snapshot(db.connection()) == before


def test_a_cooperative_transforms_at_its_own_packing_house(client, db, chain):
    """A cooperative that runs a licensed packing house grades its own harvest there."""
    from lots_support import packing_facility
    facility = packing_facility(client, chain.world, chain.a, name="Nhà sơ chế HTX A")
    made = client.post("/api/v1/transformations", headers=chain.a, json={
        "kind": "grading", "facility_id": facility["id"],
        "inputs": [{"batch_id": chain.lots[0]["id"], "quantity": 200}],
        "outputs": [{"product_id": chain.world.product_a.id, "lot_code": "TL-A-1-L1",
                     "quantity": 150},
                    {"product_id": chain.world.product_a.id, "lot_code": "TL-A-1-L2",
                     "quantity": 45}]})
    assert made.status_code == 201, made.get_json()
    lot = db.get(Batch, made.get_json()["outputs"][0]["id"])
    assert lot.packing_facility_id == facility["id"] and lot.pack_date == today()
    assert db.get(Transformation, made.get_json()["id"]).loss_quantity == Decimal("5")


def test_the_transformation_form_takes_rows_of_lots(app, db, chain):
    browser = app.test_client()
    assert login(browser, chain.house_user.email, PASSWORD).status_code in (302, 303)
    page = browser.get("/portal/transformations/new?lang=en").get_data(as_text=True)
    assert "TL-A-1" in page and "TL-B-1" in page and "HTX B" in page
    token = csrf_token(browser, "/portal/transformations/new")
    form = {"csrf_token": token, "kind": "packing", "facility_id": str(chain.facility["id"]),
            "inputs-0-batch_id": str(chain.lots[0]["id"]), "inputs-0-quantity": "1000",
            "inputs-1-batch_id": "", "inputs-1-quantity": "",
            "inputs-2-batch_id": str(chain.lots[2]["id"]), "inputs-2-quantity": "700,5",
            "outputs-0-product_id": str(chain.packed["id"]), "outputs-0-lot_code": "DG-W1",
            "outputs-0-quantity": "1650", "outputs-0-unit": "KGM",
            "outputs-1-product_id": "", "outputs-1-unit": "KGM"}
    refused = browser.post("/portal/transformations/new?lang=en", data=form)
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert "700.5" in text and "You hold 700 KGM of lot TL-B-1" in text
    form["inputs-2-quantity"] = "650"
    done = browser.post("/portal/transformations/new?lang=en", data=form)
    assert done.status_code in (302, 303), done.get_data(as_text=True)[:2000]
    detail = browser.get(done.headers["Location"]).get_data(as_text=True)
    assert "DG-W1" in detail and "TL-A-1" in detail and "TL-B-1" in detail
    listing = browser.get("/portal/transformations?lang=en").get_data(as_text=True)
    assert "DG-W1" in listing
    beyond = {**form, "outputs-0-lot_code": "DG-W2", "outputs-0-quantity": "9999",
              "inputs-0-batch_id": "", "inputs-0-quantity": "", "inputs-2-quantity": "2"}
    before = snapshot(db.connection())
    refused = browser.post("/portal/transformations/new?lang=en", data=beyond)
    assert refused.status_code == 400 and "at most 2 KGM" in refused.get_data(as_text=True)
    assert snapshot(db.connection()) == before
    no_token = {k: v for k, v in beyond.items() if k != "csrf_token"}
    assert browser.post("/portal/transformations/new", data=no_token).status_code == 400
    assert snapshot(db.connection()) == before
