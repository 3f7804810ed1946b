"""Transformations (chế biến, đóng gói) and export lots (lô xuất khẩu).

A packing house or processor turns quantities of lots it holds (many growers' lots,
from many orchards) into one or more lots of its own; an exporter or packing house
turns lots it holds into an export lot for one destination market. Inputs leave the
maker's stock (use), outputs enter it, the loss is recorded, and the edges keep every
output reachable from its growing areas and diaries (services/lot_graph.py).

Mass balance: the outputs, each divided by its product's yield factor, may not need
more than went in. Quantities are compared in kilograms when every lot is in a mass
unit, else only when all are in one unit.
"""
from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import permissions
from ..clock import today
from ..db import session, transaction
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..models import (Batch, BatchStatus, Facility, FacilityKind, FacilityStatus,
                      Holding, LotOrigin, MovementKind, Organization, OrgKind, OrgStatus,
                      Product, Role, Transformation, TransformationInput, TransformationKind,
                      User)
from ..models.batches import MASS_KG
from . import audit, epcis_chain, market_rules, stock

GRAM = Decimal("0.001")
MAKERS = (OrgKind.PACKING_HOUSE, OrgKind.PROCESSOR)
EXPORTERS = (OrgKind.EXPORTER, OrgKind.PACKING_HOUSE)
MAKING_PLACES = (FacilityKind.PACKING_HOUSE, FacilityKind.PROCESSING)


def number(value: Decimal) -> str:
    """1200 kg, not 1200.000 kg."""
    return f"{Decimal(value).normalize():f}"


def list_transformations(actor: User | None, *, offset: int = 0, limit: int = 20
                         ) -> tuple[list[Transformation], int]:
    """The actor's organisation's transformations (an official: the province's), newest
    first."""
    permissions.require_login(actor)
    base = select(Transformation).join(
        Organization, Organization.id == Transformation.organization_id).where(
        permissions.owner_filter(actor, Transformation.organization_id,
                                 Organization.province_code))
    s = session()
    total = s.scalar(select(func.count()).select_from(base.subquery()))
    rows = s.scalars(base.order_by(Transformation.id.desc()).offset(offset).limit(limit))
    return list(rows.unique()), total


def get_transformation(actor: User | None, transformation_id: int) -> Transformation:
    """Read like the lots it made: its organisation, the province's officials."""
    return permissions.fetch(session(), actor, Transformation, transformation_id, "batch")


def held_lots(actor: User | None) -> list[tuple[Batch, Decimal]]:
    """The lots the actor's organisation holds now, with how much: what it can use."""
    user = permissions.require_login(actor)
    if user.organization_id is None:
        return []
    rows = session().execute(
        select(Batch, Holding.balance).join(Holding, Holding.batch_id == Batch.id)
        .where(Holding.organization_id == user.organization_id, Holding.balance > 0)
        .order_by(Batch.lot_code, Batch.id))
    return [(batch, balance) for batch, balance in rows]


def transform(actor: User | None, data: dict) -> Transformation:
    """Record a transformation at the actor's packing house or processor: `inputs`
    ([{batch_id, quantity}] of lots it holds) become `outputs` ([{product_id, lot_code,
    quantity, unit, pack_date, expiry_date}] of its own products), all or nothing."""
    user = _maker(actor)
    with transaction() as s:
        org, facility = _workplace(s, user, data.get("facility_id"), MAKERS, MAKING_PLACES)
        inputs = _inputs(s, org, data["inputs"])
        made = _make(s, user, org, facility, TransformationKind(data["kind"]), data, inputs,
                     data["outputs"], LotOrigin.TRANSFORMATION)
    return made


def make_export_lot(actor: User | None, data: dict) -> Batch:
    """Make an export lot for `market` (ISO-2) from lots the actor's exporter or packing
    house holds. Every input must come from issued growing areas only, through packing
    houses that have a code and are active, and export codes must be approved for the
    market (market_rules); a refusal names each code that is not."""
    user = _maker(actor)
    with transaction() as s:
        org, facility = _workplace(s, user, data.get("facility_id"), EXPORTERS,
                                   (FacilityKind.PACKING_HOUSE,))
        inputs = _inputs(s, org, data["inputs"])
        market_rules.check_export_inputs(s, data["market"], inputs, facility)
        unit = data.get("unit") or "KGM"
        _common_unit({batch.unit for batch, _q in inputs} | {unit})
        output = {"product_id": data["product_id"], "lot_code": data["lot_code"],
                  "unit": unit, "pack_date": data.get("pack_date"),
                  "expiry_date": data.get("expiry_date"),
                  "quantity": data.get("quantity") or _total(inputs, unit)}
        made = _make(s, user, org, facility, TransformationKind.EXPORT, data, inputs,
                     [output], LotOrigin.EXPORT, market=data["market"])
        (lot,) = made.outputs
    return lot


# --- who and where ----------------------------------------------------------------------

def _maker(actor: User | None) -> User:
    """Lots are made by the people of an organisation, not by officials or admins."""
    user = permissions.require_role(permissions.require_write(actor), Role.PRODUCER)
    if user.organization_id is None:
        raise Forbidden(_("Your account is not allowed to do this."))
    return user


