"""Administration: accounts."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from .. import units
from ..auth import current_actor
from ..errors import DomainError
from ..models import Role
from ..schemas.forms import UserForm
from ..services import accounts, organizations
from .access import role_required
from .forms import form_errors, form_values

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def index():
    errors = {}
    if request.method == "POST":
        try:
            data = UserForm().load(form_values())
            accounts.create_user(current_actor(), **data)
        except (ValidationError, DomainError) as exc:
            errors = form_errors(exc)
        else:
            flash(_("Account %(email)s created.", email=data["email"]), "success")
            return redirect(url_for("admin.index"))
    users = accounts.list_users(current_actor())[0]
    orgs = organizations.list_organizations(current_actor(), limit=None)[0]
    return render_template("admin/index.html", users=users, orgs=orgs, errors=errors,
                           provinces=units.provinces(), roles=list(Role),
                           form=request.form), 400 if errors else 200
