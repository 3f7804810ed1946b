"""Public pages: home, login/logout, language, health."""
from __future__ import annotations

from flask import (Blueprint, current_app, flash, jsonify, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_login import LoginManager, login_user, logout_user
from marshmallow import ValidationError
from sqlalchemy import text

from .. import db, units
from ..auth import client_ip
from ..errors import DomainError
from ..models import OrgKind
from ..schemas.organizations import RegistrationIn
from ..services import organizations
from ..schemas.forms import LoginForm
from ..services import accounts, scans
from .forms import form_errors, form_values
from .safety import safe_next

bp = Blueprint("public", __name__)


def init_login(manager: LoginManager) -> None:
    manager.login_view = "public.login"
    manager.login_message = None
    manager.user_loader(lambda user_id: accounts.load_user(int(user_id)))


@bp.get("/")
def index():
    return render_template("public/index.html")


@bp.route("/login", methods=["GET", "POST"])
def login():
    errors = {}
    if request.method == "POST":
        try:
            form = LoginForm().load(request.form.to_dict())
        except ValidationError as exc:
            errors = form_errors(exc)
        else:
            try:
                user = accounts.authenticate(form["email"], form["password"],
                                             scans.client(client_ip()).hash)
            except accounts.LoginRefused as exc:
                return render_template("public/login.html", errors={"_": [exc.detail]},
                                       email=request.form.get("email", "")), \
                    429, {"Retry-After": str(exc.retry_after)}
            if user is not None:
                session.permanent = True  # so that SESSION_HOURS limits the login
                login_user(user)
                flash(_("Welcome, %(name)s.", name=user.full_name), "success")
                return redirect(safe_next(request.args.get("next")) or _home_for(user))
            errors = {"_": [_("Wrong e-mail or password.")]}
    return render_template("public/login.html", errors=errors,
                           email=request.form.get("email", "")), 400 if errors else 200


ORG_FIELDS = ("kind", "name", "tax_code", "address", "phone", "province_code", "ward_code")
ACCOUNT_FIELDS = ("full_name", "email", "password")


@bp.route("/register", methods=["GET", "POST"])
def register():
    """An organisation of any kind but an agency (cooperative, household, trader, packing
    house, exporter…) registers itself and its first login."""
    errors = {}
    if request.method == "POST":
        form = form_values()
        body = {"organization": {k: form[k] for k in ORG_FIELDS if k in form},
                "account": {k: form[k] for k in ACCOUNT_FIELDS if k in form}}
        try:
            data = RegistrationIn().load(body)
            org, user = organizations.self_register(data["organization"], data["account"])
        except (ValidationError, DomainError) as exc:
            errors = form_errors(exc)
        else:
            session.permanent = True
            login_user(user)
            flash(_("%(name)s is registered and waits for the review of %(province)s's "
                    "agriculture department.", name=org.name,
                    province=units.province_name(org.province_code)), "success")
            return redirect(url_for("portal.index"))
    return render_template("public/register.html", errors=errors, form=request.form,
                           provinces=units.provinces(),
                           kinds=[k for k in OrgKind if k != OrgKind.AGENCY]), \
        422 if errors else 200


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("public.index"))


def _home_for(user) -> str:
    return {"admin": url_for("admin.index"), "official": url_for("gis.index")}.get(
        user.role.value, url_for("portal.index"))


@bp.get("/healthz")
def healthz():
    """Database status, PostGIS version and migration revision, for monitors."""
    try:
        s = db.session()
        postgis = s.scalar(text("SELECT postgis_lib_version()"))
        revision = s.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception as exc:  # report, don't raise: monitors need the JSON
        current_app.logger.error("health check failed: %s", exc)
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok", postgis=postgis, migration=revision)