def _workplace(s: Session, user: User, facility_id: int | None, kinds: tuple,
               places: tuple) -> tuple[Organization, Facility | None]:
    """The actor's organisation and the facility named, once the organisation may make
    lots there: its kind is one of `kinds`, or the facility is its own active place of
    a kind in `places` (a cooperative packing in its own packing house)."""
    org = s.get(Organization, user.organization_id)
    if org.status != OrgStatus.APPROVED:
        raise Conflict(_("%(name)s is not approved yet; lots can be made once an official "
                         "approves the organisation.", name=org.name))
    facility = None
    if facility_id is not None:
        facility = s.get(Facility, facility_id)
        if facility is None or facility.organization_id != org.id:
            raise NotFound(_("Not found."), {"facility_id": [_("Not one of your facilities.")]})
        if facility.kind not in places:
            raise Invalid(_("%(name)s is not a packing house or processing facility.",
                            name=facility.name), {"facility_id": [_("Wrong kind of facility.")]})
        if facility.status != FacilityStatus.ACTIVE:
            raise Invalid(_("Facility %(name)s is %(status)s; lots are made only at an active "
                            "one.", name=facility.name, status=_(facility.status.value)),
                          {"facility_id": [_("Not active.")]})
    if org.kind not in kinds and facility is None:
        raise Forbidden(_("%(name)s is not a packing house, processor or exporter: name the "
                          "packing house of your own where the lots are made.", name=org.name),
                        {"facility_id": [_("Required for your organisation.")]})
    return org, facility


# --- what goes in -----------------------------------------------------------------------

def _inputs(s: Session, org: Organization, wanted: list[dict]) -> list[tuple[Batch, Decimal]]:
    """The input lots with their quantities, once each may be used: the organisation
    holds that much, and it is neither recalled nor on hold."""
    ids = [item["batch_id"] for item in wanted]
    if len(set(ids)) != len(ids):
        raise Invalid(_("A lot is named twice among the inputs: give each lot once, with "
                        "its whole quantity."), {"inputs": [_("A lot is named twice.")]})
    lots = {b.id: b for b in s.scalars(select(Batch).where(Batch.id.in_(ids)))}
    holdings = dict(s.execute(select(Holding.batch_id, Holding.balance).where(
        Holding.organization_id == org.id, Holding.batch_id.in_(ids))).all())
    out = []
    for i, item in enumerate(wanted):
        lot, quantity = lots.get(item["batch_id"]), Decimal(item["quantity"])
        field = f"inputs.{i}"
        if lot is None or (lot.id not in holdings and lot.organization_id != org.id):
            raise Invalid(_("Lot %(id)s is not in your stock.", id=item["batch_id"]),
                          {f"{field}.batch_id": [_("Not in your stock.")]})
        if lot.status == BatchStatus.RECALLED:
            raise Invalid(_("Lot %(lot)s was recalled (%(reason)s); it cannot be used.",
                            lot=lot.lot_code, reason=lot.recall_reason),
                          {f"{field}.batch_id": [_("Recalled.")]})
        if lot.on_hold:
            raise Invalid(_("Lot %(lot)s is on hold (%(reason)s); it can be used once an "
                            "official clears the hold.", lot=lot.lot_code, reason=lot.hold_reason),
                          {f"{field}.batch_id": [_("On hold.")]})
        have = holdings.get(lot.id, Decimal(0))
        if quantity > have:
            raise Invalid(_("You hold %(have)s %(unit)s of lot %(lot)s; %(want)s %(unit)s "
                            "cannot be used.", have=number(have), want=number(quantity),
                            unit=lot.unit, lot=lot.lot_code),
                          {f"{field}.quantity": [_("More than you hold (%(have)s).",
                                                   have=number(have))]})
        out.append((lot, quantity))
    return out


# --- what comes out ---------------------------------------------------------------------

def _outputs(s: Session, org: Organization, wanted: list[dict], day) -> list[tuple[Product, dict]]:
    """The output lots' products and fields, once each is the organisation's own
    product, its lot code is free and its dates are in order."""
    codes = [item["lot_code"] for item in wanted]
    taken = set(s.scalars(select(Batch.lot_code).where(Batch.organization_id == org.id,
                                                       Batch.lot_code.in_(codes))))
    products = {p.id: p for p in s.scalars(select(Product).where(
        Product.id.in_([item["product_id"] for item in wanted])))}
    out = []
    for i, item in enumerate(wanted):
        field, product = f"outputs.{i}", products.get(item["product_id"])
        if product is None or product.organization_id != org.id:
            raise Invalid(_("Product %(id)s is not one of your organisation's products.",
                            id=item["product_id"]),
                          {f"{field}.product_id": [_("Not one of your products.")]})
        if item["lot_code"] in taken or codes.index(item["lot_code"]) != i:
            raise Conflict(_("Your organisation already has a lot with lot code %(lot)s.",
                             lot=item["lot_code"]), {f"{field}.lot_code": [_("Already used.")]})
        pack = item.get("pack_date") or day
        if item.get("expiry_date") and item["expiry_date"] < pack:
            raise Invalid(_("The expiry date is before the packing date."),
                          {f"{field}.expiry_date": [_("Before packing.")]})
        out.append((product, {**item, "pack_date": pack,
                              "quantity": Decimal(item["quantity"])}))
    return out


