"""Reading the EPCIS 2.0 repository for the query interface's doors: a page of events,
one event by its eventID, and the values of the top-level resources (the business
steps, locations… of the events the reader may see)."""
from __future__ import annotations

from typing import Any, Mapping

from flask_babel import gettext as _
from sqlalchemy import select

from ..db import session
from ..epcis.exceptions import NoSuchResourceException
from ..models import EpcisEvent, EpcisEventEpc, User
from . import epcis_query

MAX_VALUES = 1000
_COLUMNS = {"eventTypes": EpcisEvent.event_type, "bizSteps": EpcisEvent.biz_step,
            "bizLocations": EpcisEvent.biz_location, "readPoints": EpcisEvent.read_point,
            "dispositions": EpcisEvent.disposition}


def page(viewer: User | None, params: Mapping[str, Any]) -> tuple[list[EpcisEvent], int | None]:
    """One page of the events matching `params`, and the next page's token."""
    return epcis_query.run(session(), viewer, params)


def one_event(viewer: User | None, event_id: str) -> EpcisEvent:
    found = session().scalar(select(EpcisEvent).where(epcis_query.visible(viewer),
                                                      EpcisEvent.event_id == event_id))
    if found is None:
        raise NoSuchResourceException(_("There is no event %(id)s that you may read.",
                                        id=event_id))
    return found


def distinct_values(viewer: User | None, kind: str) -> list[str]:
    """The values a top-level resource lists, over the events `viewer` may read (at
    most a thousand, sorted)."""
    where = epcis_query.visible(viewer)
    if kind == "epcs":
        stmt = select(EpcisEventEpc.epc).distinct().join(
            EpcisEvent, EpcisEvent.id == EpcisEventEpc.event_pk).where(
            where, EpcisEventEpc.field.in_(("epc", "parent", "input", "output")))
        column = EpcisEventEpc.epc
    else:
        column = _COLUMNS[kind]
        stmt = select(column).distinct().where(where, column.is_not(None))
    return list(session().scalars(stmt.order_by(column).limit(MAX_VALUES)))
