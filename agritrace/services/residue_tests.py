"""Residue tests (kiểm nghiệm dư lượng): a lab's results for a sample of a growing area or
a lot, judged per active ingredient against the limits of a market for the crop, and
the check that an export lot has the recent passing test its market asks for."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .. import permissions
from ..clock import today
from ..db import session, transaction
from ..errors import Invalid, NotFound
from ..models import (Batch, GrowingArea, Organization, ResidueLimit, ResidueResult, ResidueRule,
                      ResidueTest, User)
from . import audit, lot_graph
from .residue_limits import PLATFORM, known_ingredients, markets_covering, normal


@dataclass(frozen=True)
class Verdict:
    """One ingredient's result against a market's limit: `within` (at or below it),
    `over`, or `no_limit` (the table has none for this crop; not a pass)."""
    ingredient: str
    result_mg_kg: Decimal
    mrl_mg_kg: Decimal | None
    verdict: str
    market: str


def record_test(actor: User | None, data: dict) -> ResidueTest:
    """Record a lab report on `batch_id` and/or `area_id` (the producer's own, or an
    official of their province): sampled_on, lab, report_number and results
    [{ingredient, result_mg_kg}]."""
    permissions.require_write(actor)
    if data.get("batch_id") is None and data.get("area_id") is None:
        raise Invalid(_("Name the lot or the growing area the sample was taken from."),
                      {"batch_id": [_("A lot or a growing area is required.")]})
    if data["sampled_on"] > today():
        raise Invalid(_("The sampling date is in the future."),
                      {"sampled_on": [_("In the future.")]})
    results = _results(data["results"])
    with transaction() as s:
        owners = set()
        if data.get("batch_id") is not None:
            lot = permissions.fetch(s, actor, Batch, data["batch_id"], "batch.recall", write=True)
            owners.add(lot.organization_id)
        if data.get("area_id") is not None:
            area = permissions.fetch(s, actor, GrowingArea, data["area_id"], "area", write=True)
            owners.add(area.organization_id)
        if len(owners) > 1:
            raise Invalid(_("The lot and the growing area belong to different organisations."),
                          {"area_id": [_("Not the lot's organisation.")]})
        test = ResidueTest(organization_id=owners.pop(), batch_id=data.get("batch_id"),
                           area_id=data.get("area_id"), sampled_on=data["sampled_on"],
                           lab=data["lab"], report_number=data.get("report_number") or "",
                           created_by=actor.id,
                           results=[ResidueResult(ingredient=i, result_mg_kg=r)
                                    for i, r in results])
        s.add(test)
        s.flush()
        audit.record(s, actor, "residue_test", test.id, "create", after={
            "batch_id": test.batch_id, "area_id": test.area_id, "lab": test.lab,
            "results": {i: str(r) for i, r in results}})
    return test


def _results(wanted: list[dict]) -> list[tuple[str, Decimal]]:
    out, problems = [], {}
    for i, item in enumerate(wanted):
        name = normal(item["ingredient"])
        if name not in known_ingredients():
            problems[f"results.{i}.ingredient"] = [
                _("%(value)s is not an active ingredient we know.", value=name or "—")]
        elif name in {n for n, _r in out}:
            problems[f"results.{i}.ingredient"] = [_("Named twice.")]
        out.append((name, Decimal(str(item["result_mg_kg"]))))
    if problems:
        raise Invalid(" ".join(m for said in problems.values() for m in said), problems)
    return out


def get_test(actor: User | None, test_id: int) -> ResidueTest:
    """A test, read like its lot or area: the organisation, the province's officials."""
    permissions.require_login(actor)
    s = session()
    test = s.get(ResidueTest, test_id)
    if test is None:
        raise NotFound(_("Not found."))
    if test.batch_id is not None:
        permissions.check(actor, "batch", s.get(Batch, test.batch_id))
    else:
        permissions.check(actor, "area", s.get(GrowingArea, test.area_id))
    return test


