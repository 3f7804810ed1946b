"""Capturing EPCIS 2.0 documents into the repository (the standard's capture
interface): validated against GS1's schema, checked event by event, stored as one
capture job.

GS1-Capture-Error-Behaviour `rollback` (the default): one bad event refuses the whole
document with a ValidationException naming each event index and field, and nothing is
stored, the job included. `proceed`: the good events are stored and the job lists the
refused ones. Events about lots of the platform are the sending organisation's only if
it made or held them; an event about another organisation's lot it never held is
refused. Captured events are never edited: a correction is a new event carrying an
errorDeclaration.
"""
from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import permissions
from ..clock import now
from ..db import session, transaction
from ..epcis.exceptions import ForbiddenException, NoSuchResourceException, ValidationException
from ..epcis.indexing import index_event
from ..epcis.schema import EpcisProblem, validate_document
from ..epcis.vocabulary import GS1_CONTEXT, GS1_PREFIXES
from ..models import CaptureBehaviour, EpcisCapture, EpcisEvent, Organization, Role, User
from . import audit
from .epcis_actions import Refused, act
from .epcis_lots import EventLots, report
from .epcis_store import NewEvent, known_event_ids, store

MAX_EVENTS = 10_000
DOCUMENT_TYPES = ("EPCISDocument", "EPCISQueryDocument")
# Keys and values that are compact IRIs of GS1's own context.
_KNOWN_PREFIXES = frozenset(GS1_PREFIXES) | {"http", "https", "urn", "ni", "tag", "mailto"}


def capture(actor: User | None, data: bytes, behaviour: str | None) -> EpcisCapture:
    """Capture a document for the actor's organisation; the finished job."""
    user = permissions.require_write(actor)
    if user.organization_id is None:
        raise ForbiddenException(_("Only an organisation captures events."))
    mode = _behaviour(behaviour)
    doc = _parsed(data)
    events, context = _events(doc)
    if len(events) > MAX_EVENTS:
        raise ValidationException(_("The document holds %(n)s events; send at most %(max)s "
                                    "at a time.", n=len(events), max=MAX_EVENTS))
    with transaction() as s:
        org = s.get(Organization, user.organization_id)
        problems = _schema_problems(doc)
        lots = EventLots(s, org, events)
        new, refused = _checked(s, org, events, context, problems, lots)
        if not refused or mode == CaptureBehaviour.PROCEED:
            new = _acted(s, user, lots, new, refused)
        refused.sort(key=lambda p: p["eventIndex"])
        if refused and mode == CaptureBehaviour.ROLLBACK:
            raise ValidationException(_describe(refused), {p["field"]: [p["detail"]]
                                                           for p in refused})
        job = EpcisCapture(organization_id=org.id, created_by=user.id, error_behaviour=mode,
                           event_count=len(new), errors=refused, running=False,
                           success=not refused, finished_at=now())
        s.add(job)
        s.flush()
        for event in new:
            event.capture_id = job.id
        store(s, new)
        audit.record(s, user, "epcis_capture", job.id, "capture",
                     after={"events": len(new), "refused": len(refused)})
    return job


def capture_one(actor: User | None, event: dict) -> EpcisEvent:
    """Capture a single event (POST /events); the stored event."""
    event = dict(event)
    context = event.pop("@context", None) or GS1_CONTEXT
    doc = {"@context": context, "type": "EPCISDocument", "schemaVersion": "2.0",
           "creationDate": now().isoformat(), "epcisBody": {"eventList": [event]}}
    job = capture(actor, json.dumps(doc).encode(), "rollback")
    return session().scalar(select(EpcisEvent).where(EpcisEvent.capture_id == job.id))


def _behaviour(value: str | None) -> CaptureBehaviour:
    try:
        return CaptureBehaviour((value or "rollback").strip().lower())
    except ValueError:
        raise ValidationException(_("GS1-Capture-Error-Behaviour is rollback or proceed."),
                                  {"GS1-Capture-Error-Behaviour": [_("rollback or proceed")]})


def _parsed(data: bytes) -> dict:
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValidationException(_("The body is not JSON: %(error)s", error=str(exc))) from None
    if not isinstance(doc, dict) or doc.get("type") not in DOCUMENT_TYPES:
        raise ValidationException(_("The body is not an EPCIS 2.0 document: its type must be "
                                    "EPCISDocument or EPCISQueryDocument."), {"type": [
                                        _("EPCISDocument or EPCISQueryDocument")]})
    return doc


def _events(doc: dict) -> tuple[list, Any]:
    """The document's events, wherever its type keeps them (the schema judges the rest)."""
    path = ("queryResults", "resultsBody", "eventList") \
        if doc.get("type") == "EPCISQueryDocument" else ("eventList",)
    found = doc.get("epcisBody")
    for key in path:
        found = found.get(key) if isinstance(found, dict) else None
    return (found if isinstance(found, list) else []), doc.get("@context")


def _schema_problems(doc: dict) -> dict[int | None, list[EpcisProblem]]:
    found: dict[int | None, list[EpcisProblem]] = {}
    for problem in validate_document(doc):
        found.setdefault(problem.event, []).append(problem)
    if None in found:
        first = found[None][0]
        raise ValidationException(_("The document breaks GS1's EPCIS 2.0 schema at %(field)s: "
                                    "%(problem)s", field=first.field, problem=first.message),
                                  {p.field: [p.message] for p in found[None]})
    return found


