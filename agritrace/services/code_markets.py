"""Export markets of codes: each growing-area or packing-house code's approval, market
by market, from the province's proposal to the importing authority's listing, and its
suspension or revocation.

The officials of the code's province (and administrators) decide; the code's owner
reads. Every step is one transaction with its reason in the audit log.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, lazyload

from .. import permissions
from ..clock import today
from ..countries import is_country
from ..db import session, transaction
from ..errors import Conflict, Invalid, NotFound
from ..models import (CodeMarket, CodeScope, Facility, GrowingArea, MarketState,
                      Organization, User)
from . import audit

Code = GrowingArea | Facility
# Rows listed with their code, outer-joined to both kinds: the codes' owners are loaded
# when asked for, since their eager inner join would drop the rows of the other kind.
WITH_CODES = (lazyload(GrowingArea.organization), lazyload(Facility.organization))
FIELDS = ("state", "reason", "approved_on", "list_reference", "valid_until", "renew_by")
S = MarketState
# action → (the states it starts from, the state it leads to, whether a reason is needed)
STEPS: dict[str, tuple[tuple[MarketState, ...], MarketState, bool]] = {
    "submit": ((S.PROPOSED,), S.SUBMITTED, False),
    "approve": ((S.SUBMITTED,), S.APPROVED, False),
    "suspend": ((S.APPROVED,), S.SUSPENDED, True),
    "reinstate": ((S.SUSPENDED,), S.APPROVED, True),
    "revoke": ((S.PROPOSED, S.SUBMITTED, S.APPROVED, S.SUSPENDED), S.REVOKED, True),
    "renew": ((S.APPROVED, S.SUSPENDED), None, False),
}
ACTIONS = tuple(STEPS)


# --- finding codes ---------------------------------------------------------------------

def find_code(s: Session, code: str) -> Code:
    """The growing area or packing house that holds `code` (as issued, any case)."""
    text = (code or "").strip().upper()
    found = s.scalar(select(GrowingArea).where(GrowingArea.code == text)) if text else None
    found = found or (s.scalar(select(Facility).where(Facility.code == text)) if text else None)
    if found is None:
        raise NotFound(_("No growing area or packing house has the code %(code)s.",
                         code=text or "—"), {"code": [_("Unknown code.")]})
    return found


def code_of(s: Session, row) -> Code:
    """The area or facility a code_markets or inspections row is about."""
    return s.get(GrowingArea, row.area_id) if row.area_id else s.get(Facility, row.facility_id)


def owner_of(s: Session, code: Code) -> Organization:
    return s.get(Organization, code.organization_id)


def _key(code: Code) -> dict:
    return {"area_id": code.id} if isinstance(code, GrowingArea) else {"facility_id": code.id}


# --- reading ------------------------------------------------------------------------

def visible(actor: User):
    """A WHERE clause on code_markets (or inspections) joined to their codes: the rows
    whose code the actor may read."""
    area_ok = permissions.owner_filter(actor, GrowingArea.organization_id,
                                       GrowingArea.province_code)
    house_ok = permissions.owner_filter(actor, Facility.organization_id, Facility.province_code)
    return or_(area_ok & GrowingArea.id.is_not(None), house_ok & Facility.id.is_not(None))


def list_code_markets(actor: User | None, *, market: str | None = None,
                      state: MarketState | None = None, code: str | None = None,
                      offset: int = 0, limit: int = 50) -> tuple[list[tuple], int]:
    """(CodeMarket, code) pairs the actor may read, by code then market."""
    user = permissions.require_login(actor)
    query = (select(CodeMarket, GrowingArea, Facility).options(*WITH_CODES)
             .outerjoin(GrowingArea, GrowingArea.id == CodeMarket.area_id)
             .outerjoin(Facility, Facility.id == CodeMarket.facility_id)
             .where(visible(user)))
    if market:
        query = query.where(CodeMarket.market == market)
    if state:
        query = query.where(CodeMarket.state == state)
    if code:
        query = query.where(func.coalesce(GrowingArea.code, Facility.code) == code.strip().upper())
    s = session()
    total = s.scalar(select(func.count()).select_from(query.subquery()))
    rows = s.execute(query.order_by(func.coalesce(GrowingArea.code, Facility.code),
                                    CodeMarket.market).offset(offset).limit(limit))
    return [(row, area or house) for row, area, house in rows], total


def get_code_market(actor: User | None, code_market_id: int) -> tuple[CodeMarket, Code]:
    s = session()
    row = s.get(CodeMarket, code_market_id)
    if row is None:
        permissions.require_login(actor)
        raise NotFound(_("Not found."))
    code = code_of(s, row)
    permissions.check(actor, "area", code)
    return row, code


# --- deciding -------------------------------------------------------------------------

def set_scope(actor: User | None, code: str, scope: CodeScope | str) -> Code:
    """Classify a code as domestic or export. A code with markets not revoked cannot
    become domestic: revoke them first."""
    user = permissions.require_write(actor)
    with transaction() as s:
        found = find_code(s, code)
        permissions.check(user, "area.review", found, write=True)
        scope = CodeScope(scope)
        if scope == CodeScope.DOMESTIC and s.scalar(select(func.count()).select_from(
                CodeMarket).where(*_where(found), CodeMarket.state != MarketState.REVOKED)):
            raise Conflict(_("Code %(code)s is approved or proposed for export markets; "
                             "revoke them before making it a domestic code.", code=found.code),
                           {"scope": [_("Export markets are still open.")]})
        before = {"code_scope": found.code_scope}
        found.code_scope = scope
        s.flush()
        audit.record(s, user, _entity(found), found.id, "scope", before,
                     {"code_scope": scope})
    return found


def propose(actor: User | None, code: str, market: str, reason: str | None = None
            ) -> CodeMarket:
    """The province proposes a code for an importing market: the code becomes an
    export code. A code revoked for the market may be proposed again."""
    user = permissions.require_write(actor)
    market = (market or "").strip().upper()
    if not is_country(market):
        raise Invalid(_("Give the importing country as its two-letter ISO code, e.g. CN."),
                      {"market": [_("Not a country code.")]})
    with transaction() as s:
        found = find_code(s, code)
        permissions.check(user, "area.review", found, write=True)
        if not found.code:
            raise Invalid(_("%(name)s has no code yet.", name=found.name), {"code": [_("No code.")]})
        row = s.scalar(select(CodeMarket).where(*_where(found), CodeMarket.market == market)
                       .with_for_update())
        if row is not None and row.state != MarketState.REVOKED:
            raise Conflict(_("Code %(code)s is already %(state)s for %(market)s.",
                             code=found.code, state=_(row.state.value), market=market),
                           {"market": [_("Already on the way.")]})
        before = audit.snapshot(row, FIELDS) if row else None
        if row is None:
            row = CodeMarket(market=market, **_key(found))
            s.add(row)
        row.state, row.reason, row.updated_by = MarketState.PROPOSED, _clean(reason), user.id
        row.approved_on = row.list_reference = row.valid_until = row.renew_by = None
        row.reminded_for = None
        found.code_scope = CodeScope.EXPORT
        s.flush()
        audit.record(s, user, "code_market", row.id, "propose", before,
                     {**audit.snapshot(row, FIELDS), "code": found.code, "market": market})
    return row


def decide(actor: User | None, code_market_id: int, action: str, data: dict) -> CodeMarket:
    """One step of a code's approval for a market (STEPS): submit, approve (with the
    date and list reference), suspend, reinstate or revoke (with a reason), renew (a
    new validity and renewal date)."""
    user = permissions.require_write(actor)
    with transaction() as s:
        row = s.get(CodeMarket, code_market_id, with_for_update=True)
        if row is None:
            raise NotFound(_("Not found."))
        code = code_of(s, row)
        permissions.check(user, "area.review", code, write=True)
        apply_step(s, user, row, code, action, data)
    return row


def apply_step(s: Session, user: User, row: CodeMarket, code: Code, action: str, data: dict,
               inspection_id: int | None = None) -> None:
    """Move `row` by `action` inside the caller's transaction, or raise with nothing
    changed (inspections call this for their outcome)."""
    if action not in STEPS:
        raise Invalid(_("Choose one of: %(actions)s.", actions=", ".join(ACTIONS)),
                      {"action": [_("Unknown action.")]})
    starts, goal, needs_reason = STEPS[action]
    reason = _clean(data.get("reason"))
    if row.state not in starts:
        raise Conflict(_refusal(action, row, code), {"action": [_("Not possible now.")]})
    if needs_reason and not reason:
        raise Invalid(_("Say why (the reason is kept in the record of the code)."),
                      {"reason": [_("Required.")]})
    before = audit.snapshot(row, FIELDS)
    if action == "approve":
        _approval(row, data)
    if action in ("approve", "renew"):
        _validity(row, data)
    if goal is not None:
        row.state = goal
    # A renewal keeps the reason of the step that led to the state unless given one.
    row.reason = (reason or row.reason) if action == "renew" else reason
    row.updated_by = user.id
    s.flush()
    audit.record(s, user, "code_market", row.id, action, before,
                 {**audit.snapshot(row, FIELDS), "code": code.code, "market": row.market,
                  **({"inspection_id": inspection_id} if inspection_id else {})})


def _approval(row: CodeMarket, data: dict) -> None:
    approved_on, reference = data.get("approved_on"), _clean(data.get("list_reference"))
    errors = {}
    if approved_on is None:
        errors["approved_on"] = [_("Give the date of the importing authority's approval.")]
    elif approved_on > today():
        errors["approved_on"] = [_("In the future.")]
    if not reference:
        errors["list_reference"] = [_("Give the reference of the importing authority's list.")]
    if errors:
        raise Invalid(_("An approval needs its date (not in the future) and the reference of "
                        "the list it appears on."), errors)
    row.approved_on, row.list_reference = approved_on, reference[:120]


def _validity(row: CodeMarket, data: dict) -> None:
    valid_until, renew_by = data.get("valid_until"), data.get("renew_by")
    if valid_until is not None and row.approved_on and valid_until < row.approved_on:
        raise Invalid(_("The approval cannot end before it was given."),
                      {"valid_until": [_("Before the approval date.")]})
    if renew_by is not None and valid_until is not None and renew_by > valid_until:
        raise Invalid(_("The renewal date must come before the end of the validity."),
                      {"renew_by": [_("After the end of the validity.")]})
    if "valid_until" in data:
        row.valid_until = valid_until
    if "renew_by" in data:
        row.renew_by = renew_by
    row.reminded_for = None


def _refusal(action: str, row: CodeMarket, code: Code) -> str:
    words = {"code": code.code, "market": row.market, "state": _(row.state.value)}
    if action == "approve":
        return _("Code %(code)s has not been submitted to %(market)s (it is %(state)s): "
                 "submit it before recording the approval.", **words)
    return _("Code %(code)s is %(state)s for %(market)s; this step is not possible now.",
             **words)


def _where(code: Code) -> tuple:
    if isinstance(code, GrowingArea):
        return (CodeMarket.area_id == code.id,)
    return (CodeMarket.facility_id == code.id,)


def _entity(code: Code) -> str:
    return "area" if isinstance(code, GrowingArea) else "facility"


def _clean(text: str | None) -> str | None:
    return (text or "").strip() or None


def renewal_date(row: CodeMarket) -> date | None:
    return row.renew_by or row.valid_until
