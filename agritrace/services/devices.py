"""Phones signed in to the field app (thiết bị): a device token per phone, valid for
FIELD_DEVICE_DAYS from sign-in, that its user and the administrators can see and
revoke. Only the token's SHA-256 digest is stored; the token is shown once."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import permissions
from ..clock import now
from ..db import session, transaction
from ..errors import Forbidden, NotFound, Unauthorized
from ..models import FieldDevice, Role, User
from . import audit

TOKEN_PREFIX = "atd_"
DEFAULT_DAYS = 30


class DeviceRefused(Unauthorized):
    """A device token that cannot be used; `code` tells the phone which case it is."""

    def __init__(self, code: str, detail):
        super().__init__(detail)
        self.code = code


def _digest(token: str) -> str:
    # A token carries 256 random bits, so a fast digest stores it safely.
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in_device(actor: User | None, name: str) -> tuple[FieldDevice, str]:
    """A new device token for the actor's phone; the secret is returned once. Only a
    member of an organisation keeps a field diary, so only they sign a phone in."""
    user = permissions.require_write(actor)
    if user.organization_id is None or user.role != Role.PRODUCER:
        raise Forbidden(_l("The field app is for members of a producing organisation; "
                           "this account has none."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    days = current_app.config.get("FIELD_DEVICE_DAYS", DEFAULT_DAYS)
    with transaction() as s:
        device = FieldDevice(user_id=user.id, organization_id=user.organization_id,
                             name=name, token_hash=_digest(secret), prefix=secret[:12],
                             expires_at=now() + timedelta(days=days))
        s.add(device)
        s.flush()
        audit.record(s, user, "field_device", device.id, "sign_in",
                     after={"name": name, "expires_at": device.expires_at})
    return device, secret


def device_for_token(header: str) -> FieldDevice:
    """The device behind an `Authorization: Device <token>` header, or DeviceRefused
    when the header is missing, unknown, revoked or expired, or when its
    user left the organisation or was deactivated."""
    scheme, _space, secret = (header or "").strip().partition(" ")
    if scheme.lower() != "device" or not secret.strip():
        raise DeviceRefused("device_missing", _l("This phone is not signed in; sign in "
                                                 "to the field app first."))
    s = session()
    device = s.scalar(select(FieldDevice).where(FieldDevice.token_hash ==
                                                _digest(secret.strip())))
    if device is None:
        raise DeviceRefused("device_unknown", _l("This phone's sign-in is not known here; "
                                                 "sign in again."))
    if device.revoked_at is not None:
        raise DeviceRefused("device_revoked", _l(
            "This phone was signed out (revoked) on %(day)s; nothing it sends is "
            "accepted. Sign in again to continue.", day=device.revoked_at.date().isoformat()))
    user = device.user
    if device.expires_at <= now() or not user.active \
            or user.organization_id != device.organization_id:
        raise DeviceRefused("device_expired", _l("This phone's sign-in has expired; sign in "
                                                 "again to send what it holds."))
    return device


def note_use(device: FieldDevice) -> None:
    """Note when the phone was last heard from, in the caller's transaction: only with
    what it brought in, so that a refused request writes nothing at all."""
    device.last_seen_at = now()


def list_devices(actor: User | None) -> list[FieldDevice]:
    """The actor's own phones, newest first."""
    user = permissions.require_login(actor)
    return list(session().scalars(select(FieldDevice).where(FieldDevice.user_id == user.id)
                                  .order_by(FieldDevice.id.desc())))


def list_all_devices(actor: User | None, *, offset: int = 0,
                     limit: int = 50) -> list[FieldDevice]:
    """Every signed-in phone, for the administrators, newest first."""
    permissions.require_role(actor, Role.ADMIN)
    return list(session().scalars(select(FieldDevice).order_by(FieldDevice.id.desc())
                                  .offset(offset).limit(limit)))


def revoke_device(actor: User | None, device_id: int, *,
                  any_user: bool = False) -> FieldDevice:
    """Sign a phone out: its user, or (with `any_user`, the administrators' page) an
    administrator. What the phone still holds is refused from then on."""
    user = permissions.require_write(actor)
    with transaction() as s:
        device = s.get(FieldDevice, device_id, with_for_update={"of": FieldDevice})
        allowed = device is not None and (device.user_id == user.id or (
            any_user and user.role == Role.ADMIN))
        if not allowed:
            raise NotFound(_("Not found."))
        if device.revoked_at is None:
            device.revoked_at, device.revoked_by = now(), user.id
            s.flush()
            audit.record(s, user, "field_device", device.id, "revoke",
                         after={"name": device.name})
    return device
