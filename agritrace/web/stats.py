"""Statistics for officials (thống kê) at /gis/stats: tables, charts drawn on the server
as inline SVG, and a CSV download of each table at /gis/stats/<table>.csv."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, ValidationError

from labels.codes import format_code

from .. import charts, units
from ..auth import current_actor
from ..clock import VIETNAM
from ..errors import DomainError
from ..models import ReportStatus, Role
from ..models.scans import ReportReason
from ..schemas.common import ProvinceCode, StrictSchema
from ..schemas.messages import localize
from ..services import statistics
from .access import role_required
from .scan_words import REASONS

bp = Blueprint("stats", __name__)
OFFICIALS = (Role.OFFICIAL, Role.ADMIN)
CHART_ROWS = 15       # categories drawn; the table lists them all
COPY_RED = "#c62828"
REPORT_AMBER = "#b26a00"


class StatsQuery(StrictSchema):
    class Meta:
        unknown = EXCLUDE  # ?lang= rides along
    province = ProvinceCode(load_default=None)


@dataclass(frozen=True)
class Column:
    """A column of a table, the same on the page and in its CSV. `kind` says how a
    value is written: text, code (text kept on one line), count, hectares, day, month
    or time."""
    header: Any
    value: Callable[[Any], Any]
    kind: str = "text"
    link: Callable[[Any], str | None] | None = None

    @property
    def numeric(self) -> bool:
        return self.kind in ("count", "hectares")


def _status_name(row) -> str:
    return _(row.status)  # the area statuses are in the catalogue (i18n_terms)


def _reports_link(status: ReportStatus) -> Callable[[Any], str]:
    return lambda row: url_for("reports.index", status=status.value)


def _area_columns() -> list[Column]:
    return [Column(_l("Areas"), lambda r: r.areas, "count"),
            Column(_l("Hectares"), lambda r: r.hectares, "hectares"),
            Column(_l("Issued areas"), lambda r: r.issued_areas, "count"),
            Column(_l("Issued hectares"), lambda r: r.issued_hectares, "hectares")]


TABLES: dict[str, tuple[Any, list[Column]]] = {
    "crops": (_l("Growing areas by crop"), [
        Column(_l("Crop"), lambda r: r.crop), *_area_columns()]),
    "statuses": (_l("Growing areas by status"), [
        Column(_l("Status"), _status_name),
        Column(_l("Areas"), lambda r: r.areas, "count"),
        Column(_l("Hectares"), lambda r: r.hectares, "hectares")]),
    "wards": (_l("Growing areas by ward or commune"), [
        Column(_l("Ward code"), lambda r: r.ward_code if r.ward_code is not None else ""),
        Column(_l("Ward or commune"), lambda r: r.ward or _("Not given")),
        *_area_columns()]),
    "codes": (_l("Growing-area codes issued per month"), [
        Column(_l("Month"), lambda r: r.period, "month"),
        Column(_l("Codes issued"), lambda r: r.codes, "count")]),
    "stamps": (_l("Stamps issued per day"), [
        Column(_l("Day"), lambda r: r.period, "day"),
        Column(_l("Stamps issued"), lambda r: r.stamps, "count")]),
    "scans": (_l("Scans per day"), [
        Column(_l("Day"), lambda r: r.period, "day"),
        Column(_l("Scans"), lambda r: r.scans, "count"),
        Column(_l("Scans judged suspected copies"), lambda r: r.copies, "count"),
        Column(_l("Stamps concerned"), lambda r: r.copied_stamps, "count")]),
    "copies": (_l("Latest stamps scanned as suspected copies"), [
        Column(_l("Stamp"), lambda r: format_code(r.stamp_id), "code",
               link=lambda r: url_for("batches.detail", side="gis", batch_id=r.batch_id)),
        Column(_l("Product"), lambda r: r.product),
        Column(_l("Lot"), lambda r: r.lot_code, "code"),
        Column(_l("Organisation"), lambda r: r.organization),
        Column(_l("Suspected-copy scans"), lambda r: r.copies, "count"),
        Column(_l("Link previews (shares)"), lambda r: r.shares, "count"),
        Column(_l("First seen"), lambda r: r.first_at, "time"),
        Column(_l("Last seen"), lambda r: r.last_at, "time")]),
    "reports": (_l("Open reports from consumers"), [
        Column(_l("What is wrong"), lambda r: REASONS[ReportReason(r.reason)]),
        Column(_l("New"), lambda r: r.new, "count", _reports_link(ReportStatus.NEW)),
        Column(_l("In review"), lambda r: r.in_review, "count",
               _reports_link(ReportStatus.IN_REVIEW)),
        Column(_l("Open"), lambda r: r.open, "count")]),
}


def _province() -> int | None:
    args = {k: v for k, v in request.args.items() if v != ""}
    try:
        return StatsQuery().load(args)["province"]
    except ValidationError as exc:
        problems = "; ".join(f"{field}: {' '.join(map(str, messages))}"
                             for field, messages in localize(exc.messages).items())
        raise DomainError(_("These statistics cannot be shown: %(problems)s",
                            problems=problems)) from exc


# -- cells ----------------------------------------------------------------------------

def shown(column: Column, row) -> str:
    """A cell as the page shows it, in the user's language."""
    value = column.value(row)
    if column.kind == "count":
        return format_decimal(value)
    if column.kind == "hectares":
        return format_decimal(value, "#,##0.00")
    if column.kind == "day":
        return format_date(value, "EEE d/M/yyyy")
    if column.kind == "month":
        return format_date(value, "MM/yyyy")
    if column.kind == "time":
        return format_datetime(value, "short")
    return str(value)


