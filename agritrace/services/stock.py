"""The stock ledger (sổ kho): every change of a holder's stock of a lot is a new
movement, and the holder's balance moves in the same statement.

"Never below zero" holds under concurrent requests without a lock taken by hand:
a withdrawal is one `UPDATE … WHERE balance >= q`, which PostgreSQL serialises on
the holding's row, so of two dispatches racing for the same stock the second sees
the first's balance and finds too little. A correction is a new movement, never an
edit of an old one.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from .. import permissions
from ..db import session
from ..errors import Invalid
from ..models import Batch, Holding, MovementKind, Organization, StockMovement, User

# How people write a lot's UN/CEFACT unit beside a number ("50 kg"); other units by code.
SYMBOLS = {"KGM": "kg", "TNE": "t", "GRM": "g", "LTR": "l"}

_WITHDRAW = text("""
    UPDATE holdings SET balance = balance - :q, updated_at = now()
    WHERE batch_id = :b AND organization_id = :o AND balance >= :q
    RETURNING balance
""")


def held(s: Session, organization_id: int, batch_id: int) -> Decimal:
    """What the organisation holds of the lot now."""
    return s.scalar(select(Holding.balance).where(Holding.batch_id == batch_id,
                                                  Holding.organization_id == organization_id)) \
        or Decimal(0)


def move(s: Session, *, batch_id: int, organization_id: int, kind: MovementKind,
         quantity: Decimal, actor: User | None = None, handover_id: int | None = None,
         transformation_id: int | None = None, note: str | None = None,
         field: str = "quantity", unit: str = "") -> Decimal:
    """Book `quantity` (positive: in, negative: out) and return the new balance.

    A withdrawal of more than is held raises Invalid naming `field`, and nothing is
    written; the caller's transaction is left usable."""
    quantity = Decimal(quantity)
    if quantity > 0:
        stmt = insert(Holding).values(batch_id=batch_id, organization_id=organization_id,
                                      balance=quantity)
        balance = s.scalar(stmt.on_conflict_do_update(
            index_elements=[Holding.batch_id, Holding.organization_id],
            set_={"balance": Holding.balance + stmt.excluded.balance,
                  "updated_at": func.now()}).returning(Holding.balance))
    else:
        balance = s.scalar(_WITHDRAW, {"q": -quantity, "b": batch_id, "o": organization_id})
        if balance is None:
            have = held(s, organization_id, batch_id)
            raise Invalid(
                _("You hold %(have)s %(unit)s of this lot; %(want)s %(unit)s cannot be taken "
                  "from it.", have=_number(have), want=_number(-quantity), unit=unit),
                {field: [_("More than you hold (%(have)s).", have=_number(have))]})
    s.add(StockMovement(batch_id=batch_id, organization_id=organization_id, kind=kind,
                        quantity=quantity, handover_id=handover_id,
                        transformation_id=transformation_id, note=note,
                        recorded_by=actor.id if actor is not None else None))
    return balance


def unit_symbol(code: str) -> str:
    return SYMBOLS.get(code, code)


def _number(value: Decimal) -> str:
    """3 decimals in the ledger, but people write 1200 kg, not 1200.000 kg."""
    return f"{value.normalize():f}"


def holdings_of(s: Session, organization_id: int) -> list[Holding]:
    """The organisation's lots in stock, largest first."""
    return list(s.scalars(select(Holding).where(Holding.organization_id == organization_id,
                                                Holding.balance > 0)
                          .order_by(Holding.balance.desc())))


@dataclass(frozen=True)
class Held:
    """A lot in a holder's stock, as the stock pages and the API list it."""
    batch: Batch
    holder: Organization
    balance: Decimal


def list_holdings(actor: User | None, *, batch_id: int | None = None, offset: int = 0,
                  limit: int = 20) -> tuple[list[Held], int]:
    """One page of the lots in stock that `actor` may see: its organisation's; an
    official's, those of the province's holders. Newest lot first."""
    permissions.require_login(actor)
    where = [Holding.balance > 0,
             permissions.owner_filter(actor, Holding.organization_id, Organization.province_code)]
    if batch_id:
        where.append(Holding.batch_id == batch_id)
    base = select(Batch, Organization, Holding.balance) \
        .join(Holding, Holding.batch_id == Batch.id) \
        .join(Organization, Organization.id == Holding.organization_id).where(*where)
    s = session()
    total = s.scalar(select(func.count()).select_from(base.subquery()))
    rows = s.execute(base.order_by(Batch.id.desc(), Organization.id).offset(offset).limit(limit))
    return [Held(batch, holder, balance) for batch, holder, balance in rows], total
