"""EUDR due diligence (thẩm định trách nhiệm giải trình chống phá rừng) for export lots of
coffee, rubber, cocoa and wood to the European Union (Regulation (EU) 2023/1115).

For a lot, every plot of its chain (the growing areas of every lot it was made from)
is measured on its province's forest map of 31 December 2020 (gis.forest); a plot whose
forest share passes the threshold is `forest` (not deforestation-free), else
`negligible`, and the lot is `forest` when any plot is. The package holds the fields of
a due-diligence statement, its geolocation as the EUDR GeoJSON, and is exported in
the EU information system's submission structure (services.dds_document). The
reference and verification numbers the system returns are stored here and shown to
whoever receives the lot, and put in the statements of lots made from it."""
from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal

from flask_babel import gettext as _
from geoalchemy2.shape import to_shape
from sqlalchemy import select

from gis.eudr import eudr_geojson
from gis.export import ExportArea
from gis.features import GisError
from gis.forest import forest_shares, opened

from .. import permissions, units
from ..clock import now
from ..db import session, transaction
from ..errors import Conflict, Invalid, NotFound
from ..models import Batch, DueDiligence, GrowingArea, Handover, LotOrigin, User
from ..models.batches import MASS_KG
from ..problems import describe as say
from . import audit, lot_graph
from .dds_document import SPECIFICATION
from .forest_maps import latest_map
from .residue_limits import EU_MEMBERS, normal

# Crops as growing areas name them → (EUDR commodity, default HS heading of Annex I).
COMMODITIES = {
    "cà phê": ("coffee", "0901"), "coffee": ("coffee", "0901"),
    "cao su": ("rubber", "4001"), "rubber": ("rubber", "4001"),
    "ca cao": ("cocoa", "1801"), "cacao": ("cocoa", "1801"), "cocoa": ("cocoa", "1801"),
    "gỗ": ("wood", "4403"), "keo": ("wood", "4403"), "wood": ("wood", "4403"),
    "acacia": ("wood", "4403"),
}
ACTIVITIES = ("IMPORT", "EXPORT", "DOMESTIC", "TRADE")
DEFAULT_THRESHOLD_PCT = Decimal("5")
NUMBER = re.compile(r"^[A-Z0-9]{6,40}$")


def prepare(actor: User | None, lot_id: int, data: dict) -> DueDiligence:
    """Check the lot's plots on the forest maps and keep its due-diligence package (the
    lot's organisation). Again later replaces the check, until numbers are recorded."""
    with transaction() as s:
        lot = permissions.fetch(s, actor, Batch, lot_id, "batch", write=True, lock=True)
        _require_eu_export(lot)
        areas = lot_graph.upstream_areas(s, [lot.id]).get(lot.id, [])
        commodity = _commodity(areas)
        threshold = Decimal(str(data.get("threshold_pct", DEFAULT_THRESHOLD_PCT)))
        plots, map_id = _plots(s, areas, threshold)
        row = s.scalar(select(DueDiligence).where(DueDiligence.batch_id == lot.id))
        if row is not None and row.reference_number:
            raise Conflict(_("The statement of lot %(lot)s was submitted (reference "
                             "%(ref)s); it cannot be checked again.", lot=lot.lot_code,
                             ref=row.reference_number))
        row = row or DueDiligence(batch_id=lot.id)
        row.forest_map_id, row.threshold_pct, row.plots = map_id, threshold, plots
        row.verdict = "forest" if any(p["verdict"] == "forest" for p in plots) else "negligible"
        row.activity = data.get("activity") or "IMPORT"
        row.hs_heading = data.get("hs_heading") or COMMODITIES[commodity][1]
        row.description = data.get("description") or f"{lot.product.name} ({lot.lot_code})"
        row.legality_documents = [{k: v.isoformat() if hasattr(v, "isoformat") else v
                                   for k, v in d.items()}
                                  for d in data.get("legality_documents") or []]
        row.checked_at, row.checked_by = now(), actor.id
        s.add(row)
        s.flush()
        audit.record(s, actor, "due_diligence", lot.id, "check", after={
            "verdict": row.verdict, "threshold_pct": threshold, "forest_map_id": map_id,
            "plots": {p["code"]: p["forest_pct"] for p in plots}})
    return row


