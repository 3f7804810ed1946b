"""Signed-in phones of the field app (thiết bị): each user sees and revokes their own
under /account/devices; the administrators see and revoke everyone's under
/admin/devices."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..auth import current_actor
from ..clock import now
from ..models import Role
from ..services import devices
from .access import role_required

bp = Blueprint("devices", __name__)


@bp.get("/account/devices")
@role_required(*Role)
def mine():
    return render_template("devices/index.html", devices=devices.list_devices(current_actor()),
                           admin=False, now=now())


@bp.post("/account/devices/<id:device_id>/revoke")
@role_required(*Role)
def revoke_mine(device_id: int):
    device = devices.revoke_device(current_actor(), device_id)
    flash(_("%(name)s is signed out; what it still holds will be refused.",
            name=device.name), "success")
    return redirect(url_for("devices.mine"), 303)


@bp.get("/admin/devices")
@role_required(Role.ADMIN)
def everyone():
    return render_template("devices/index.html", now=now(), admin=True,
                           devices=devices.list_all_devices(current_actor(), limit=200))


@bp.post("/admin/devices/<id:device_id>/revoke")
@role_required(Role.ADMIN)
def revoke_any(device_id: int):
    device = devices.revoke_device(current_actor(), device_id, any_user=True)
    flash(_("%(name)s is signed out; what it still holds will be refused.",
            name=device.name), "success")
    return redirect(url_for("devices.everyone"), 303)
