"""The platform inbox (hộp thư): notices to an organisation, read by any of its
accounts. Unread notices come first; reading one marks it read for the whole
organisation, since whoever reads it acts for it."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import permissions
from ..clock import now
from ..db import session, transaction
from ..errors import NotFound
from ..models import Notice, User


def list_notices(actor: User | None, *, offset: int = 0,
                 limit: int = 20) -> tuple[list[Notice], int]:
    """The actor's organisation's notices, unread first, newest first within each.
    Accounts of no organisation (officials, administrators) have none."""
    user = permissions.require_login(actor)
    if user.organization_id is None:
        return [], 0
    s = session()
    mine = Notice.organization_id == user.organization_id
    total = s.scalar(select(func.count()).select_from(Notice).where(mine))
    rows = s.scalars(select(Notice).where(mine)
                     .order_by(Notice.read_at.is_not(None), Notice.created_at.desc(),
                               Notice.id.desc())
                     .offset(offset).limit(limit))
    return list(rows), total


def unread_count(actor: User | None) -> int:
    if actor is None or actor.organization_id is None:
        return 0
    return session().scalar(select(func.count()).select_from(Notice).where(
        Notice.organization_id == actor.organization_id, Notice.read_at.is_(None)))


def mark_read(actor: User | None, notice_id: int) -> Notice:
    """Mark one of the organisation's notices read (again: no change)."""
    user = permissions.require_write(actor)
    with transaction() as s:
        notice = s.get(Notice, notice_id, with_for_update=True)
        if notice is None or user.organization_id is None \
                or notice.organization_id != user.organization_id:
            raise NotFound(_("Not found."))
        if notice.read_at is None:
            notice.read_at = now()
    return notice