def _require_eu_export(lot: Batch) -> None:
    if lot.origin != LotOrigin.EXPORT or lot.market not in EU_MEMBERS:
        raise Invalid(_("Lot %(lot)s is not an export lot to a member state of the EU; due "
                        "diligence under the EU deforestation regulation is for those.",
                        lot=lot.lot_code), {"lot_id": [_("Not an export lot to the EU.")]})


def _commodity(areas: list[GrowingArea]) -> str:
    if not areas:
        raise Invalid(_("The lot comes from no growing area: its plots cannot be checked."),
                      {"lot_id": [_("No growing areas.")]})
    found = {COMMODITIES.get(normal(a.crop), (None,))[0] for a in areas}
    if None in found or len(found) != 1:
        crops = ", ".join(sorted({a.crop for a in areas}))
        raise Invalid(_("The lot's growing areas grow %(crops)s: due diligence covers lots "
                        "of one of coffee, rubber, cocoa or wood.", crops=crops),
                      {"lot_id": [_("Not a commodity of the regulation.")]})
    return found.pop()


def _plots(s, areas: list[GrowingArea], threshold: Decimal) -> tuple[list[dict], int]:
    """Each plot's forest share on its province's latest map, with its verdict."""
    by_province = defaultdict(list)
    for area in areas:
        by_province[area.province_code].append(area)
    plots, used = [], []
    for province, group in sorted(by_province.items()):
        forest_map = latest_map(s, province)
        if forest_map is None:
            raise Invalid(_("Province %(province)s has no forest map of 31 December 2020 yet; "
                            "its officials upload one.", province=units.province_name(province)
                            or province), {"lot_id": [_("No forest map.")]})
        names = [a.code or a.name for a in group]
        try:
            with opened(forest_map.data, forest_map.filename) as dataset:
                shares = forest_shares(dataset, [to_shape(a.geom) for a in group], names)
        except GisError as exc:
            raise Invalid(" ".join(say(p) for p in exc.problems),
                          {"lot_id": [say(p) for p in exc.problems]}) from exc
        used.append(forest_map.id)
        for area, share in zip(group, shares):
            pct = round(float(share) * 100, 2)
            plots.append({"area_id": area.id, "code": area.code, "name": area.name,
                          "producer": area.organization.name,
                          "area_ha": float(area.area_ha), "forest_pct": pct,
                          "verdict": "forest" if pct > float(threshold) else "negligible"})
    return sorted(plots, key=lambda p: (p["code"] or "", p["area_id"])), max(used)


def get_due_diligence(actor: User | None, lot_id: int) -> tuple[Batch, DueDiligence]:
    """The lot's package: its organisation and the province's officials, and the
    organisations it was handed to (the next holder needs its numbers)."""
    user = permissions.require_login(actor)
    s = session()
    lot = s.get(Batch, lot_id)
    if lot is None:
        raise NotFound(_("Not found."))
    try:
        permissions.check(user, "batch", lot)
    except NotFound:
        received = user.organization_id is not None and s.scalar(select(Handover.id).where(
            Handover.batch_id == lot.id, Handover.receiver_id == user.organization_id).limit(1))
        if not received:
            raise
    row = s.scalar(select(DueDiligence).where(DueDiligence.batch_id == lot.id))
    if row is None:
        raise NotFound(_("Lot %(lot)s has no due-diligence package yet.", lot=lot.lot_code))
    return lot, row


