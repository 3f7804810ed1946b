"""Users, passwords and API tokens."""
from __future__ import annotations

import hashlib
import math
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import permissions, units
from ..clock import now
from ..db import session, transaction
from ..errors import Conflict, DomainError, Invalid
from ..models import ApiToken, Organization, Role, TokenScope, User
from . import audit, rate_limits

_hasher = PasswordHasher()
TOKEN_PREFIX = "agt_"
MIN_PASSWORD = 12


@cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so that both paths cost the same."""
    return _hasher.hash(secrets.token_urlsafe(16))


# Words people build passwords around; with digits and symbols stripped, a password
# that is one of them (or the account's e-mail) is among the first an attacker tries.
COMMON_WORDS = frozenset("""
    password passw0rd passwd matkhau matkhaucuatoi admin administrator root user login
    welcome letmein iloveyou anhyeuem emyeuanh qwerty qwertyuiop asdfgh asdfghjkl zxcvbn
    zxcvbnm abc abcd abcdef abcdefgh abcdefghijkl dragon monkey football baseball
    sunshine princess master shadow superman trustno vietnam hanoi saigon hochiminh
    agritrace changeme secret default test guest
""".split())


def check_password_rules(password: str, email: str | None = None) -> None:
    """A password someone could not guess from the account or from a list: at least
    MIN_PASSWORD characters, letters with digits or symbols, not built on the e-mail
    or a common word."""
    if len(password) < MIN_PASSWORD:
        raise Invalid(_("The password must have at least %(n)d characters.", n=MIN_PASSWORD),
                      {"password": [_("Too short: use at least %(n)d characters.",
                                      n=MIN_PASSWORD)]})
    if password.isdigit() or password.isalpha():
        raise Invalid(_("The password must mix letters with digits or symbols."),
                      {"password": [_("Too simple: mix letters with digits or symbols.")]})
    lowered = password.lower()
    letters = "".join(c for c in lowered if c.isalpha())
    if email:
        email = email.strip().lower()
        local = email.split("@", 1)[0]
        local_letters = "".join(c for c in local if c.isalpha())
        if email in lowered or lowered == local or (len(local_letters) >= 4
                                                    and letters == local_letters):
            raise Invalid(_("The password must not be built on your e-mail address."),
                          {"password": [_("Too close to the e-mail address.")]})
    if letters in COMMON_WORDS or lowered in COMMON_WORDS:
        raise Invalid(_("This password is among the first ones guessed: choose words of "
                        "your own."), {"password": [_("Too common.")]})


def create_user(actor: User | None, *, email: str, password: str, full_name: str, role: Role,
                organization_id: int | None = None, province_code: int | None = None,
                system: bool = False) -> User:
    """Create an account. Only an admin may (or the CLI, with system=True)."""
    if not system:
        permissions.require_role(actor, Role.ADMIN)
    email = email.strip().lower()
    check_password_rules(password, email)
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


def list_users(actor: User | None, *, offset: int = 0,
               limit: int = 500) -> tuple[list[User], int]:
    """Accounts by role and e-mail, for an admin only."""
    permissions.require_role(actor, Role.ADMIN)
    s = session()
    total = s.scalar(select(func.count()).select_from(User))
    rows = s.scalars(select(User).order_by(User.role, User.email).offset(offset).limit(limit))
    return list(rows), total


class LoginRefused(DomainError):
    """Too many failed logins for an account, or from one client, in a window."""
    status = 429

    def __init__(self, retry_after: int):
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(_("Too many failed logins. For your safety, logging in is paused: "
                           "please wait %(n)s minutes and try again.", n=minutes))
        self.retry_after = retry_after


def _login_key(email: str) -> str:
    # A fixed-length key: buckets hold at most 100 characters, e-mails up to 254.
    return hashlib.sha256(email.encode()).hexdigest()


def authenticate(email: str, password: str, client: str | None = None) -> User | None:
    """The active user with this e-mail and password, or None (same cost either way).

    Every attempt is counted against the account and against `client` (the scan
    page's daily client hash) before the password is checked; over either limit it
    raises LoginRefused without checking it. A success clears the account's count and
    takes itself off the client's, so only failures add up."""
    email = email.strip().lower()
    with transaction() as s:
        refused = rate_limits.hit(s, "login", _login_key(email))
        if client:
            refused = rate_limits.hit(s, "login_client", client) or refused
    if refused is not None:
        # Logged, not audited: a hammering client would flood the audit log.
        current_app.logger.warning("login refused for %s (retry in %ss)", email,
                                   refused.retry_after)
        raise LoginRefused(refused.retry_after)
    s = session()
    user = s.scalar(select(User).where(User.email == email))
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
        valid = user is not None and user.active
    except (VerifyMismatchError, InvalidHashError):
        valid = False
    with transaction() as s:
        if not valid:
            if user is not None:
                audit.record(s, None, "user", user.id, "login_failed",
                             after={"client": client})
            return None
        rate_limits.forget(s, "login", _login_key(email))
        if client:
            rate_limits.give_back(s, "login_client", client)
        user.last_login_at = now()
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
    return user


def change_password(actor: User | None, current: str, new: str) -> User:
    """The actor sets a new password after proving the current one."""
    user = permissions.require_login(actor)
    try:
        _hasher.verify(user.password_hash, current)
    except (VerifyMismatchError, InvalidHashError):
        raise Invalid(_("The current password is wrong."),
                      {"current_password": [_("Wrong password.")]})
    if new == current:
        raise Invalid(_("The new password must differ from the current one."),
                      {"new_password": [_("Same as the current password.")]})
    try:
        check_password_rules(new, user.email)
    except Invalid as exc:
        raise Invalid(exc.detail, {"new_password": exc.errors["password"]})
    with transaction() as s:
        user = s.merge(user)
        user.password_hash = _hasher.hash(new)
        audit.record(s, actor, "user", user.id, "change_password")
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
