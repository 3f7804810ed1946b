"""Recall pages: the organisation's inbox (hộp thư), a holder's confirmation of what it
did with its stock of a recalled lot, and a recall's progress for officials and the
organisation that started it. The recall itself starts from a batch's page."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from ..auth import current_actor
from ..errors import Conflict, Invalid
from ..models import Role
from ..schemas.batches import UNITS
from ..schemas.forms import FormSchema
from ..schemas.recalls import ConfirmationIn
from ..services import notices, recalls
from .access import role_required
from .forms import decimal_text, form_errors, form_values

bp = Blueprint("recalls", __name__)
PAGE = 20


class ConfirmForm(ConfirmationIn, FormSchema):
    class Meta(FormSchema.Meta):
        pass


@bp.app_context_processor
def _inbox_badge() -> dict:
    """The navigation's unread count, asked only by pages that show it."""
    return {"inbox_unread": lambda: notices.unread_count(current_actor())}


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


@bp.route("/portal/inbox", methods=["GET"])
@role_required(Role.PRODUCER)
def inbox():
    actor = current_actor()
    page = _page()
    rows, total = notices.list_notices(actor, offset=(page - 1) * PAGE, limit=PAGE)
    lines = recalls.holder_lines(actor, sorted({n.recall_id for n in rows if n.recall_id}))
    return render_template("recalls/inbox.html", notices=rows, total=total, page=page,
                           page_size=PAGE, lines=lines, units=UNITS)


@bp.route("/portal/inbox/<id:notice_id>/read", methods=["POST"])
@role_required(Role.PRODUCER)
def read(notice_id: int):
    notices.mark_read(current_actor(), notice_id)
    return redirect(url_for("recalls.inbox"))


@bp.route("/portal/recall-holders/<id:holder_id>", methods=["GET", "POST"])
@role_required(Role.PRODUCER)
def confirm(holder_id: int):
    """One affected lot of the organisation's stock: what it did with it, once."""
    actor = current_actor()
    errors = {}
    if request.method == "POST":
        values = form_values(trim=True)
        if "quantity" in values:
            values["quantity"] = decimal_text(values["quantity"])
        try:
            data = ConfirmForm().load(values)
            recalls.confirm_recall(actor, holder_id, data["action"], data["quantity"],
                                   data["note"])
        except (ValidationError, Invalid, Conflict) as exc:
            errors = form_errors(exc)
        else:
            flash(_("Thank you: what your organisation did with this stock is recorded."),
                  "success")
            return redirect(url_for("recalls.confirm", holder_id=holder_id))
    line = recalls.get_holder(actor, holder_id)
    return render_template("recalls/confirm.html", line=line, errors=errors,
                           form=request.form, units=UNITS), 400 if errors else 200


@bp.route("/recalls/<id:recall_id>", methods=["GET"])
@role_required(Role.PRODUCER, Role.OFFICIAL, Role.ADMIN)
def detail(recall_id: int):
    progress = recalls.recall_progress(current_actor(), recall_id)
    return render_template("recalls/detail.html", progress=progress, units=UNITS)


@bp.route("/gis/recalls", methods=["GET"])
@role_required(Role.OFFICIAL, Role.ADMIN)
def index():
    page = _page()
    rows, total = recalls.list_recalls(current_actor(), offset=(page - 1) * PAGE, limit=PAGE)
    return render_template("recalls/index.html", rows=rows, total=total, page=page,
                           page_size=PAGE)
