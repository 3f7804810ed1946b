"""Named queries of the EPCIS 2.0 query interface (/queries): a user's saved set of
query parameters, run later by name (and subscribed to). A name is its owner's: two
users may each have a query called `shipping`."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from .. import permissions
from ..db import session, transaction
from ..epcis.exceptions import (DuplicateNameException, NoSuchNameException,
                                QueryParameterException, SecurityException)
from ..models import EpcisQuery, User
from . import audit, epcis_query


def _owner(actor: User | None) -> User:
    if actor is None:
        raise SecurityException(_("Send an API token to use named queries."))
    return actor


def create_query(actor: User | None, name: Any, query: Any) -> EpcisQuery:
    """Save `query` (the standard's parameters, each a value or a list) as `name`."""
    user = permissions.require_write(_owner(actor))
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100 or "/" in name:
        raise QueryParameterException(_("A query needs a name of 1 to 100 characters, "
                                        "without a slash."), {"name": [_("Required.")]})
    if not isinstance(query, dict):
        raise QueryParameterException(_("The query is an object of query parameters."),
                                      {"query": [_("An object.")]})
    epcis_query.parse(query)   # refuses an unknown parameter or a bad value now
    with transaction() as s:
        if s.scalar(select(EpcisQuery.id).where(EpcisQuery.owner_id == user.id,
                                                EpcisQuery.name == name)):
            raise DuplicateNameException(_("You already have a query named %(name)s.",
                                           name=name))
        saved = EpcisQuery(owner_id=user.id, name=name, query=query)
        s.add(saved)
        s.flush()
        audit.record(s, user, "epcis_query", saved.id, "create", after={"name": name})
    return saved


def get_query(actor: User | None, name: str) -> EpcisQuery:
    user = _owner(actor)
    found = session().scalar(select(EpcisQuery).where(EpcisQuery.owner_id == user.id,
                                                      EpcisQuery.name == name))
    if found is None:
        raise NoSuchNameException(_("There is no query named %(name)s.", name=name))
    return found


def list_queries(actor: User | None) -> list[EpcisQuery]:
    user = _owner(actor)
    return list(session().scalars(select(EpcisQuery).where(EpcisQuery.owner_id == user.id)
                                  .order_by(EpcisQuery.name)))


def delete_query(actor: User | None, name: str) -> None:
    user = permissions.require_write(_owner(actor))
    with transaction() as s:
        found = s.scalar(select(EpcisQuery).where(EpcisQuery.owner_id == user.id,
                                                  EpcisQuery.name == name))
        if found is None:
            raise NoSuchNameException(_("There is no query named %(name)s.", name=name))
        s.delete(found)
        audit.record(s, user, "epcis_query", found.id, "delete", before={"name": name})