def record_numbers(actor: User | None, lot_id: int, reference_number: str,
                   verification_number: str) -> DueDiligence:
    """Keep the numbers the EU information system gave the lot's statement."""
    reference, verification = reference_number.strip().upper(), \
        verification_number.strip().upper()
    problems = {name: [_("Letters and digits, 6 to 40 of them.")]
                for name, value in (("reference_number", reference),
                                    ("verification_number", verification))
                if not NUMBER.match(value)}
    if problems:
        raise Invalid(_("The reference and verification numbers are the letters and digits "
                        "the EU information system returned."), problems)
    with transaction() as s:
        lot = permissions.fetch(s, actor, Batch, lot_id, "batch", write=True, lock=True)
        row = s.scalar(select(DueDiligence).where(DueDiligence.batch_id == lot.id))
        if row is None:
            raise NotFound(_("Lot %(lot)s has no due-diligence package yet.", lot=lot.lot_code))
        before = {"reference_number": row.reference_number,
                  "verification_number": row.verification_number}
        row.reference_number, row.verification_number = reference, verification
        row.numbers_recorded_at = now()
        audit.record(s, actor, "due_diligence", lot.id, "numbers", before=before, after={
            "reference_number": reference, "verification_number": verification})
    return row


def package(lot: Batch, row: DueDiligence) -> dict:
    """The due-diligence statement's fields, with each producer's plots as EUDR GeoJSON."""
    s = session()
    if lot.unit not in MASS_KG:
        raise Invalid(_("Lot %(lot)s is counted in %(unit)s; a statement needs its net mass "
                        "in kilograms.", lot=lot.lot_code, unit=lot.unit),
                      {"lot_id": [_("Not a mass.")]})
    areas = {a.id: a for a in lot_graph.upstream_areas(s, [lot.id]).get(lot.id, [])}
    producers = defaultdict(list)
    for plot in row.plots:
        area = areas.get(plot["area_id"])
        if area is not None:
            producers[area.organization.name].append(_export_area(area))
    upstream = lot_graph.upstream_lot_ids(s, [lot.id]) - {lot.id}
    associated = [{"reference_number": r, "verification_number": v} for r, v in s.execute(
        select(DueDiligence.reference_number, DueDiligence.verification_number).where(
            DueDiligence.batch_id.in_(upstream), DueDiligence.reference_number.is_not(None)))]
    return {
        "specification": SPECIFICATION, "operator_type": "OPERATOR",
        "internal_reference": f"{lot.organization.tax_code or lot.organization_id}-{lot.lot_code}",
        "activity": row.activity, "country_of_activity": lot.market,
        "comment": _comment(row), "description": row.description, "hs_heading": row.hs_heading,
        "net_mass_kg": float(lot.quantity * MASS_KG[lot.unit]), "country_of_production": "VN",
        "producers": [{"name": name, "country": "VN", "geojson": eudr_geojson(plots)}
                      for name, plots in sorted(producers.items())],
        "verdict": row.verdict, "threshold_pct": float(row.threshold_pct), "plots": row.plots,
        "legality_documents": row.legality_documents + _certifications(lot),
        "associated_statements": associated, "reference_number": row.reference_number,
        "verification_number": row.verification_number, "checked_at": row.checked_at,
        "lot_id": lot.id, "lot_code": lot.lot_code, "market": lot.market,
    }


def _comment(row: DueDiligence) -> str:
    over = sum(p["verdict"] == "forest" for p in row.plots)
    return (f"Forest cover 2020-12-31: {len(row.plots)} plot(s), {over} above "
            f"{row.threshold_pct}% forest; verdict {row.verdict}.")


def _export_area(area: GrowingArea) -> ExportArea:
    return ExportArea(code=area.code, name=area.name, crop=area.crop, status=area.status.value,
                      organization=area.organization.name,
                      province=units.province_name(area.province_code) or "",
                      ward=units.ward_name(area.ward_code), area_ha=float(area.area_ha),
                      perimeter_m=float(area.perimeter_m), geometry=to_shape(area.geom))


def _certifications(lot: Batch) -> list[dict]:
    """The product's certifications count among the legality documents."""
    return [{"title": c.scheme.value if hasattr(c.scheme, "value") else str(c.scheme),
             "number": c.number, "issuer": c.issuer,
             "valid_until": c.valid_until.isoformat() if c.valid_until else None}
            for c in getattr(lot.product, "certifications", [])]
