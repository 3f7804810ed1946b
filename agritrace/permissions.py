"""Who may do what: the one place every service function asks.

A producer reads and writes only its organisation's rows; an official only rows
in its province; an admin everything. What an actor may not even read is
reported as not found, so that ids of other organisations cannot be probed.
"""
from __future__ import annotations

from typing import Any, Callable

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, false, true
from sqlalchemy.orm import Session

from .errors import Forbidden, NotFound, Unauthorized
from .models import Organization, Role, TokenScope, User

Actor = User | None


def require_login(actor: Actor) -> User:
    if actor is None:
        raise Unauthorized(_("Please log in first."))
    return actor


def require_write(actor: Actor) -> User:
    """Write access: a logged-in user, and not through a read-only token."""
    user = require_login(actor)
    if getattr(user, "token_scope", None) == TokenScope.READ:
        raise Forbidden(_("This API token is read-only."))
    return user


def require_role(actor: Actor, *roles: Role) -> User:
    user = require_login(actor)
    if user.role not in roles:
        raise Forbidden(_("Your account is not allowed to do this."))
    return user


def owner_filter(actor: Actor, org_id_col: ColumnElement,
                 province_col: ColumnElement) -> ColumnElement[bool]:
    """A WHERE clause limiting rows to the actor's organisation or province."""
    if actor is None:
        return false()
    if actor.role == Role.ADMIN:
        return true()
    if actor.role == Role.OFFICIAL:
        return province_col == actor.province_code
    return org_id_col == actor.organization_id


def _org_rule(actor: User, org: Organization, write: bool) -> bool:
    if actor.role == Role.ADMIN:
        return True
    if actor.role == Role.OFFICIAL:
        return org.province_code == actor.province_code
    return org.id == actor.organization_id


def _review_rule(actor: User, org: Organization, write: bool) -> bool:
    if actor.role == Role.ADMIN:
        return True
    return actor.role == Role.OFFICIAL and org.province_code == actor.province_code


def _product_rule(actor: User, product: Any, write: bool) -> bool:
    if actor.role == Role.ADMIN:
        return True
    if actor.role == Role.OFFICIAL:
        # Officials see their province's products; the producer owns their content.
        return not write and product.organization.province_code == actor.province_code
    return product.organization_id == actor.organization_id


def _area_rule(actor: User, area: Any, write: bool) -> bool:
    """Growing areas and facilities: the producer drafts and submits its own; the
    province's officials see and decide on every one in the province."""
    if actor.role == Role.ADMIN:
        return True
    if actor.role == Role.OFFICIAL:
        return area.province_code == actor.province_code
    return area.organization_id == actor.organization_id


def _area_review_rule(actor: User, area: Any, write: bool) -> bool:
    if actor.role == Role.ADMIN:
        return True
    return actor.role == Role.OFFICIAL and area.province_code == actor.province_code


def _batch_rule(actor: User, batch: Any, write: bool) -> bool:
    """Batches: the producer's own; the province's officials read them and may recall
    (recall has its own check in the service), but not edit their content."""
    if actor.role == Role.ADMIN:
        return True
    if actor.role == Role.OFFICIAL:
        return not write and batch.organization.province_code == actor.province_code
    return batch.organization_id == actor.organization_id


def _batch_recall_rule(actor: User, batch: Any, write: bool) -> bool:
    """Recalling a batch, and ordering, printing, activating or voiding its stamps:
    its own organisation, or an official of its province."""
    if actor.role == Role.ADMIN:
        return True
    if actor.role == Role.OFFICIAL:
        return batch.organization.province_code == actor.province_code
    return batch.organization_id == actor.organization_id


def _report_rule(actor: User, report: Any, write: bool) -> bool:
    """Consumers' reports (phản ánh): the officials of the province they reached; those
    that reached no province (an unknown code and product), the administrators."""
    if actor.role == Role.ADMIN:
        return True
    return actor.role == Role.OFFICIAL and report.province_code is not None \
        and report.province_code == actor.province_code


def _handover_rule(actor: User, handover: Any, write: bool) -> bool:
    """Hand-overs (giao nhận): read by the sender, a registered receiver and the officials
    of either's province."""
    if actor.role == Role.ADMIN:
        return True
    if actor.role == Role.OFFICIAL:
        return actor.province_code in (handover.sender.province_code,
                                       handover.receiver and handover.receiver.province_code)
    return actor.organization_id in (handover.sender_id, handover.receiver_id)


def _handover_answer_rule(actor: User, handover: Any, write: bool) -> bool:
    """Confirming or refusing a receipt: only the receiver, who counted the goods."""
    return actor.role == Role.PRODUCER and handover.receiver_id is not None \
        and actor.organization_id == handover.receiver_id


def _token_rule(actor: User, token: Any, write: bool) -> bool:
    return token.user_id == actor.id


RULES: dict[str, Callable[[User, Any, bool], bool]] = {
    "organization": _org_rule,
    "organization.review": _review_rule,
    "product": _product_rule,
    "token": _token_rule,
    "area": _area_rule,
    "area.review": _area_review_rule,
    "batch": _batch_rule,
    "batch.recall": _batch_recall_rule,
    "batch.stamps": _batch_recall_rule,
    "report": _report_rule,
    "handover": _handover_rule,
    "handover.answer": _handover_answer_rule,
}


def fetch(session: Session, actor: Actor, model: type, obj_id: int, subject: str, *,
          write: bool = False, lock: bool = False) -> Any:
    """Load the row `obj_id` of `model` that `actor` may read (or, with write=True,
    change): 401 before anything else, then 404 for a row that is missing or not
    the actor's to see, 403 for one it may read but not change. lock=True locks the
    row for the rest of the transaction."""
    require_write(actor) if write else require_login(actor)
    # FOR UPDATE OF the row's own table: eagerly joined relations stay unlocked.
    obj = session.get(model, obj_id, with_for_update={"of": model} if lock else None)
    if obj is None:
        raise NotFound(_("Not found."))
    check(actor, subject, obj, write=write)
    return obj


def check(actor: Actor, subject: str, obj: Any, *, write: bool = False) -> User:
    """Raise unless `actor` may read (or, with write=True, change) `obj`.

    Rows the actor may not read at all give NotFound; rows it may read but not
    change give Forbidden.
    """
    user = require_write(actor) if write else require_login(actor)
    # "organization.review" is read under the "organization" rule.
    if not RULES[subject.split(".")[0]](user, obj, False):
        raise NotFound(_("Not found."))
    if write and not RULES[subject](user, obj, True):
        raise Forbidden(_("You may read this record but not change it."))
    return user
