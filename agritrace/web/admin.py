"""Administration: accounts."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select

from .. import units
from ..auth import current_actor
from ..db import session
from ..errors import DomainError
from ..models import Organization, Role, User
from ..schemas.messages import localize
from ..schemas.forms import UserForm
from ..services import accounts
from .access import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def index():
    errors = {}
    if request.method == "POST":
        values = {k: v for k, v in request.form.to_dict().items() if v != ""}
        try:
            data = UserForm().load(values)
            accounts.create_user(current_actor(), **data)
        except ValidationError as exc:
            errors = localize(exc.messages)
        except DomainError as exc:
            errors = exc.errors or {"_": [exc.detail]}
        else:
            flash(_("Account %(email)s created.", email=data["email"]), "success")
            return redirect(url_for("admin.index"))
    s = session()
    users = s.scalars(select(User).order_by(User.role, User.email).limit(500)).all()
    orgs = s.scalars(select(Organization).order_by(Organization.name)).all()
    return render_template("admin/index.html", users=users, orgs=orgs, errors=errors,
                           provinces=units.provinces(), roles=list(Role),
                           form=request.form), 400 if errors else 200