def _describe(refused: list[dict]) -> str:
    head = "; ".join(_("Event %(n)s, %(field)s: %(detail)s", n=p["eventIndex"],
                       field=p["field"], detail=p["detail"]) for p in refused[:10])
    more = _(" … and %(n)s more.", n=len(refused) - 10) if len(refused) > 10 else ""
    return _("Nothing was captured: %(problems)s", problems=head) + more


def _checked(s: Session, org: Organization, events: list, context: Any, problems: dict,
             lots: EventLots) -> tuple[list[tuple[int, NewEvent]], list[dict]]:
    """The events to store and the reports of those refused."""
    new, refused = [], []
    read = _read(events, context, problems, refused)
    # An event sent without an eventID is named by its hash: the same event sent again
    # has the same one.
    held = known_event_ids(s, (found.event_id for _i, _e, found in read))
    keep_context = _own_context(context)
    for index, event, found in read:
        if found.event_id in held:
            refused.append(_again(index, found.event_id))
            continue
        ids, refusal = lots.check(index, event)
        if refusal is not None:
            refused.append(refusal)
            continue
        stored = dict(event)
        if keep_context and "@context" not in stored:
            stored["@context"] = keep_context
        new.append((index, NewEvent(stored, org.id, org.province_code, lots=ids,
                                    indexed=found)))
    return new, refused


def _read(events: list, context: Any, problems: dict, refused: list[dict]) -> list[tuple]:
    """(index, event, its columns) of each event valid by GS1's schema whose prefixes
    are declared, once per eventID; the reports of the others added to `refused`."""
    prefixes = _declared(context)
    read, seen = [], set()
    for index, event in enumerate(events):
        if problems.get(index):
            p = problems[index][0]
            refused.append(report(index, p.field, p.message))
            continue
        word = _undeclared(event, prefixes | _declared(event.get("@context")))
        if word is not None:
            refused.append(report(index, f"epcisBody.eventList[{index}].{word[0]}", _(
                "%(value)s uses the prefix %(prefix)s, which the document's @context does "
                "not declare.", value=word[1], prefix=word[1].split(":")[0])))
            continue
        found = index_event(event, context)
        if found.event_id in seen:
            refused.append(_again(index, found.event_id))
            continue
        seen.add(found.event_id)
        read.append((index, event, found))
    return read


def _again(index: int, event_id: str) -> dict:
    return report(index, f"epcisBody.eventList[{index}].eventID", _(
        "the event %(id)s is already in the repository; send a correction as a new event "
        "with an errorDeclaration.", id=event_id))


def _acted(s: Session, user: User, lots: EventLots, new: list[tuple[int, NewEvent]],
           refused: list[dict]) -> list[NewEvent]:
    """Do the chain action of each event that says one (epcis_actions.py), in document
    order; the events to store, those refused by the chain reported instead."""
    kept = []
    for index, event in new:
        try:
            made = act(s, user, lots, event.document)
        except Refused as no:
            refused.append(report(index, f"epcisBody.eventList[{index}].{no.field}",
                                  no.detail))
            continue
        if made and event.document.get("type") == "TransformationEvent":
            lots.made()     # its output lots may be named by the events after it
        event.lots = sorted(set(event.lots) | set(made))
        kept.append(event)
    return kept


def _declared(context: Any) -> set[str]:
    """The prefixes a JSON-LD @context declares (GS1's own context's included)."""
    found = set(_KNOWN_PREFIXES)
    for item in context if isinstance(context, list) else [context]:
        if isinstance(item, dict):
            found |= {k for k, v in item.items() if isinstance(v, str)}
    return found


def _own_context(context: Any) -> list | None:
    """The document's @context entries beyond GS1's, kept with each event so that its
    prefixes still mean the same when it is served again."""
    items = context if isinstance(context, list) else [context]
    own = [c for c in items if isinstance(c, dict) and c]
    return own or None


def _undeclared(event: dict, prefixes: set[str]) -> tuple[str, str] | None:
    """(field, value) of a compact IRI key or vocabulary value with an unknown prefix."""
    for key in event:
        if ":" in key and not key.startswith("@") and key.split(":")[0] not in prefixes:
            return key, key
    for field in ("bizStep", "disposition"):
        value = event.get(field)
        if isinstance(value, str) and ":" in value and value.split(":")[0] not in prefixes:
            return field, value
    return None


def capture_job(actor: User | None, capture_id: int) -> EpcisCapture:
    """A capture job of the actor's organisation (an official's province, an admin's)."""
    user = permissions.require_login(actor)
    job = session().get(EpcisCapture, capture_id)
    if job is None or not _may_see(user, job):
        raise NoSuchResourceException(_("There is no capture job %(id)s.", id=capture_id))
    return job


def capture_jobs(actor: User | None, limit: int = 100) -> list[EpcisCapture]:
    user = permissions.require_login(actor)
    stmt = select(EpcisCapture).join(Organization,
                                     Organization.id == EpcisCapture.organization_id)
    stmt = stmt.where(permissions.owner_filter(user, EpcisCapture.organization_id,
                                               Organization.province_code))
    return list(session().scalars(stmt.order_by(EpcisCapture.id.desc()).limit(limit)))


def _may_see(user: User, job: EpcisCapture) -> bool:
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.OFFICIAL:
        return session().get(Organization, job.organization_id).province_code \
            == user.province_code
    return job.organization_id == user.organization_id