def _common_unit(units: set[str]) -> str:
    """The unit quantities are compared in: kilograms when every unit is a mass."""
    if units <= set(MASS_KG):
        return "KGM"
    if len(units) == 1:
        return next(iter(units))
    raise Invalid(_("Inputs and outputs must all be in mass units (kilogram, tonne, gram) "
                    "or all in one unit; here they are in %(units)s.",
                    units=", ".join(sorted(units))), {"unit": [_("Units cannot be compared.")]})


def _in(unit: str, base: str) -> Decimal:
    return MASS_KG[unit] if base == "KGM" else Decimal(1)


def _total(inputs: list[tuple[Batch, Decimal]], unit: str) -> Decimal:
    """What the inputs weigh together, in `unit` (to the gram, never rounded up)."""
    base = _common_unit({lot.unit for lot, _q in inputs} | {unit})
    total = sum((q * _in(lot.unit, base) for lot, q in inputs), Decimal(0))
    return (total / _in(unit, base)).quantize(GRAM, rounding=ROUND_DOWN)


def _balance(inputs: list[tuple[Batch, Decimal]],
             outputs: list[tuple[Product, dict]]) -> tuple[str, Decimal]:
    """The unit and the loss, once the outputs stay within the inputs at their
    products' yield factors."""
    base = _common_unit({lot.unit for lot, _q in inputs} | {o["unit"] for _p, o in outputs})
    went_in = sum((q * _in(lot.unit, base) for lot, q in inputs), Decimal(0))
    came_out = sum((o["quantity"] * _in(o["unit"], base) for _p, o in outputs), Decimal(0))
    needed = sum((o["quantity"] * _in(o["unit"], base) / p.yield_factor for p, o in outputs),
                 Decimal(0))
    if needed > went_in:
        factor = (came_out / needed).quantize(GRAM)
        most = (went_in * came_out / needed).quantize(GRAM, rounding=ROUND_DOWN)
        raise Invalid(
            _("The outputs (%(out)s %(unit)s) are more than the inputs (%(in)s %(unit)s) can "
              "give at the yield factor %(factor)s: at most %(most)s %(unit)s.",
              out=number(came_out), unit=base, factor=number(factor), most=number(most),
              **{"in": number(went_in)}),
            {"outputs": [_("At most %(most)s %(unit)s.", most=number(most), unit=base)]})
    return base, max(went_in - came_out, Decimal(0)).quantize(GRAM)


def _make(s: Session, user: User, org: Organization, facility: Facility | None,
          kind: TransformationKind, data: dict, inputs: list[tuple[Batch, Decimal]],
          wanted: list[dict], origin: LotOrigin, market: str | None = None) -> Transformation:
    """Check the outputs and the balance, then write the transformation, its edges, the
    output lots and the stock movements."""
    day = data.get("happened_on") or today()
    if day > today():
        raise Invalid(_("The date is in the future."), {"happened_on": [_("In the future.")]})
    outputs = _outputs(s, org, wanted, day)
    unit, loss = _balance(inputs, outputs)
    made = Transformation(organization_id=org.id, facility_id=facility.id if facility else None,
                          kind=kind, happened_on=day, loss_quantity=loss, unit=unit,
                          note=data.get("note") or "", created_by=user.id)
    made.inputs = [TransformationInput(batch_id=lot.id, quantity=q) for lot, q in inputs]
    s.add(made)
    s.flush()
    for i, (lot, q) in enumerate(inputs):
        stock.move(s, batch_id=lot.id, organization_id=org.id, kind=MovementKind.USE,
                   quantity=-q, actor=user, transformation_id=made.id,
                   field=f"inputs.{i}.quantity", unit=lot.unit)
    house = facility.id if facility and facility.kind == FacilityKind.PACKING_HOUSE else None
    lots = [Batch(product_id=p.id, organization_id=org.id, lot_code=o["lot_code"],
                  quantity=o["quantity"], unit=o["unit"], pack_date=o["pack_date"],
                  expiry_date=o.get("expiry_date"), packing_facility_id=house,
                  status=BatchStatus.OPEN, origin=origin, market=market,
                  transformation_id=made.id) for p, o in outputs]
    s.add_all(lots)
    s.flush()
    for lot in lots:
        stock.move(s, batch_id=lot.id, organization_id=org.id, kind=MovementKind.OUTPUT,
                   quantity=lot.quantity, actor=user, transformation_id=made.id)
    s.expire(made, ["outputs"])
    epcis_chain.record_transformation(s, made, lots)
    audit.record(s, user, "transformation", made.id, "create", after={
        "kind": kind.value, "facility_id": made.facility_id, "unit": unit, "loss": loss,
        "market": market, "inputs": [f"{lot.id}:{q}" for lot, q in inputs],
        "outputs": [lot.id for lot in lots]})
    return made