# Spreadsheets run a cell that starts with one of these as a formula: text from users
# (crop, product and lot names) must not.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def written(column: Column, row) -> Any:
    """A cell as the CSV holds it: plain numbers, ISO dates, times in Vietnam."""
    value = column.value(row)
    if column.kind == "hectares":
        return Decimal(value).quantize(Decimal("0.01"))
    if column.kind == "month":
        return value.strftime("%Y-%m")
    if isinstance(value, datetime):
        return value.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value if column.kind == "count" else str(value)


# -- charts -----------------------------------------------------------------------------

def _bars(rows, label: Callable, value: Callable, title: str, value_label: str,
          color: str = charts.GREEN, decimals: bool = False):
    fmt = (lambda v: format_decimal(v, "#,##0.##")) if decimals else format_decimal
    return charts.bar_chart([(label(r), value(r)) for r in rows[:CHART_ROWS]], title=title,
                            value_label=value_label, fmt=fmt, color=color)


def _columns(rows, value: Callable, title: str, y_label: str, *, monthly: bool = False,
             color: str = charts.GREEN):
    return charts.column_chart(
        [(r.period, value(r)) for r in rows], title=title, y_label=y_label,
        x_label=_("Month") if monthly else _("Day"), fmt=format_decimal, color=color,
        x_format=(lambda d: format_date(d, "MM/yyyy")) if monthly
        else (lambda d: format_date(d, "d/M")), tick_every=4 if monthly else 10)


def _charts(t: dict[str, list]) -> dict:
    return {
        "crops": _bars(t["crops"], lambda r: r.crop, lambda r: r.hectares,
                       _("Hectares by crop"), _("Hectares"), decimals=True),
        "statuses": _bars(t["statuses"], _status_name, lambda r: r.areas,
                          _("Growing areas by status"), _("Areas")),
        "wards": _bars(t["wards"], lambda r: r.ward or _("Not given"), lambda r: r.hectares,
                       _("Hectares by ward or commune"), _("Hectares"), decimals=True),
        "codes": _columns(t["codes"], lambda r: r.codes,
                          _("Growing-area codes issued per month"), _("Codes"), monthly=True),
        "stamps": _columns(t["stamps"], lambda r: r.stamps, _("Stamps issued per day"),
                           _("Stamps")),
        "scans": _columns(t["scans"], lambda r: r.scans, _("Scans per day"), _("Scans")),
        "copies": _columns(t["scans"], lambda r: r.copies,
                           _("Scans judged suspected copies, per day"), _("Scans"),
                           color=COPY_RED),
        "reports": _bars(t["reports"], lambda r: REASONS[ReportReason(r.reason)],
                         lambda r: r.open, _("Open reports by what is wrong"), _("Reports"),
                         color=REPORT_AMBER),
    }


# -- views --------------------------------------------------------------------------------

@bp.get("/gis/stats")
@role_required(*OFFICIALS)
def index():
    actor = current_actor()
    result = statistics.overview(actor, _province())
    province = result.scope.province_code
    return render_template(
        "gis/stats.html", overview=result, tables=result.tables, charts=_charts(result.tables),
        definitions=TABLES, shown=shown, province=province,
        provinces=units.provinces() if actor.role == Role.ADMIN else (),
        csv_args={"province": province} if actor.role == Role.ADMIN and province else {},
        days=statistics.DAYS, months=statistics.MONTHS)


@bp.get("/gis/stats/<table>.csv")
@role_required(*OFFICIALS)
def download(table: str):
    where, rows = statistics.table(current_actor(), table, _province())
    columns = TABLES[table][1]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(c.header) for c in columns])
    writer.writerows([written(c, row) for c in columns] for row in rows)
    # With the byte-order mark, Excel reads the file as UTF-8 (Vietnamese letters).
    body = out.getvalue().encode("utf-8-sig")
    name = f"statistics-{table}-{where.province_code or 'all'}-{where.today.isoformat()}.csv"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store"})
