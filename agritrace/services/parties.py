"""External parties (bên nhận ngoài nền tảng): receivers outside the platform, such as
a foreign importer or an unregistered buyer, named by the organisation that ships to
them with a name, a country and, where they have one, a GLN. They have no account:
a hand-over to one of them is delivered at once and never confirmed."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from labels.gs1 import check_digit

from .. import permissions
from ..db import session, transaction
from ..errors import Conflict, Invalid
from ..models import ExternalParty, Organization, Role, User
from . import audit

FIELDS = ("organization_id", "name", "country", "gln", "address")


def list_parties(actor: User | None, *, offset: int = 0, limit: int | None = 20
                 ) -> tuple[list[ExternalParty], int]:
    """One page of the external parties `actor` may read: its organisation's own; an
    official's, those of the province's organisations."""
    permissions.require_login(actor)
    base = select(ExternalParty).join(Organization,
                                      Organization.id == ExternalParty.organization_id) \
        .where(permissions.owner_filter(actor, ExternalParty.organization_id,
                                        Organization.province_code))
    s = session()
    total = s.scalar(select(func.count()).select_from(base.subquery()))
    rows = s.scalars(base.order_by(ExternalParty.name, ExternalParty.id)
                     .offset(offset).limit(limit))
    return list(rows), total


def create_party(actor: User | None, data: dict) -> ExternalParty:
    """Name a receiver outside the platform for the actor's own organisation."""
    user = permissions.require_role(permissions.require_write(actor), Role.PRODUCER)
    check_gln(data.get("gln"))
    with transaction() as s:
        same = s.scalar(select(ExternalParty.id).where(
            ExternalParty.organization_id == user.organization_id,
            func.lower(ExternalParty.name) == data["name"].lower(),
            ExternalParty.country == data["country"]))
        if same is not None:
            raise Conflict(_("Your organisation already named %(name)s (%(country)s).",
                             name=data["name"], country=data["country"]),
                           {"name": [_("Already named.")]})
        party = ExternalParty(organization_id=user.organization_id, **data)
        s.add(party)
        s.flush()
        audit.record(s, user, "external_party", party.id, "create",
                     after=audit.snapshot(party, FIELDS))
    return party


def check_gln(gln: str | None) -> None:
    """A GLN (Global Location Number) is 13 digits ending with the GS1 check digit."""
    if gln is None:
        return
    if len(gln) != 13 or not gln.isascii() or not gln.isdigit():
        raise Invalid(_("A GLN has 13 digits."), {"gln": [_("A GLN has 13 digits.")]})
    expected = check_digit(gln[:-1])
    if int(gln[-1]) != expected:
        raise Invalid(_("The check digit of GLN %(gln)s should be %(digit)s.", gln=gln,
                        digit=expected), {"gln": [_("Wrong check digit.")]})


def party_of(s, organization_id: int, party_id: int) -> ExternalParty:
    """One of the organisation's own external parties, for a hand-over: another
    organisation's, or an unknown id, is refused alike, naming the field."""
    party = s.get(ExternalParty, party_id)
    if party is None or party.organization_id != organization_id:
        raise Invalid(_("External party %(id)s is not one of your organisation's receivers.",
                        id=party_id),
                      {"external_party_id": [_("Not one of your external parties.")]})
    return party
