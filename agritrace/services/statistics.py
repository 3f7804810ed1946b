"""Statistics (thống kê) for the provincial officials: growing areas, codes issued,
stamps, scans, suspected copies and open consumer reports of a province.

Each table is one query grouped in the database; series over days and months are
joined to a generated calendar so that empty days show as zero. Days and months are
those of Vietnam (Asia/Ho_Chi_Minh), whatever the server's or the session's zone.
An official sees the province of their account; an administrator every province,
or one chosen.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import (Date, Integer, String, cast, column, func, literal, literal_column,
                        select, true, values)
from sqlalchemy.engine import Row

from .. import permissions, units
from ..clock import VIETNAM, today
from ..db import read_session
from ..errors import Forbidden, NotFound
from ..models import (AreaStatus, Batch, GrowingArea, Organization, Product, Report,
                      ReportStatus, Role, Scan, Stamp, StampRun, User, Verdict)
from ..models.scans import ReportReason
from . import previews

DAYS = 60             # days of stamps, scans and copies shown
MONTHS = 24           # months of growing-area codes shown
LATEST_COPIES = 20    # suspected copies listed, the most recently scanned first
OPEN_REPORTS = (ReportStatus.NEW, ReportStatus.IN_REVIEW)
# A constant, not a bound parameter: the same expression in SELECT and GROUP BY must
# render the same text, and two parameters would be two expressions to PostgreSQL.
ZONE = literal_column("'Asia/Ho_Chi_Minh'")


@dataclass(frozen=True)
class Scope:
    """Whose statistics: one province, or (administrators only) every province."""
    province_code: int | None
    today: date

    def of(self, province_col) -> object:
        return true() if self.province_code is None else province_col == self.province_code

    def days(self) -> tuple[date, datetime, datetime]:
        """The first of the DAYS days, and that window as instants (start, end)."""
        first = self.today - timedelta(days=DAYS - 1)
        return (first, datetime.combine(first, time(), VIETNAM),
                datetime.combine(self.today + timedelta(days=1), time(), VIETNAM))


def scope(actor: User | None, province_code: int | None = None) -> Scope:
    """The scope of `actor`'s statistics: officials their own province (asking for
    another is refused), administrators the province asked for or all of them."""
    user = permissions.require_role(actor, Role.OFFICIAL, Role.ADMIN)
    if user.role == Role.OFFICIAL:
        if province_code not in (None, user.province_code):
            raise Forbidden(_("Officials see the statistics of their own province only."))
        province_code = user.province_code
    return Scope(province_code, today())


def _local_day(column_):
    return cast(func.timezone(ZONE, column_), Date)


def _calendar(first: date, count: int, *, months: bool = False):
    """`count` consecutive days (or months) from `first`, as a derived table `period`."""
    n = func.generate_series(0, count - 1).table_valued("n").render_derived("g")
    start = cast(literal(first, Date), Date)
    step = cast(start + func.make_interval(0, n.c.n), Date) if months else start + n.c.n
    return select(step.label("period")).subquery("calendar")


def _over(calendar, counts, *measures: str):
    """The calendar left-joined to grouped `counts`, zeros where nothing happened."""
    return (select(calendar.c.period, *(func.coalesce(counts.c[m], 0).label(m)
                                        for m in measures))
            .select_from(calendar.outerjoin(counts, counts.c.period == calendar.c.period))
            .order_by(calendar.c.period))


def _listing(choices: list[tuple[str, int]], name: str):
    """A VALUES table of an enum's values and their order, so that every value gets
    a row, with zeros when none matches."""
    return values(column(name, String), column("position", Integer),
                  name=f"{name}_choices").data(choices).alias(f"{name}_choices")


# -- growing areas --------------------------------------------------------------------

def _area_measures():
    issued = GrowingArea.status == AreaStatus.ISSUED
    return (func.count().label("areas"),
            func.coalesce(func.sum(GrowingArea.area_ha), 0).label("hectares"),
            func.count().filter(issued).label("issued_areas"),
            func.coalesce(func.sum(GrowingArea.area_ha).filter(issued), 0)
            .label("issued_hectares"))


def areas_by_crop(scope: Scope) -> list[Row]:
    """(crop, areas, hectares, issued_areas, issued_hectares), the largest first."""
    measures = _area_measures()
    return read_session().execute(
        select(GrowingArea.crop, *measures)
        .where(scope.of(GrowingArea.province_code))
        .group_by(GrowingArea.crop)
        .order_by(measures[1].desc(), GrowingArea.crop)).all()


@dataclass(frozen=True)
class WardRow:
    ward_code: int | None
    ward: str
    areas: int
    hectares: object
    issued_areas: int
    issued_hectares: object


def areas_by_ward(scope: Scope) -> list[WardRow]:
    """Areas per ward or commune (xã/phường), the largest first; names from the units
    list, an empty name for an area whose ward was not given."""
    measures = _area_measures()
    rows = read_session().execute(
        select(GrowingArea.ward_code, *measures)
        .where(scope.of(GrowingArea.province_code))
        .group_by(GrowingArea.ward_code)
        .order_by(measures[1].desc(), GrowingArea.ward_code)).all()
    return [WardRow(r.ward_code, units.ward_name(r.ward_code), r.areas, r.hectares,
                    r.issued_areas, r.issued_hectares) for r in rows]


def areas_by_status(scope: Scope) -> list[Row]:
    """(status, areas, hectares) for every status, in the order of their life."""
    choices = _listing([(s.value, i) for i, s in enumerate(AreaStatus)], "status")
    counts = (select(GrowingArea.status.label("status"), func.count().label("areas"),
                     func.sum(GrowingArea.area_ha).label("hectares"))
              .where(scope.of(GrowingArea.province_code))
              .group_by(GrowingArea.status).subquery("counts"))
    return read_session().execute(
        select(choices.c.status, func.coalesce(counts.c.areas, 0).label("areas"),
               func.coalesce(counts.c.hectares, 0).label("hectares"))
        .select_from(choices.outerjoin(counts, counts.c.status == choices.c.status))
        .order_by(choices.c.position)).all()


def codes_per_month(scope: Scope) -> list[Row]:
    """(period = first day of the month, codes) over the last MONTHS months: growing
    areas by the month their code was issued (issued_at, in Vietnam)."""
    months = scope.today.year * 12 + scope.today.month - 1 - (MONTHS - 1)
    first = date(months // 12, months % 12 + 1, 1)
    start = datetime.combine(first, time(), VIETNAM)
    month = cast(func.date_trunc("month", func.timezone(ZONE, GrowingArea.issued_at)), Date)
    counts = (select(month.label("period"), func.count().label("codes"))
              .where(scope.of(GrowingArea.province_code), GrowingArea.issued_at >= start)
              .group_by(month).subquery("counts"))
    return read_session().execute(_over(_calendar(first, MONTHS, months=True), counts,
                                   "codes")).all()


# -- stamps, scans and copies -------------------------------------------------------

def _of_province(query, scope: Scope, run_id_col):
    """Join a query on stamps (by their run) to the batch's organisation, in scope."""
    return (query.join(StampRun, StampRun.id == run_id_col)
            .join(Batch, Batch.id == StampRun.batch_id)
            .join(Organization, Organization.id == Batch.organization_id)
            .where(scope.of(Organization.province_code)))