def list_tests(actor: User | None, *, batch_id: int | None = None, area_id: int | None = None,
               offset: int = 0, limit: int = 20) -> tuple[list[ResidueTest], int]:
    """The tests the actor may read (its organisation's; an official's province's),
    newest sample first, of one lot or growing area when named."""
    permissions.require_login(actor)
    where = [permissions.owner_filter(actor, ResidueTest.organization_id,
                                      Organization.province_code)]
    if batch_id is not None:
        where.append(ResidueTest.batch_id == batch_id)
    if area_id is not None:
        where.append(ResidueTest.area_id == area_id)
    base = select(ResidueTest).join(Organization,
                                    Organization.id == ResidueTest.organization_id).where(*where)
    s = session()
    total = s.scalar(select(func.count()).select_from(base.subquery()))
    rows = s.scalars(base.order_by(ResidueTest.sampled_on.desc(), ResidueTest.id.desc())
                     .offset(offset).limit(limit))
    return list(rows), total


def judge(actor: User | None, test_id: int, market: str) -> tuple[ResidueTest, list[Verdict]]:
    """A test the actor may read, with its verdicts for `market`."""
    test = get_test(actor, test_id)
    return test, verdicts(session(), test, market.upper())


def verdicts(s: Session, test: ResidueTest, market: str) -> list[Verdict]:
    """Each result of `test` against `market`'s limits for the sample's crop, the
    province's table before the platform's."""
    crops = _crops(s, test)
    province = s.scalar(select(Organization.province_code).where(
        Organization.id == test.organization_id))
    limits: dict[str, tuple[int, Decimal]] = {}
    for row in s.scalars(select(ResidueLimit).where(
            ResidueLimit.province_code.in_({PLATFORM, province}),
            ResidueLimit.market.in_(markets_covering(market)), ResidueLimit.crop.in_(crops),
            ResidueLimit.ingredient.in_([r.ingredient for r in test.results]))):
        # the province's row wins, then the market's own over the EU's, then the lower
        rank = (row.province_code == province, row.market == market, -row.mrl_mg_kg)
        if row.ingredient not in limits or rank > limits[row.ingredient][0]:
            limits[row.ingredient] = (rank, row.mrl_mg_kg)
    out = []
    for result in test.results:
        limit = limits.get(result.ingredient, (None, None))[1]
        verdict = ("within" if result.result_mg_kg == 0 or (limit is not None
                                                            and result.result_mg_kg <= limit)
                   else "no_limit" if limit is None else "over")
        out.append(Verdict(result.ingredient, result.result_mg_kg, limit, verdict, market))
    return out


def passes(s: Session, test: ResidueTest, market: str) -> bool:
    return bool(test.results) and all(v.verdict == "within" for v in verdicts(s, test, market))


def _crops(s: Session, test: ResidueTest) -> set[str]:
    """The crop the sample is of: its area's, or the crops of the lot's growing areas."""
    if test.area_id is not None:
        return {normal(s.get(GrowingArea, test.area_id).crop)}
    areas = lot_graph.upstream_areas(s, [test.batch_id]).get(test.batch_id, [])
    return {normal(a.crop) for a in areas}


def residue_problems(s: Session, lot: Batch, market: str, day: date | None = None) -> list[str]:
    """What keeps `lot` out of an export lot for `market` by the residue rules: when the
    province of its growing areas (or the platform) has a rule for the market, the lot
    needs a passing test for that market sampled within the rule's days before `day`,
    on the lot, a lot it was made from, or one of its growing areas."""
    areas = lot_graph.upstream_areas(s, [lot.id]).get(lot.id, [])
    rule = s.scalar(select(ResidueRule).where(
        ResidueRule.province_code.in_({PLATFORM} | {a.province_code for a in areas}),
        ResidueRule.market.in_(markets_covering(market)))
        .order_by(ResidueRule.within_days).limit(1))
    if rule is None:
        return []
    day = day or today()
    since = day - timedelta(days=rule.within_days)
    lots = lot_graph.upstream_lot_ids(s, [lot.id])
    tests = s.scalars(select(ResidueTest).where(
        or_(ResidueTest.batch_id.in_(lots), ResidueTest.area_id.in_([a.id for a in areas])),
        ResidueTest.sampled_on.between(since, day)))
    if any(passes(s, test, market) for test in tests):
        return []
    return [_("Lot %(lot)s has no passing residue test for %(market)s sampled in the "
              "%(days)s days before %(day)s.", lot=lot.lot_code, market=market,
              days=rule.within_days, day=day.isoformat())]
