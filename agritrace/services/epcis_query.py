"""The EPCIS 2.0 query interface over the repository: the standard's parameters
(EPCIS 2.0 §8.2.7.1, as the REST binding spells them) into one SELECT, with who may
read what applied first.

- an organisation reads its own events, and those about its lots and the lots one
  step back and one step forward of them (who supplied it, whom it supplied);
- an official the events of its province (where they happened, or about a lot of an
  organisation there); an administrator everything; without a token nothing.

A parameter the standard does not define, or a value it cannot take, is a
QueryParameterException naming the parameter; nothing is guessed.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping

from flask_babel import gettext as _
from sqlalchemy import (TIMESTAMP, ColumnElement, Select, and_, cast, exists, false, func,
                        literal, literal_column, or_, select, true, union)
from sqlalchemy.dialects.postgresql import JSONB, JSONPATH

from ..epcis.exceptions import (QueryParameterException, QueryTooLargeException,
                                SecurityException)
from ..epcis.indexing import canonical, parse_time, vocabulary_word
from ..models import (Batch, EpcisEvent, EpcisEventEpc, EpcisEventLot, Handover, Holding,
                      Organization, Role, TransformationInput, User)

MAX_PER_PAGE = 10_000
DEFAULT_PER_PAGE = 30
ACTIONS = ("ADD", "OBSERVE", "DELETE")
# MATCH_ parameter -> the places (EpcField values) an identifier may stand in.
MATCHES = {
    "MATCH_epc": ("epc",), "MATCH_parentID": ("parent",), "MATCH_inputEPC": ("input",),
    "MATCH_outputEPC": ("output",), "MATCH_anyEPC": ("epc", "parent", "input", "output"),
    "MATCH_epcClass": ("class",), "MATCH_inputEPCClass": ("input_class",),
    "MATCH_outputEPCClass": ("output_class",),
    "MATCH_anyEPCClass": ("class", "input_class", "output_class"),
}
_COMPARE = {"EQ": "==", "GT": ">", "GE": ">=", "LT": "<", "LE": "<="}
# Sensor report attributes the standard lets a query test for equality.
SENSOR_FIELDS = ("type", "deviceID", "dataProcessingMethod", "microorganism",
                 "chemicalSubstance", "bizRules", "stringValue", "hexBinaryValue", "uriValue",
                 "booleanValue")
PAGING = ("perPage", "nextPageToken")
_FIELD = re.compile(r"(EQ|GT|GE|LT|LE|EXISTS)_(ILMD_|INNER_ILMD_|INNER_)?(.+)")


@dataclass
class Query:
    where: list[ColumnElement[bool]]
    order: list
    limit: int | None = None       # eventCountLimit: the first N, quietly
    most: int | None = None        # maxEventCount: more is an error


def values(params: Mapping[str, Any], name: str) -> list[str]:
    """A parameter's values: repeated, pipe-delimited (the binding's style), or a list
    (a named query's JSON)."""
    raw = params[name]
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for item in items:
        out += [v for v in str(item).split("|")] if not isinstance(item, (int, float)) \
            else [str(item)]
    if not out or any(v == "" for v in out):
        raise _bad(name, _("%(name)s needs a value.", name=name))
    return out


def _bad(name: str, sentence: str) -> QueryParameterException:
    return QueryParameterException(sentence, {name: [sentence]})


def _one(params: Mapping[str, Any], name: str) -> str:
    found = values(params, name)
    if len(found) != 1:
        raise _bad(name, _("%(name)s takes one value.", name=name))
    return found[0]


def _time(params, name: str):
    text = _one(params, name)
    try:
        return parse_time(text)
    except ValueError:
        raise _bad(name, _("%(name)s must be a time with its offset, such as "
                           "2026-11-02T00:00:00+07:00 (got %(value)s).", name=name,
                           value=text)) from None


def _number(params, name: str, *, whole: bool = False, least: float | None = None):
    text = _one(params, name)
    try:
        number = int(text) if whole else float(text)
    except ValueError:
        raise _bad(name, _("%(name)s must be a number (got %(value)s).", name=name,
                           value=text)) from None
    if least is not None and number < least:
        raise _bad(name, _("%(name)s must be at least %(least)s.", name=name, least=least))
    return number


def visible(viewer: User | None) -> ColumnElement[bool]:
    """The events `viewer` may read."""
    if viewer is None:
        raise SecurityException(_("Send an API token to query events."))
    if viewer.role == Role.ADMIN:
        return true()
    lots = select(EpcisEventLot.event_pk)
    if viewer.role == Role.OFFICIAL:
        province = viewer.province_code
        theirs = select(Batch.id).join(Organization, Organization.id == Batch.organization_id) \
            .where(Organization.province_code == province)
        return or_(EpcisEvent.province_code == province,
                   EpcisEvent.id.in_(lots.where(EpcisEventLot.batch_id.in_(theirs))))
    if viewer.organization_id is None:
        return false()
    return or_(EpcisEvent.organization_id == viewer.organization_id,
               EpcisEvent.id.in_(lots.where(
                   EpcisEventLot.batch_id.in_(near_lots(viewer.organization_id)))))


def near_lots(org_id: int):
    """The organisation's lots (made, sent, received, held) and one step either side."""
    own = union(
        select(Batch.id).where(Batch.organization_id == org_id),
        select(Handover.batch_id).where(or_(Handover.sender_id == org_id,
                                            Handover.receiver_id == org_id)),
        select(Holding.batch_id).where(Holding.organization_id == org_id)).cte("own_lots")
    back = select(TransformationInput.batch_id).join(
        Batch, Batch.transformation_id == TransformationInput.transformation_id).where(
        Batch.id.in_(select(own.c.id)))
    forward = select(Batch.id).join(
        TransformationInput, TransformationInput.transformation_id == Batch.transformation_id
    ).where(TransformationInput.batch_id.in_(select(own.c.id)))
    return union(select(own.c.id), back, forward)


def select_events(viewer: User | None, params: Mapping[str, Any]) -> Select:
    """The events `viewer` may read that match `params` (the standard's names), in the
    order asked (oldest first by default). Paging parameters are accepted and left to
    the caller; eventCountLimit is applied; maxEventCount is checked by `run`."""
    query = parse(params)
    stmt = select(EpcisEvent).where(visible(viewer), *query.where).order_by(*query.order)
    if query.limit is not None:
        stmt = stmt.limit(query.limit)
    return stmt


def parse(params: Mapping[str, Any]) -> Query:
    where: list[ColumnElement[bool]] = []
    for name in params:
        if name in PAGING or name in ("orderBy", "orderDirection", "eventCountLimit",
                                      "maxEventCount"):
            continue
        where.append(_condition(params, name))
    for kind in ("eventTime", "recordTime"):
        if f"GE_{kind}" in params and f"LT_{kind}" in params \
                and _time(params, f"LT_{kind}") <= _time(params, f"GE_{kind}"):
            raise _bad(f"LT_{kind}", _("%(lt)s must be later than %(ge)s.", lt=f"LT_{kind}",
                                       ge=f"GE_{kind}"))
    order = _order(params)
    limit = most = None
    if "eventCountLimit" in params:
        if "maxEventCount" in params:
            raise _bad("eventCountLimit", _("Use eventCountLimit or maxEventCount, not both."))
        if "orderBy" not in params:
            raise _bad("eventCountLimit", _("eventCountLimit needs orderBy, so that the first "
                                            "events are well defined."))
        limit = _number(params, "eventCountLimit", whole=True, least=1)
    if "maxEventCount" in params:
        if "orderBy" in params:
            raise _bad("maxEventCount", _("maxEventCount goes without orderBy; use "
                                          "eventCountLimit to take the first events."))
        most = _number(params, "maxEventCount", whole=True, least=1)
    return Query(where, order, limit, most)


def _order(params) -> list:
    direction = _one(params, "orderDirection") if "orderDirection" in params else None
    if direction not in (None, "ASC", "DESC"):
        raise _bad("orderDirection", _("orderDirection is ASC or DESC."))
    if "orderBy" not in params:
        if direction is not None:
            raise _bad("orderDirection", _("orderDirection needs orderBy."))
        return [EpcisEvent.event_time, EpcisEvent.id]
    column = {"eventTime": EpcisEvent.event_time,
              "recordTime": EpcisEvent.record_time}.get(_one(params, "orderBy"))
    if column is None:
        raise _bad("orderBy", _("orderBy is eventTime or recordTime."))
    if direction == "ASC":
        return [column, EpcisEvent.id]
    return [column.desc(), EpcisEvent.id.desc()]


def _condition(params, name: str) -> ColumnElement[bool]:
    doc = EpcisEvent.document
    if name == "eventType":
        return EpcisEvent.event_type.in_(values(params, name))
    if name in ("GE_eventTime", "LT_eventTime", "GE_recordTime", "LT_recordTime"):
        column = EpcisEvent.event_time if "event" in name else EpcisEvent.record_time
        moment = _time(params, name)
        return column >= moment if name.startswith("GE") else column < moment
    if name == "EQ_action":
        found = values(params, name)
        if set(found) - set(ACTIONS):
            raise _bad(name, _("EQ_action is ADD, OBSERVE or DELETE."))
        return EpcisEvent.action.in_(found)
    if name in ("EQ_bizStep", "EQ_disposition"):
        kind, column = ("bizStep", EpcisEvent.biz_step) if name == "EQ_bizStep" \
            else ("disposition", EpcisEvent.disposition)
        return column.in_([vocabulary_word(kind, v) for v in values(params, name)])
    if name in ("EQ_readPoint", "WD_readPoint"):
        # No master-data hierarchy is held: a location's descendants are itself.
        return EpcisEvent.read_point.in_([canonical(v) for v in values(params, name)])
    if name in ("EQ_bizLocation", "WD_bizLocation"):
        return EpcisEvent.biz_location.in_([canonical(v) for v in values(params, name)])
    if name in MATCHES:
        return _match(MATCHES[name], values(params, name))
    if name == "EQ_eventID":
        return EpcisEvent.event_id.in_(values(params, name))
    if name == "EQ_transformationID":
        return doc["transformationID"].astext.in_(values(params, name))
    if name in ("EQ_quantity", "GT_quantity", "GE_quantity", "LT_quantity", "LE_quantity"):
        return _path("$.*[*] ? (exists (@.epcClass)).quantity ? (@ %s $v)"
                     % _COMPARE[name[:2]], _number(params, name))
    return _declaration(params, name) if "rrorDeclaration" in name or name in (
        "EQ_errorReason", "EQ_correctiveEventID") else _other(params, name)


def _declaration(params, name: str) -> ColumnElement[bool]:
    doc = EpcisEvent.document
    if name == "EXISTS_errorDeclaration":
        return doc.has_key("errorDeclaration")
    if name in ("GE_errorDeclarationTime", "LT_errorDeclarationTime"):
        op = ">=" if name.startswith("GE") else "<"
        return _time_at("$.errorDeclaration.declarationTime", op, _time(params, name))
    if name == "EQ_errorReason":
        return doc["errorDeclaration"]["reason"].astext.in_(values(params, name))
    if name == "EQ_correctiveEventID":
        return or_(*(_path("$.errorDeclaration.correctiveEventIDs[*] ? (@ == $v)", v)
                     for v in values(params, name)))
    raise _unknown(name)


def _other(params, name: str) -> ColumnElement[bool]:
    if name in ("EQ_persistentDisposition_set", "EQ_persistentDisposition_unset"):
        key = name.rsplit("_", 1)[1]
        return or_(*(_path(f"$.persistentDisposition.{key}[*] ? (@ == $v)",
                           vocabulary_word("disposition", v)) for v in values(params, name)))
    if name in ("GE_startTime", "LT_startTime", "GE_endTime", "LT_endTime"):
        key, op = name[3:], ">=" if name.startswith("GE") else "<"
        return _time_at(f"$.sensorElementList[*].sensorMetadata.{key}", op,
                        _time(params, name))
    if name[3:] in SENSOR_FIELDS and name.startswith("EQ_"):
        return or_(*(_path(f'$.sensorElementList[*].sensorReport[*] ? (@."{name[3:]}" == $v)',
                           v) for v in values(params, name)))
    return _field(params, name)


def _field(params, name: str) -> ColumnElement[bool]:
    """EQ_/GT_/…/EXISTS_ of an ILMD or extension field, named with its prefix
    (`EQ_ILMD_agritrace:harvestDate`, `EXISTS_example:myField`)."""
    match = _FIELD.fullmatch(name)
    if not match or ":" not in match[3]:
        raise _unknown(name)
    op, where, field = match[1], match[2] or "", match[3]
    base = "$.ilmd" if "ILMD" in where else "$"
    deep = "**." if where.startswith("INNER") else ""
    # The field is the client's text: quoted as a JSON path key, whatever it holds.
    target = f'{base}.{deep}{json.dumps(field)}'
    if op == "EXISTS":
        return func.jsonb_path_exists(EpcisEvent.document, literal(target, JSONPATH))
    if op == "EQ":
        return or_(*(or_(_path(f"{target} ? (@ == $v)", v),
                         _path(f"{target} ? (@ == $v)", _numeric(v))) for v in
                     values(params, name)))
    value = _one(params, name)
    return _path(f"{target} ? (@ {_COMPARE[op]} $v)", _numeric(value))


def _numeric(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text


def _time_at(path: str, op: str, moment) -> ColumnElement[bool]:
    """Events with a time at `path` (a JSON path) `op` `moment`. Compared as timestamptz:
    jsonpath's datetime() does not read an RFC 3339 time ending in Z."""
    found = func.jsonb_path_query(EpcisEvent.document, literal(path, JSONPATH)) \
        .table_valued("value", joins_implicitly=True).render_derived()
    stamp = cast(found.c.value.op("#>>")(literal_column("'{}'")), TIMESTAMP(timezone=True))
    return exists(select(literal(1)).select_from(found).where(
        stamp >= moment if op == ">=" else stamp < moment))


def _path(path: str, value: Any) -> ColumnElement[bool]:
    return func.jsonb_path_exists(EpcisEvent.document, literal(path, JSONPATH),
                                  literal({"v": value}, JSONB))


def _match(fields: tuple[str, ...], wanted: list[str]) -> ColumnElement[bool]:
    """Events naming one of `wanted` in one of `fields`; an EPC pattern
    (`urn:epc:idpat:sgtin:0614141.107346.*`) matches every serial of its class."""
    exact = [canonical(v) for v in wanted if not v.endswith("*")]
    patterns = [canonical(v).rstrip("*").rstrip(".") + "/%" for v in wanted if v.endswith("*")]
    hit = or_(EpcisEventEpc.epc.in_(exact) if exact else false(),
              *(EpcisEventEpc.epc.like(p) for p in patterns))
    return exists().where(EpcisEventEpc.event_pk == EpcisEvent.id,
                          EpcisEventEpc.field.in_(fields), and_(hit))


def _unknown(name: str) -> QueryParameterException:
    return _bad(name, _("%(name)s is not a query parameter of EPCIS 2.0.", name=name))


def run(s, viewer: User | None, params: Mapping[str, Any]) -> tuple[list[EpcisEvent], int | None]:
    """One page of events, and the offset of the next page (None on the last)."""
    query = parse(params)
    per_page = _number(params, "perPage", whole=True, least=1) if "perPage" in params \
        else DEFAULT_PER_PAGE
    if per_page > MAX_PER_PAGE:
        raise _bad("perPage", _("perPage is at most %(most)s.", most=MAX_PER_PAGE))
    token = _one(params, "nextPageToken") if "nextPageToken" in params else "0"
    if not re.fullmatch(r"[0-9]{1,9}", token):
        raise _bad("nextPageToken", _("Use the nextPageToken of the previous page's Link "
                                      "header."))
    stmt = select_events(viewer, params)
    if query.most is not None:
        found = s.scalar(select(func.count()).select_from(stmt.limit(query.most + 1).subquery()))
        if found > query.most:
            raise QueryTooLargeException(_(
                "More than %(most)s events match (maxEventCount); narrow the query.",
                most=query.most))
    offset = int(token)
    if query.limit is not None:
        stmt = stmt.limit(max(0, min(per_page + 1, query.limit - offset)))
    else:
        stmt = stmt.limit(per_page + 1)
    rows = list(s.scalars(stmt.offset(offset)))
    more = len(rows) > per_page
    return rows[:per_page], (offset + per_page if more else None)