def stamps_per_day(scope: Scope) -> list[Row]:
    """(period = day, stamps) over the last DAYS days: stamps of the runs created that
    day, void runs included (they were issued)."""
    first, start, end = scope.days()
    day = _local_day(StampRun.created_at)
    counts = (select(day.label("period"), func.sum(StampRun.quantity).label("stamps"))
              .join(Batch, Batch.id == StampRun.batch_id)
              .join(Organization, Organization.id == Batch.organization_id)
              .where(scope.of(Organization.province_code), StampRun.created_at >= start,
                     StampRun.created_at < end)
              .group_by(day).subquery("counts"))
    return read_session().execute(_over(_calendar(first, DAYS), counts, "stamps")).all()


def scans_per_day(scope: Scope) -> list[Row]:
    """(period = day, scans, copies, copied_stamps) over the last DAYS days: scans of
    the province's stamps, those judged a suspected copy, and how many distinct
    stamps those were. Scans of unknown codes belong to no province: not counted."""
    first, start, end = scope.days()
    day = _local_day(Scan.scanned_at)
    copy = Scan.verdict == Verdict.SUSPECT_COPY
    query = select(day.label("period"), func.count().label("scans"),
                   func.count().filter(copy).label("copies"),
                   func.count(Scan.stamp_id.distinct()).filter(copy).label("copied_stamps")
                   ).select_from(Scan).join(Stamp, Stamp.id == Scan.stamp_id)
    counts = (_of_province(query, scope, Stamp.run_id)
              .where(Scan.scanned_at >= start, Scan.scanned_at < end)
              .group_by(day).subquery("counts"))
    return read_session().execute(_over(_calendar(first, DAYS), counts, "scans", "copies",
                                   "copied_stamps")).all()


