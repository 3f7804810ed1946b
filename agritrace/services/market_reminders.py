"""Renewal reminders (nhắc gia hạn) for codes' export-market approvals.

Thirty days before a market approval must be renewed (its renewal date, else the end
of its validity) the code's owner gets a notice in its inbox and an e-mail, and the
officials of the code's province an e-mail; the officials' markets page lists the same
renewals. The worker loop calls this between its other jobs; each approval is reminded
once per renewal date, so a new date brings a new reminder and a second run none.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, func, select

from .. import permissions
from ..clock import today
from ..countries import country_name
from ..db import session, transaction
from ..models import (CodeMarket, Facility, GrowingArea, MarketState, Notice, Organization,
                      OutboxMessage, Role, User)
from . import audit, code_markets

DAYS_AHEAD = 30
LIVE = (MarketState.APPROVED, MarketState.SUSPENDED)


def renewal_due():
    """The condition of an approval whose reminder is due and not yet sent."""
    day = func.coalesce(CodeMarket.renew_by, CodeMarket.valid_until)
    return (CodeMarket.state.in_(LIVE) & day.is_not(None)
            & (day <= today() + timedelta(days=DAYS_AHEAD))
            & CodeMarket.reminded_for.is_distinct_from(day))


def send_renewal_reminders(limit: int = 500) -> int:
    """Write the due reminders (notices and outbox e-mail) in one transaction; return
    how many approvals were reminded."""
    with transaction() as s:
        rows = list(s.scalars(select(CodeMarket).where(renewal_due()).order_by(CodeMarket.id)
                              .limit(limit).with_for_update(skip_locked=True)))
        for row in rows:
            code = code_markets.code_of(s, row)
            owner = s.get(Organization, code.organization_id)
            subject, body = _wording(row, code, owner)
            notice = Notice(organization_id=owner.id, kind="renewal", subject=subject, body=body)
            s.add(notice)
            s.flush()
            for email in _recipients(s, owner, code.province_code):
                s.add(OutboxMessage(recipient=email, subject=subject, body=body,
                                    notice_id=notice.id))
            row.reminded_for = code_markets.renewal_date(row)
            audit.record(s, None, "code_market", row.id, "reminded", None,
                         {"renewal_date": row.reminded_for, "notice_id": notice.id})
    return len(rows)


def _recipients(s, owner: Organization, province_code: int) -> list[str]:
    """The owner's active accounts and address, and the province's active officials."""
    found = set(s.scalars(select(User.email).where(
        User.active, ((User.organization_id == owner.id) & (User.role == Role.PRODUCER))
        | ((User.role == Role.OFFICIAL) & (User.province_code == province_code)))))
    if (owner.email or "").strip():
        found.add(owner.email.strip().lower())
    return sorted(found)


def _wording(row: CodeMarket, code, owner: Organization) -> tuple[str, str]:
    """Subject and body, Vietnamese then English: the worker answers no request."""
    said = {}
    page = current_app.config["PUBLIC_BASE_URL"] + "/gis/markets"
    for locale in ("vi", "en"):
        with force_locale(locale):
            words = {"code": code.code, "market": country_name(row.market, locale),
                     "date": code_markets.renewal_date(row).isoformat(), "org": owner.name}
            said[locale] = (
                _("Renew code %(code)s for %(market)s by %(date)s", **words),
                _("The approval of code %(code)s (%(org)s) for %(market)s must be renewed by "
                  "%(date)s. Send the renewal file to the province's plant protection office; "
                  "officials follow it at %(url)s", url=page, **words))
    subject = f"{said['vi'][0]} / {said['en'][0]}"[:300]
    return subject, f"{said['vi'][1]}\n\n---\n\n{said['en'][1]}"


def upcoming_renewals(actor, limit: int = 100) -> list[tuple]:
    """(CodeMarket, code) pairs the actor may read whose renewal date is within the
    reminder period or past, soonest first: the officials' list of reminders."""
    user = permissions.require_login(actor)
    day = func.coalesce(CodeMarket.renew_by, CodeMarket.valid_until)
    rows = session().execute(
        select(CodeMarket, GrowingArea, Facility).options(*code_markets.WITH_CODES)
        .outerjoin(GrowingArea, GrowingArea.id == CodeMarket.area_id)
        .outerjoin(Facility, Facility.id == CodeMarket.facility_id)
        .where(and_(code_markets.visible(user), CodeMarket.state.in_(LIVE),
                    day <= today() + timedelta(days=DAYS_AHEAD)))
        .order_by(day, CodeMarket.id).limit(limit))
    return [(row, area or house) for row, area, house in rows]
