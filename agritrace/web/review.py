"""The officials' review (cán bộ Sở Nông nghiệp) of producers' registrations, under /gis:
the queue of organisations waiting, and the decision on each."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from ..auth import current_actor
from ..errors import DomainError
from ..models import OrgStatus, Role
from ..schemas.forms import ReviewForm
from ..services import organizations
from .access import role_required
from .forms import form_errors, one_line

bp = Blueprint("gis", __name__, url_prefix="/gis")


@bp.get("/")
@role_required(Role.OFFICIAL, Role.ADMIN)
def index():
    actor = current_actor()
    pending, _n = organizations.list_organizations(actor, status=OrgStatus.PENDING, limit=100)
    approved, total = organizations.list_organizations(actor, status=OrgStatus.APPROVED,
                                                       limit=100)
    return render_template("gis/index.html", pending=pending, approved=approved, total=total)


@bp.post("/organizations/<id:org_id>/review")
@role_required(Role.OFFICIAL, Role.ADMIN)
def review(org_id: int):
    try:
        form = ReviewForm().load(request.form.to_dict())
        org = organizations.review_organization(current_actor(), org_id,
                                                approve=form["decision"] == "approve",
                                                reason=form["reason"])
    except ValidationError as exc:
        flash(_("The review was not saved: %(e)s", e=one_line(form_errors(exc))), "error")
    except DomainError as exc:
        flash(one_line(form_errors(exc)), "error")
    else:
        flash(_("%(name)s is now %(status)s.", name=org.name, status=_(org.status.value)),
              "success")
    return redirect(url_for("gis.index"))
