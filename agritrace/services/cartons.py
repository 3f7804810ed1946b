"""Cartons and pallets (thùng, pallet) of export lots, each identified by an SSCC (GS1
AI 00) drawn from the organisation's own GS1 company prefix, and their labels.

Serial references come from the organisation's counter (sscc_counters), moved in the
same statement that reads it, so two packings never draw the same serial and a
committed one is never drawn again. The cartons of a lot may not weigh more, net,
than the lot: the lot's row is locked while they are counted and added.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from labels.carton import CartonError, CartonLabel, write_carton_pdf
from labels.digital_link import sscc_link
from labels.sscc import SsccError, build_sscc, serial_capacity, validate_sscc

from .. import permissions
from ..clock import today
from ..countries import country_name
from ..db import session, transaction
from ..errors import Conflict, Invalid, NotFound
from ..models import (AreaStatus, Batch, BatchStatus, LogisticUnit, LotOrigin, Organization,
                      UnitKind, User)
from . import audit, epcis_chain, lot_graph
from .transformations import MASS_KG, number

_DRAW = text("""
    INSERT INTO sscc_counters (organization_id, next_serial) VALUES (:o, 1 + :n)
    ON CONFLICT (organization_id) DO UPDATE SET next_serial = sscc_counters.next_serial + :n
    RETURNING next_serial - :n
""")


def pack_cartons(actor: User | None, export_lot_id: int, count: int, net_weight_kg: Decimal,
                 packed_on: date | None = None, pallet: bool = False) -> list[LogisticUnit]:
    """Pack `count` cartons of `net_weight_kg` each of an export lot (and, with `pallet`,
    put them on one pallet): new SSCCs under the organisation's company prefix."""
    weight, day = Decimal(net_weight_kg), packed_on or today()
    if count < 1 or weight <= 0:
        raise Invalid(_("Pack at least one carton, of a net weight above 0 kg."),
                      {"count": [_("At least one.")]})
    with transaction() as s:
        lot = permissions.fetch(s, actor, Batch, export_lot_id, "batch", write=True, lock=True)
        _packable(lot)
        org = lot.organization
        if day > today():
            raise Invalid(_("The date is in the future."), {"packed_on": [_("In the future.")]})
        packed = s.scalar(select(func.coalesce(func.sum(LogisticUnit.net_weight_kg), 0)).where(
            LogisticUnit.batch_id == lot.id, LogisticUnit.kind == UnitKind.CARTON))
        left = lot.quantity * MASS_KG[lot.unit] - packed
        if count * weight > left:
            raise Invalid(_("%(count)s cartons of %(weight)s kg weigh %(total)s kg, more than "
                            "the %(left)s kg of lot %(lot)s not yet packed.", count=count,
                            weight=number(weight), total=number(count * weight),
                            left=number(left), lot=lot.lot_code),
                          {"net_weight_kg": [_("At most %(left)s kg in all.",
                                               left=number(left))]})
        ssccs = _draw(s, org, count + (1 if pallet else 0))
        parent = ssccs.pop(0) if pallet else None
        units = [LogisticUnit(sscc=parent, organization_id=org.id, batch_id=lot.id,
                              kind=UnitKind.PALLET, net_weight_kg=count * weight,
                              packed_on=day)] if parent else []
        units += [LogisticUnit(sscc=sscc, organization_id=org.id, batch_id=lot.id,
                               kind=UnitKind.CARTON, parent_sscc=parent, net_weight_kg=weight,
                               packed_on=day) for sscc in ssccs]
        s.add_all(units)
        s.flush()
        epcis_chain.record_packing(s, lot, units)
        audit.record(s, actor, "batch", lot.id, "pack", after={
            "cartons": count, "net_weight_kg": weight, "pallet": parent,
            "first": ssccs[0], "last": ssccs[-1]})
    return units


def _packable(lot: Batch) -> None:
    if lot.origin != LotOrigin.EXPORT:
        raise Conflict(_("Lot %(lot)s is not an export lot: only export lots are packed in "
                         "cartons with SSCCs.", lot=lot.lot_code))
    if lot.status == BatchStatus.RECALLED:
        raise Conflict(_("Lot %(lot)s was recalled; it cannot be packed.", lot=lot.lot_code))
    if lot.unit not in MASS_KG or lot.quantity is None:
        raise Conflict(_("Lot %(lot)s is not counted in a mass unit; cartons are packed by "
                         "net weight.", lot=lot.lot_code))
    if not lot.organization.gs1_company_prefix:
        raise Invalid(_("%(name)s has no GS1 company prefix: add it to the organisation's "
                        "details before packing cartons (SSCCs are drawn from it).",
                        name=lot.organization.name),
                      {"gs1_company_prefix": [_("Required to number cartons.")]})


def _draw(s: Session, org: Organization, n: int) -> list[str]:
    """`n` new SSCCs of the organisation, in order."""
    prefix = org.gs1_company_prefix
    first = s.scalar(_DRAW, {"o": org.id, "n": n})
    if first + n > serial_capacity(prefix):
        raise Invalid(_("The SSCCs of company prefix %(prefix)s are used up: ask GS1 Viet Nam "
                        "for another prefix.", prefix=prefix),
                      {"count": [_("No SSCC left.")]})
    return [build_sscc(prefix, serial) for serial in range(first, first + n)]