def latest_copies(scope: Scope) -> list[Row]:
    """The stamps scanned as suspected copies in the last DAYS days, the most recent
    first (at most LATEST_COPIES): (stamp_id, copies, first_at, last_at, batch_id,
    lot_code, product, organization, shares, stamps_total), where shares counts the
    link previews of the stamp (how often its link was shared, never scans) and
    stamps_total every such stamp of the window, listed or not."""
    _first, start, end = scope.days()
    last = func.max(Scan.scanned_at)
    query = (select(Scan.stamp_id, func.count().label("copies"),
                    func.min(Scan.scanned_at).label("first_at"), last.label("last_at"),
                    Batch.id.label("batch_id"), Batch.lot_code,
                    Product.name.label("product"), Organization.name.label("organization"),
                    previews.shares_of(Scan.stamp_id).label("shares"),
                    func.count().over().label("stamps_total"))
             .select_from(Scan).join(Stamp, Stamp.id == Scan.stamp_id))
    query = (_of_province(query, scope, Stamp.run_id)
             .join(Product, Product.id == Batch.product_id)
             .where(Scan.verdict == Verdict.SUSPECT_COPY, Scan.scanned_at >= start,
                    Scan.scanned_at < end)
             .group_by(Scan.stamp_id, Batch.id, Product.id, Organization.id)
             .order_by(last.desc(), Scan.stamp_id).limit(LATEST_COPIES))
    return read_session().execute(query).all()


# -- reports ----------------------------------------------------------------------------

def open_reports(scope: Scope) -> list[Row]:
    """(reason, new, in_review, open) for every reason: the consumers' reports not yet
    resolved or dismissed. An administrator's all-province view includes those that
    reached no province."""
    choices = _listing([(r.value, i) for i, r in enumerate(ReportReason)], "reason")
    counts = (select(Report.reason.label("reason"),
                     func.count().filter(Report.status == ReportStatus.NEW).label("new"),
                     func.count().filter(Report.status == ReportStatus.IN_REVIEW)
                     .label("in_review"), func.count().label("open"))
              .where(scope.of(Report.province_code), Report.status.in_(OPEN_REPORTS))
              .group_by(Report.reason).subquery("counts"))
    return read_session().execute(
        select(choices.c.reason, *(func.coalesce(counts.c[m], 0).label(m)
                                   for m in ("new", "in_review", "open")))
        .select_from(choices.outerjoin(counts, counts.c.reason == choices.c.reason))
        .order_by(choices.c.position)).all()


# -- the page and its tables -------------------------------------------------------------

TABLES: dict[str, Callable[[Scope], list]] = {
    "crops": areas_by_crop,
    "statuses": areas_by_status,
    "wards": areas_by_ward,
    "codes": codes_per_month,
    "stamps": stamps_per_day,
    "scans": scans_per_day,
    "copies": latest_copies,
    "reports": open_reports,
}


@dataclass(frozen=True)
class Overview:
    scope: Scope
    tables: dict[str, list]

    @property
    def copied_stamps_total(self) -> int:
        copies = self.tables["copies"]
        return copies[0].stamps_total if copies else 0


def overview(actor: User | None, province_code: int | None = None) -> Overview:
    """Every table of the statistics page, for `actor`'s scope."""
    where = scope(actor, province_code)
    return Overview(where, {name: compute(where) for name, compute in TABLES.items()})


def table(actor: User | None, name: str, province_code: int | None = None
          ) -> tuple[Scope, list]:
    """One table of the page, by name (as the CSV downloads ask)."""
    where = scope(actor, province_code)
    if name not in TABLES:
        raise NotFound(_("There is no statistics table called %(name)s.", name=name))
    return where, TABLES[name](where)
