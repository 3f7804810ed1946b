"""Users, passwords and API tokens."""
from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from flask_babel import gettext as _
from sqlalchemy import select

from .. import permissions, units
from ..db import session, transaction
from ..errors import Conflict, Invalid
from ..models import ApiToken, Organization, Role, TokenScope, User
from . import audit
from .clock import now

_hasher = PasswordHasher()
TOKEN_PREFIX = "agt_"
MIN_PASSWORD = 10


@cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so that both paths cost the same."""
    return _hasher.hash(secrets.token_urlsafe(16))


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(_("The password must have at least %(n)d characters.", n=MIN_PASSWORD),
                      {"password": [_("Too short.")]})
    if password.isdigit() or password.isalpha():
        raise Invalid(_("The password must mix letters with digits or symbols."),
                      {"password": [_("Too simple.")]})


def create_user(actor: User | None, *, email: str, password: str, full_name: str, role: Role,
                organization_id: int | None = None, province_code: int | None = None,
                system: bool = False) -> User:
    """Create an account. Only an admin may (or the CLI, with system=True)."""
    if not system:
        permissions.require_role(actor, Role.ADMIN)
    email = email.strip().lower()
    check_password_rules(password)
    if role == Role.PRODUCER and organization_id is None:
        raise Invalid(_("A producer account belongs to an organisation."))
    if role == Role.OFFICIAL and (province_code is None or not units.is_province(province_code)):
        raise Invalid(_("An official account needs a valid province."))
    with transaction() as s:
        if s.scalar(select(User.id).where(User.email == email)):
            raise Conflict(_("An account with e-mail %(email)s already exists.", email=email))
        if organization_id is not None and s.get(Organization, organization_id) is None:
            raise Invalid(_("Organisation %(id)s does not exist.", id=organization_id))
        user = User(email=email, password_hash=_hasher.hash(password), full_name=full_name,
                    role=role, organization_id=organization_id if role == Role.PRODUCER else None,
                    province_code=province_code if role == Role.OFFICIAL else None)
        s.add(user)
        s.flush()
        audit.record(s, actor, "user", user.id, "create",
                     after={"email": email, "role": role, "organization_id": organization_id,
                            "province_code": province_code})
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (same cost either way)."""
    s = session()
    user = s.scalar(select(User).where(User.email == email.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerifyMismatchError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    with transaction() as s:
        user.last_login_at = now()
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
    return user


def load_user(user_id: int) -> User | None:
    user = session().get(User, user_id)
    return user if user is not None and user.active else None


def _digest(token: str) -> str:
    # Tokens carry 256 random bits, so a fast digest is enough to store them safely.
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(actor: User | None, *, name: str, scope: TokenScope) -> tuple[ApiToken, str]:
    """A new token for the actor; the secret is returned once and never stored."""
    user = permissions.require_write(actor)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction() as s:
        token = ApiToken(user_id=user.id, name=name, token_hash=_digest(secret),
                         prefix=secret[:12], scope=scope)
        s.add(token)
        s.flush()
        audit.record(s, actor, "api_token", token.id, "create", after={"name": name,
                                                                       "scope": scope})
    return token, secret


def list_tokens(actor: User | None) -> list[ApiToken]:
    user = permissions.require_login(actor)
    return list(session().scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                  .order_by(ApiToken.id)))


def revoke_token(actor: User | None, token_id: int) -> ApiToken:
    with transaction() as s:
        token = permissions.fetch(s, actor, ApiToken, token_id, "token", write=True, lock=True)
        if token.revoked_at is None:
            token.revoked_at = now()
            audit.record(s, actor, "api_token", token.id, "revoke")
    return token


def user_for_token(secret: str) -> User | None:
    """The user behind a bearer token (with its scope attached), or None."""
    s = session()
    token = s.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    if token.expires_at is not None and token.expires_at <= now():
        return None
    user = token.user
    user.token_scope = token.scope
    return user
