"""How to rotate the platform's keys: a page for the administrators who run it."""
from __future__ import annotations

from flask import Blueprint, render_template

from ..models import Role
from .access import role_required

bp = Blueprint("keys", __name__, url_prefix="/admin")


@bp.get("/keys")
@role_required(Role.ADMIN)
def index():
    return render_template("admin/keys.html")
