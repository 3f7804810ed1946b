"""Your account: profile, password and API tokens."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import EXCLUDE, ValidationError, fields, validate

from ..auth import current_actor
from ..errors import DomainError
from ..models import Role
from ..schemas.accounts import TokenIn
from ..schemas.forms import FormSchema
from ..services import accounts
from .access import role_required
from .forms import form_errors

bp = Blueprint("account", __name__, url_prefix="/account")


class PasswordForm(FormSchema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=200))


@bp.route("/", methods=["GET", "POST"])
@role_required(*Role)
def index():
    actor = current_actor()
    errors, secret = {}, None
    if request.method == "POST":
        try:
            data = TokenIn(unknown=EXCLUDE).load(request.form.to_dict())
            token, secret = accounts.create_token(actor, **data)
        except (ValidationError, DomainError) as exc:
            errors = form_errors(exc)
    return render_template("account/index.html", user=actor, errors=errors, secret=secret,
                           tokens=accounts.list_tokens(actor)), 400 if errors else 200


@bp.post("/password")
@role_required(*Role)
def password():
    actor = current_actor()
    try:
        data = PasswordForm().load(request.form.to_dict())
        accounts.change_password(actor, data["current_password"], data["new_password"])
    except (ValidationError, DomainError) as exc:
        errors = form_errors(exc)
    else:
        flash(_("Your password is changed."), "success")
        return redirect(url_for("account.index"))
    return render_template("account/index.html", user=actor, errors={}, secret=None,
                           password_errors=errors, tokens=accounts.list_tokens(actor)), 422


@bp.post("/tokens/<id:token_id>/revoke")
@role_required(*Role)
def revoke(token_id: int):
    token = accounts.revoke_token(current_actor(), token_id)
    flash(_("Token %(name)s revoked.", name=token.name), "success")
    return redirect(url_for("account.index"))
