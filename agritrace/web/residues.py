"""Residue pages (dư lượng thuốc bảo vệ thực vật): the province's officials upload the
maximum residue limits table (MRL, giới hạn dư lượng tối đa) under /gis/residue-limits
and see the limits in force per market; producers and officials record a lab's results
for a growing area or a lot and see each result's verdict per market. Results repeat a
row per active ingredient, numbered (`results-0-ingredient`); no script needed."""
from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import EXCLUDE, ValidationError

from ..auth import current_actor
from ..errors import Conflict, Invalid
from ..models import AreaStatus, Role
from ..schemas.due_diligence import LimitQuery, MARKET, TestIn
from ..schemas.forms import FormSchema
from ..schemas.messages import localize
from ..services import areas, batches, residue_limits, residue_tests
from .access import role_required, side_routes
from .forms import decimal_text, form_errors, form_values

bp = Blueprint("residues", __name__)
route = side_routes(bp)
STAFF = (Role.PRODUCER, Role.OFFICIAL, Role.ADMIN)
OFFICIALS = (Role.OFFICIAL, Role.ADMIN)
REFUSED = (ValidationError, Invalid, Conflict)
# Viet Nam's own rules and the markets most lots go to.
MARKETS = frozenset({"VN", "CN", "EU", "US", "JP", "KR", "AU", "NZ", "TW", "TH"})
LIMITS_PAGE, TESTS_PAGE, RESULT_ROWS, MAX_ROWS = 100, 20, 6, 200


class LimitArgs(LimitQuery):
    class Meta:
        unknown = EXCLUDE  # ?lang= and ?page= ride along


class TestForm(TestIn, FormSchema):
    class Meta(FormSchema.Meta):
        pass


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def _limits_page(errors: dict | None = None, status: int = 200):
    actor = current_actor()
    try:
        query = LimitArgs().load({k: v for k, v in request.args.items() if v != ""})
    except ValidationError as exc:
        query, errors = {}, {**form_errors(exc), **(errors or {})}
    rows = residue_limits.list_limits(actor, **query)
    page = _page()
    return render_template(
        "residues/limits.html", rows=rows[(page - 1) * LIMITS_PAGE:page * LIMITS_PAGE],
        total=len(rows), markets=sorted({r.market for r in rows}), page=page,
        page_size=LIMITS_PAGE, filters=query, errors=errors or {}), status


@bp.get("/gis/residue-limits")
@role_required(*OFFICIALS)
def limits():
    return _limits_page()


@bp.post("/gis/residue-limits")
@role_required(*OFFICIALS)
def upload_limits():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _limits_page({"file": [_("Choose the CSV file of limits.")]}, 422)
    try:
        rows = residue_limits.upload_limits(current_actor(), upload.read(), upload.filename)
    except REFUSED as exc:
        return _limits_page(form_errors(exc), 422)
    flash(_("%(n)s limits loaded from %(filename)s.", n=rows, filename=upload.filename),
          "success")
    return redirect(url_for("residues.limits"))


@route("/residue-tests", methods=["GET"])
@role_required(*STAFF)
def index(side: str):
    subject = {k: request.args.get(k, type=int) for k in ("batch_id", "area_id")
               if request.args.get(k, type=int)}
    page = _page()
    rows, total = residue_tests.list_tests(current_actor(), **subject,
                                           offset=(page - 1) * TESTS_PAGE, limit=TESTS_PAGE)
    return render_template("residues/index.html", side=side, rows=rows, total=total,
                           page=page, page_size=TESTS_PAGE, subject=subject,
                           pager_args={"side": side, **subject})


def _results() -> list[dict]:
    """The filled result rows, in order; blank rows are skipped."""
    numbers = sorted({int(m.group(1)) for key in request.form
                      if (m := re.fullmatch(r"results-(\d+)-\w+", key))})
    rows = []
    for i in numbers[:MAX_ROWS]:
        row = {name: request.form.get(f"results-{i}-{name}", "").strip()
               for name in ("ingredient", "result_mg_kg")}
        row = {k: decimal_text(v) for k, v in row.items() if v}
        if row:
            rows.append(row)
    return rows


def _refusal(exc) -> dict[str, list[str]]:
    """Messages by input name; a result row's own (`results.2.ingredient`) keep its
    number, as the service names them."""
    if isinstance(exc, ValidationError) and isinstance(exc.messages, dict):
        messages = localize(exc.messages)
        flat = {k: v for k, v in messages.items() if k != "results"}
        rows = messages.get("results")
        if isinstance(rows, dict) and all(isinstance(k, int) for k in rows):
            for i, fields in rows.items():
                for name, said in fields.items():
                    flat[f"results.{i}.{name}"] = said
        elif rows:
            flat["results"] = rows
        return form_errors(ValidationError(flat))
    return form_errors(exc)


@route("/residue-tests/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new(side: str):
    actor = current_actor()
    errors, results, form = {}, [], request.form
    if request.method == "POST":
        results = _results()
        try:
            data = TestForm().load({**form_values(trim=True), "results": results})
            test = residue_tests.record_test(actor, data)
        except REFUSED as exc:
            errors = _refusal(exc)
        else:
            flash(_("The lab's results are recorded."), "success")
            return redirect(url_for("residues.detail", side=side, test_id=test.id))
    else:
        form = {k: request.args.get(k, "") for k in ("batch_id", "area_id")}
    lots, _n = batches.list_batches(actor, limit=100)
    issued, _n = areas.list_areas(actor, status=AreaStatus.ISSUED, limit=200)
    return render_template(
        "residues/new.html", side=side, errors=errors, form=form, lots=lots, areas=issued,
        ingredients=sorted(residue_limits.known_ingredients()),
        rows=min(MAX_ROWS, max(RESULT_ROWS, len(results) + 1))), 422 if errors else 200


@route("/residue-tests/<id:test_id>", methods=["GET"])
@role_required(*STAFF)
def detail(side: str, test_id: int):
    """The test with each result's verdict for every market the limits in force name,
    and for the market asked for (?market=)."""
    actor = current_actor()
    test = residue_tests.get_test(actor, test_id)
    asked = request.args.get("market", "").strip().upper()
    if asked:
        try:
            MARKET(asked)
        except ValidationError:
            abort(400)
    # A producer's list of limits holds the platform's only, not its province's: the
    # usual markets are judged too, and shown where any of them holds a limit.
    markets = sorted({r.market for r in residue_limits.list_limits(actor)} | MARKETS
                     | ({asked} - {""}))
    judged = []
    for market in markets:
        _test, found = residue_tests.judge(actor, test_id, market)
        if market == asked or any(v.mrl_mg_kg is not None for v in found):
            judged.append((market, found, bool(found) and all(v.verdict == "within"
                                                              for v in found)))
    lot = batches.get_batch(actor, test.batch_id) if test.batch_id else None
    area = areas.get_area(actor, test.area_id) if test.area_id else None
    return render_template("residues/test.html", side=side, test=test, judged=judged,
                           asked=asked, lot=lot, area=area)
