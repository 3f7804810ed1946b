"""What an export lot's inputs must satisfy for its market (thị trường): the rules
importing countries apply to the codes fruit comes from.

Every input must come from issued growing areas through active packing houses with a
code; and every growing-area code upstream, and the packing-house code, must be
approved, and in force, for the lot's market. A domestic code is not approved for any
export market, nor is a code not yet classified: importing authorities list codes
market by market, so a code without that market's listing cannot ship there. Lots
already made keep their market; domestic lots are not checked here at all.

All problems are gathered and refused together, each under the input it concerns, so
that the person making the lot sees every code to sort out at once.
"""
from __future__ import annotations

from datetime import date

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..clock import today
from ..countries import country_name
from ..errors import Invalid
from ..models import (AreaStatus, Batch, CodeMarket, CodeScope, Facility, FacilityStatus,
                      GrowingArea, MarketState)
from . import lot_graph, residue_tests

Inputs = list[tuple[Batch, object]]


def check_export_inputs(s: Session, market: str, inputs: Inputs,
                        facility: Facility | None) -> None:
    """Raise Invalid naming every code, and why, that keeps an input out of an export
    lot for `market`; the errors are keyed `inputs.<i>.batch_id`."""
    ids = [lot.id for lot, _q in inputs]
    areas = lot_graph.upstream_areas(s, ids)
    houses = lot_graph.upstream_packing_houses(s, ids)
    here = [facility] if facility is not None else []
    approvals = _approvals(s, market, [a for found in areas.values() for a in found],
                           [h for found in houses.values() for h in found] + here)
    problems: dict[str, list[str]] = {}
    for i, (lot, _q) in enumerate(inputs):
        lot_areas = areas.get(lot.id, [])
        lot_houses = list({h.id: h for h in houses.get(lot.id, []) + here}.values())
        said = _code_problems(lot, lot_areas, lot_houses)
        for code in lot_areas + lot_houses:
            said += _market_problems(lot, code, market, approvals)
        # Residue tests: a market's "passing residue test within N days" rule adds its
        # sentences for this input here, in the same shape (issue 20, item 6).
        said += residue_tests.residue_problems(s, lot, market)
        if said:
            problems[f"inputs.{i}.batch_id"] = said
    if problems:
        raise Invalid(" ".join(m for said in problems.values() for m in said), problems)


def _approvals(s: Session, market: str, areas: list[GrowingArea],
               houses: list[Facility]) -> dict[tuple[str, int], CodeMarket]:
    """The market's approval rows of these codes, by ("area" | "facility", id)."""
    area_ids = {a.id for a in areas}
    house_ids = {h.id for h in houses}
    if not area_ids and not house_ids:
        return {}
    rows = s.scalars(select(CodeMarket).where(
        CodeMarket.market == market,
        or_(CodeMarket.area_id.in_(area_ids), CodeMarket.facility_id.in_(house_ids))))
    return {("area", r.area_id) if r.area_id else ("facility", r.facility_id): r for r in rows}


def _code_problems(lot: Batch, areas: list[GrowingArea], houses: list[Facility]) -> list[str]:
    """Importing countries refuse fruit from places without codes: the lot's growing
    areas must be issued, and its packing houses coded and active."""
    said = []
    if not areas:
        said.append(_("Lot %(lot)s comes from no growing area with a code.", lot=lot.lot_code))
    for area in areas:
        if area.status != AreaStatus.ISSUED:
            said.append(_("Lot %(lot)s comes from growing area %(code)s, which is "
                          "%(status)s: only lots from issued areas can be exported.",
                          lot=lot.lot_code, code=area.code or area.name,
                          status=_(area.status.value)))
    if not houses:
        said.append(_("Lot %(lot)s passed through no packing house with a code.",
                      lot=lot.lot_code))
    for house in houses:
        if not house.code:
            said.append(_("Packing house %(name)s (lot %(lot)s) has no packing-house code.",
                          name=house.name, lot=lot.lot_code))
        elif house.status != FacilityStatus.ACTIVE:
            said.append(_("Packing house %(code)s (lot %(lot)s) is %(status)s.",
                          code=house.code, lot=lot.lot_code, status=_(house.status.value)))
    return said


def _market_problems(lot: Batch, code: GrowingArea | Facility, market: str,
                     approvals: dict) -> list[str]:
    """Why `code` may not ship to `market`, if it may not."""
    if code.code is None:
        return []   # _code_problems has already said so
    name = country_name(market, str(get_locale() or "en"))
    words = {"code": code.code, "lot": lot.lot_code, "market": name}
    if code.code_scope == CodeScope.DOMESTIC:
        return [_("Code %(code)s (lot %(lot)s) is a domestic code: it is not approved for "
                  "export to %(market)s.", **words)]
    key = ("area", code.id) if isinstance(code, GrowingArea) else ("facility", code.id)
    row = approvals.get(key)
    if row is None:
        return [_("Code %(code)s (lot %(lot)s) is not approved for %(market)s.", **words)]
    if row.state != MarketState.APPROVED:
        return [_("Code %(code)s (lot %(lot)s) is %(state)s for %(market)s: %(reason)s.",
                  state=_(row.state.value), reason=row.reason or _("no reason given"),
                  **words)]
    if _expired(row, today()):
        return [_("The approval of code %(code)s (lot %(lot)s) for %(market)s expired on "
                  "%(date)s.", date=row.valid_until.isoformat(), **words)]
    return []


def _expired(row: CodeMarket, day: date) -> bool:
    return row.valid_until is not None and row.valid_until < day
