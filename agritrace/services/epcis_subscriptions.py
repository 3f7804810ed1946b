"""Subscriptions to a user's named EPCIS queries (/queries/{name}/subscriptions): a
webhook (`dest`) that receives each new event matching the query, signed with the
client's `signatureToken`. Delivery is services/epcis_delivery.py, run by the worker.

A subscription starts after the newest event there is: it never sends old events. A
subscription is its query owner's, and deliveries read with the owner's rights at
the time they are sent.
"""
from __future__ import annotations

import ipaddress
import socket
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import permissions
from ..db import session, transaction
from ..epcis import schedule as schedules
from ..epcis.exceptions import NoSuchSubscriptionException, SubscriptionControlsException
from ..epcis.indexing import parse_time
from ..models import EpcisEvent, EpcisQuery, EpcisSubscription, User
from . import audit
from .epcis_queries import get_query

CONTROLS = ("dest", "signatureToken", "stream", "schedule", "reportIfEmpty",
            "initialRecordTime")


def _refuse(field: str, sentence: str) -> SubscriptionControlsException:
    return SubscriptionControlsException(sentence, {field: [sentence]})


def _check_dest(dest: Any) -> str:
    """An http(s) URL; a private, loopback or link-local address only where the
    configuration allows it (else a subscription could reach inside our network)."""
    parts = urlsplit(dest) if isinstance(dest, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname \
            or len(dest) > 2000:
        raise _refuse("dest", _("dest is the http(s) URL of your webhook."))
    if current_app.config["EPCIS_WEBHOOK_PRIVATE_OK"]:
        return dest
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, None)}
    except OSError:
        raise _refuse("dest", _("The host of dest, %(host)s, cannot be found.",
                                host=parts.hostname)) from None
    if any(not ipaddress.ip_address(a.split("%")[0]).is_global for a in addresses):
        raise _refuse("dest", _("dest must be a public address on the internet."))
    return dest


def _controls(body: Any) -> dict:
    """The subscription controls, checked; SubscriptionControlsException naming the
    control at fault."""
    if not isinstance(body, dict):
        raise _refuse("body", _("Send the subscription as a JSON object."))
    unknown = sorted(set(body) - set(CONTROLS))
    if unknown:
        raise _refuse(unknown[0], _("%(name)s is not a subscription control.",
                                    name=unknown[0]))
    stream, plan = body.get("stream"), body.get("schedule")
    if stream not in (None, True, False) or not isinstance(body.get("reportIfEmpty", False),
                                                           bool):
        raise _refuse("stream", _("stream and reportIfEmpty are true or false."))
    if bool(stream) == (plan is not None):
        raise _refuse("stream", _("Give either stream: true or a schedule, not both."))
    if plan is not None:
        try:
            schedules.parse(plan)
        except schedules.ScheduleError as exc:
            raise _refuse(f"schedule.{exc.field}" if exc.field != "schedule" else "schedule",
                          _("The schedule is not valid: %(why)s", why=str(exc))) from None
    token = body.get("signatureToken")
    if token is not None and (not isinstance(token, str) or not 1 <= len(token) <= 1000):
        raise _refuse("signatureToken", _("signatureToken is a string of 1 to 1000 "
                                          "characters."))
    initial = None
    if body.get("initialRecordTime") is not None:
        try:
            initial = parse_time(str(body["initialRecordTime"]))
        except ValueError:
            raise _refuse("initialRecordTime", _("initialRecordTime is a date and time "
                                                 "with its zone.")) from None
    return {"dest": _check_dest(body.get("dest")), "signature_token": token,
            "stream": bool(stream), "schedule": plan, "initial_record_time": initial,
            "report_if_empty": bool(body.get("reportIfEmpty", False))}


def subscribe(actor: User | None, query_name: str, body: Any) -> EpcisSubscription:
    """Subscribe the query's owner's webhook to its new events."""
    user = permissions.require_write(actor)
    query = get_query(user, query_name)
    values = _controls(body)
    now = datetime.now(timezone.utc)
    with transaction() as s:
        # New events are those after the newest one now, or, when the client asks for
        # earlier ones (initialRecordTime), those recorded since that time.
        older = select(func.coalesce(func.max(EpcisEvent.id), 0))
        if values["initial_record_time"] is not None:
            older = older.where(EpcisEvent.record_time < values["initial_record_time"])
        newest = s.scalar(older)
        found = EpcisSubscription(
            id=str(uuid.uuid4()), query_id=query.id, high_water=newest,
            next_run_at=schedules.next_time(values["schedule"], now)
            if values["schedule"] else None, **values)
        s.add(found)
        s.flush()
        audit.record(s, user, "epcis_subscription", found.id, "create",
                     after={"query": query_name, "dest": values["dest"]})
    return found


def _mine(user: User, query_name: str, subscription_id: str) -> EpcisSubscription:
    query = get_query(user, query_name)
    found = session().scalar(select(EpcisSubscription).where(
        EpcisSubscription.id == subscription_id, EpcisSubscription.query_id == query.id))
    if found is None:
        raise NoSuchSubscriptionException(_("Query %(name)s has no subscription %(id)s.",
                                            name=query_name, id=subscription_id))
    return found


def get_subscription(actor: User | None, query_name: str,
                     subscription_id: str) -> EpcisSubscription:
    return _mine(permissions.require_login(actor), query_name, subscription_id)


def list_subscriptions(actor: User | None, query_name: str) -> list[EpcisSubscription]:
    query = get_query(permissions.require_login(actor), query_name)
    return list(session().scalars(select(EpcisSubscription).where(
        EpcisSubscription.query_id == query.id).order_by(EpcisSubscription.created_at)))


def unsubscribe(actor: User | None, query_name: str, subscription_id: str) -> None:
    user = permissions.require_write(actor)
    found = _mine(user, query_name, subscription_id)
    with transaction() as s:
        s.delete(s.get(EpcisSubscription, found.id))
        audit.record(s, user, "epcis_subscription", found.id, "delete",
                     before={"query": query_name, "dest": found.dest})


def describe(found: EpcisSubscription, query: EpcisQuery | None = None) -> dict:
    """The standard's view of a subscription; never its signatureToken."""
    out: dict[str, Any] = {"subscriptionID": found.id, "dest": found.dest,
                           "createdAt": _iso(found.created_at)}
    if query is not None:
        out["queryName"] = query.name
    if found.stream:
        out["stream"] = True
    else:
        out["schedule"] = found.schedule
        out["reportIfEmpty"] = found.report_if_empty
    if found.initial_record_time is not None:
        out["initialRecordTime"] = _iso(found.initial_record_time)
    if found.last_notified_at is not None:
        out["lastNotifiedAt"] = _iso(found.last_notified_at)
    return out


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
