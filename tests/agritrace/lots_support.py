"""A small chain for the transformation and export-lot tests: cooperatives A and B
harvest on issued areas, a packing house with its own code receives their lots, and
an exporter may join. Stock reaches the packing house as a confirmed hand-over leaves
it (a dispatch and a receipt in the ledger), so these tests judge transformations
alone."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from shapely.geometry import Point
from sqlalchemy import select

from agritrace.clock import today
from agritrace.models import (CodeMarket, CodeScope, Facility, GrowingArea, MarketState,
                              MovementKind, OrgKind, Organization, OrgStatus, Role)
from agritrace.services import accounts, stock
from support import PASSWORD, TAY_NINH, english
from test_batches import issued_area, new_batch

PREFIX = "8930001"


def member(app, db, name: str, tax: str, kind: OrgKind, **extra):
    """An approved organisation of province P with one user; (org, user)."""
    org = Organization(kind=kind, name=name, tax_code=tax, address="", province_code=TAY_NINH,
                       status=OrgStatus.APPROVED, **extra)
    db.add(org)
    db.flush()
    with app.app_context():
        user = accounts.create_user(None, email=f"{tax}@test.vn", password=PASSWORD,
                                    full_name=name, role=Role.PRODUCER,
                                    organization_id=org.id, system=True)
    return org, user


def deliver(db, lot_id: int, sender_id: int, receiver_id: int, quantity) -> None:
    """What a confirmed hand-over books: out of the sender's stock, into the receiver's."""
    quantity = Decimal(str(quantity))
    stock.move(db, batch_id=lot_id, organization_id=sender_id, kind=MovementKind.DISPATCH,
               quantity=-quantity)
    stock.move(db, batch_id=lot_id, organization_id=receiver_id, kind=MovementKind.RECEIPT,
               quantity=quantity)
    db.commit()


def approve_for_market(db, code, market: str = "CN") -> CodeMarket:
    """What the province's approval of `code` for `market` leaves behind (proposed,
    submitted, approved a month ago under a list reference; an export code from then
    on), written in the caller's transaction for tests about something else. `code` is
    a GrowingArea, a Facility, or the code one of them holds."""
    if isinstance(code, str):
        code = (db.scalar(select(GrowingArea).where(GrowingArea.code == code))
                or db.scalar(select(Facility).where(Facility.code == code)))
    key = "area_id" if isinstance(code, GrowingArea) else "facility_id"
    row = CodeMarket(market=market, state=MarketState.APPROVED,
                     approved_on=today() - timedelta(days=30), list_reference="GACC 2026/17",
                     **{key: code.id})
    code.code_scope = CodeScope.EXPORT
    db.add(row)
    db.flush()
    return row


def approve_chain(db, chain, *markets: str) -> None:
    """Every code of `build`'s chain (its three orchards and the packing house) approved
    for each of `markets`."""
    for code in [a["code"] for a in chain.areas] + [chain.facility["code"]]:
        for market in markets:
            approve_for_market(db, code, market)


def product(client, headers, name: str, **extra) -> dict:
    made = client.post("/api/v1/products", headers=headers,
                       json={"name": name, "category": "fruit", **extra})
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def packing_facility(client, world, headers, name="Xưởng Mỹ Thuận") -> dict:
    """An active packing house of the caller's organisation, its code issued by P."""
    made = client.post("/api/v1/facilities", headers=headers, json={
        "kind": "packing_house", "name": name,
        "location": Point(106.21, 11.41).__geo_interface__})
    assert made.status_code == 201, made.get_json()
    approved = client.post(f"/api/v1/facilities/{made.get_json()['id']}/approve", json={},
                           headers=english(world.token(world.official_p)))
    assert approved.status_code == 200, approved.get_json()
    return approved.get_json()


def build(app, client, db, world):
    """Three harvest lots from three orchards of two cooperatives, all delivered (in part)
    to a packing house that holds them."""
    a, b = english(world.token(world.producer_a)), english(world.token(world.producer_b))
    areas = [issued_area(client, world, 0), issued_area(client, world, 300),
             issued_area(client, world, 600, org="b")]
    day = today() - timedelta(days=10)
    dates = {"harvest_date": str(day), "pack_date": str(day),
             "expiry_date": str(day + timedelta(days=60))}
    fruit_b = product(client, b, "Thanh long B")
    lots = [new_batch(client, a, world, [areas[0]], lot_code="TL-A-1", quantity=1200, **dates),
            new_batch(client, a, world, [areas[1]], lot_code="TL-A-2", quantity=500, **dates),
            new_batch(client, b, world, [areas[2]], lot_code="TL-B-1", quantity=800,
                      product_id=fruit_b["id"], **dates)]
    assert all(lot.status_code == 201 for lot in lots), [lot.get_json() for lot in lots]
    lots = [lot.get_json() for lot in lots]
    house, house_user = member(app, db, "Nhà đóng gói Mỹ Thuận", "6666666666",
                               OrgKind.PACKING_HOUSE, gs1_company_prefix=PREFIX)
    h = english(world.token(house_user))
    facility = packing_facility(client, world, h)
    packed = product(client, h, "Thanh long loại 1", name_en="Dragon fruit, grade 1")
    dried = product(client, h, "Thanh long sấy", yield_factor=0.2)
    for lot, sender, quantity in ((lots[0], world.org_a, 1000), (lots[1], world.org_a, 400),
                                  (lots[2], world.org_b, 700)):
        deliver(db, lot["id"], sender.id, house.id, quantity)
    return SimpleNamespace(world=world, areas=areas, lots=lots, house=house,
                           house_user=house_user, h=h, a=a, b=b, facility=facility,
                           packed=packed, dried=dried, day=day)


def pack_body(chain, *, lot_code="DG-2026-01", quantity=2000, **extra) -> dict:
    """All the packing house holds of the three lots, packed into one lot of its own."""
    return {"kind": "packing", "facility_id": chain.facility["id"],
            "inputs": [{"batch_id": chain.lots[0]["id"], "quantity": 1000},
                       {"batch_id": chain.lots[1]["id"], "quantity": 400},
                       {"batch_id": chain.lots[2]["id"], "quantity": 700}],
            "outputs": [{"product_id": chain.packed["id"], "lot_code": lot_code,
                         "quantity": quantity, "unit": "KGM"}], **extra}