def export_lot(actor: User | None, lot_id: int) -> tuple[Batch, list[LogisticUnit], "Origins"]:
    """The lot, its cartons and pallets (pallets first, by SSCC) and its origins."""
    s = session()
    lot = permissions.fetch(s, actor, Batch, lot_id, "batch")
    units = list(s.scalars(select(LogisticUnit).where(LogisticUnit.batch_id == lot.id)
                           .order_by(LogisticUnit.kind.desc(), LogisticUnit.sscc)))
    return lot, units, origins(s, lot.id)


@dataclass(frozen=True)
class Origins:
    """What a carton label and the carton's public page name of a lot's sources."""
    orchard_codes: tuple[str, ...]        # mã số vùng trồng, issued only
    packing_house_codes: tuple[str, ...]  # mã số cơ sở đóng gói


def origins(s: Session, lot_id: int) -> Origins:
    areas = lot_graph.upstream_areas(s, [lot_id]).get(lot_id, [])
    houses = lot_graph.upstream_packing_houses(s, [lot_id]).get(lot_id, [])
    return Origins(tuple(sorted({a.code for a in areas if a.status == AreaStatus.ISSUED})),
                   tuple(sorted({h.code for h in houses if h.code})))


def market_name(code: str | None) -> str:
    """"Trung Quốc / China": a carton is read on both sides of the border."""
    return f"{country_name(code, 'vi')} / {country_name(code, 'en')}" if code else "—"


def carton_labels_pdf(actor: User | None, lot_id: int) -> bytes:
    """One 100 × 150 mm label a page for each carton and pallet of the lot."""
    lot, units, found = export_lot(actor, lot_id)
    if not units:
        raise Invalid(_("No cartons of lot %(lot)s are packed yet.", lot=lot.lot_code),
                      {"count": [_("Pack cartons first.")]})
    base = current_app.config["PUBLIC_BASE_URL"]
    prefix = lot.organization.gs1_company_prefix
    labels = [CartonLabel(
        sscc=u.sscc, link=sscc_link(base, u.sscc), product=lot.product.name,
        product_en=lot.product.name_en, lot=lot.lot_code, net_weight_kg=u.net_weight_kg,
        orchard_codes=found.orchard_codes,
        packing_house_code=", ".join(found.packing_house_codes) or None,
        exporter=lot.organization.name, destination=market_name(lot.market),
        packed_on=u.packed_on,
        company_prefix=prefix if prefix and u.sscc[1:1 + len(prefix)] == prefix else None)
        for u in units]
    out = io.BytesIO()
    try:
        write_carton_pdf(labels, out)
    except CartonError as exc:
        raise Invalid(_("The carton labels cannot be printed: %(why)s", why=exc.message)) \
            from exc
    return out.getvalue()


# --- finding a carton by its SSCC -------------------------------------------------------

def checked_sscc(value: str, prefix: str | None = None) -> str:
    """The SSCC's 18 digits, or Invalid saying what is wrong with it (field "sscc")."""
    try:
        return validate_sscc(value, prefix)
    except SsccError as exc:
        params = exc.params
        if exc.reason == "check_digit":
            message = _("The check digit of SSCC %(sscc)s is wrong: it should be "
                        "%(expected)s. Check the digits against the label.", **params)
        elif exc.reason == "prefix":
            message = _("SSCC %(sscc)s is not under your company prefix %(prefix)s: it is "
                        "not one of your organisation's cartons.", **params)
        else:
            message = _("An SSCC has 18 digits (0 to 9), with its check digit last.")
        raise Invalid(message, {"sscc": [message]}) from exc


def find_by_sscc(actor: User | None, sscc: str, *, own: bool = False) -> LogisticUnit:
    """The carton or pallet of that SSCC, when the actor may see its lot. With `own`
    (packing, receiving one's own cartons) it must be under the actor's company prefix."""
    user = permissions.require_login(actor)
    s = session()
    prefix = None
    if own:
        org = s.get(Organization, user.organization_id) if user.organization_id else None
        if org is None or not org.gs1_company_prefix:
            raise Invalid(_("Your organisation has no GS1 company prefix."),
                          {"sscc": [_("No company prefix.")]})
        prefix = org.gs1_company_prefix
    unit = s.get(LogisticUnit, checked_sscc(sscc, prefix))
    if unit is None or unit.batch_id is None:
        raise NotFound(_("Not found."))
    permissions.check(user, "batch", s.get(Batch, unit.batch_id))
    return unit


@dataclass(frozen=True)
class PublicCarton:
    """What anyone who scans a carton's QR sees: no quantities, no partners."""
    sscc: str
    kind: UnitKind
    product: str
    product_en: str | None
    lot: str
    organization: str
    origins: Origins
    market: str | None
    packed_on: date
    recall_reason: str | None


def public_carton(sscc: str) -> PublicCarton | None:
    """The carton behind a Digital Link `/00/{sscc}`, or None for an unknown or
    malformed SSCC."""
    try:
        sscc = validate_sscc(sscc)
    except SsccError:
        return None
    s = session()
    unit = s.get(LogisticUnit, sscc)
    lot = s.get(Batch, unit.batch_id) if unit is not None and unit.batch_id else None
    if lot is None:
        return None
    return PublicCarton(
        sscc=sscc, kind=unit.kind, product=lot.product.name, product_en=lot.product.name_en,
        lot=lot.lot_code, organization=lot.organization.name, origins=origins(s, lot.id),
        market=lot.market, packed_on=unit.packed_on,
        recall_reason=lot.recall_reason if lot.status == BatchStatus.RECALLED else None)
