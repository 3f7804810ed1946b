"""Delivery of EPCIS subscriptions to their webhooks, run by the worker between orders
(stamp_worker.work): a transactional outbox, like the e-mail one (mailer.py).

1. `queue_new`: for each subscription that is due (a stream: always; a schedule: at
   its next time), the new events matching its query, read with its owner's rights,
   become one delivery row, and each event is marked queued for that subscription
   (unique, so never twice) in the same transaction as the delivery and the
   subscription's new high-water mark.
2. `send_due`: a due delivery is claimed (FOR UPDATE SKIP LOCKED), its events read
   again with the owner's rights of now (an organisation that lost sight of a lot
   since is not sent its events), POSTed as an EPCISQueryDocument with the
   GS1-Signature header, and marked sent in the transaction that claimed it. A worker
   that dies between the receiver's answer and the commit sends it again: at least
   once, never lost, every copy with the same Idempotency-Key header. A failure is
   retried after 1, 2, 4 … × EPCIS_WEBHOOK_RETRY_SECONDS, and given up after
   EPCIS_WEBHOOK_MAX_ATTEMPTS.

The GS1-Signature header is `sha256=` and the hex HMAC-SHA256 of the exact body with
the subscription's signatureToken as key (the binding leaves the scheme open).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import exists, func, select, text

from ..db import transaction
from ..epcis import schedule as schedules
from ..epcis.vocabulary import CONTEXT
from ..models import (DeliveryStatus, EpcisDelivery, EpcisEvent, EpcisQuery, EpcisSubscription,
                      EpcisSubscriptionEvent, User)
from .epcis_query import select_events

log = logging.getLogger(__name__)

BATCH = 500          # events per delivery
# Parameters of a named query that shape a page of results, not which events match.
PAGING = ("perPage", "nextPageToken", "eventCountLimit", "maxEventCount", "orderBy",
          "orderDirection")

RETRY = text("""
    UPDATE epcis_deliveries SET attempts = attempts + 1, last_error = :error,
           status = CASE WHEN attempts + 1 >= :max_attempts THEN 'failed' ELSE 'pending' END,
           next_attempt_at = clock_timestamp()
                             + make_interval(secs => :base * power(2, least(attempts, 20)))
    WHERE id = :id""")


def deliver() -> int:
    """The worker's step: queue what is new, then send what is due; deliveries sent."""
    queue_new()
    return send_due()


def _matching(subscription: EpcisSubscription, query: EpcisQuery, owner: User):
    params = {k: v for k, v in query.query.items() if k not in PAGING}
    queued = exists().where(EpcisSubscriptionEvent.subscription_id == subscription.id,
                            EpcisSubscriptionEvent.event_pk == EpcisEvent.id)
    stmt = select_events(owner, params).where(
        EpcisEvent.id > subscription.high_water, ~queued)
    return stmt.order_by(None).order_by(EpcisEvent.id).limit(BATCH)


def queue_new(limit: int = 100) -> int:
    """Queue the new events of up to `limit` due subscriptions; deliveries queued."""
    queued = 0
    with transaction() as s:
        due = list(s.scalars(select(EpcisSubscription).where(
            EpcisSubscription.stream | (EpcisSubscription.next_run_at <= func.now()))
            .order_by(EpcisSubscription.created_at).limit(limit)
            .with_for_update(skip_locked=True)))
        for subscription in due:
            queued += _queue_one(s, subscription)
    return queued


def _queue_one(s, subscription: EpcisSubscription) -> int:
    query = s.get(EpcisQuery, subscription.query_id)
    owner = s.get(User, query.owner_id)
    if owner is None or not owner.active:
        return 0
    events = list(s.scalars(_matching(subscription, query, owner).with_only_columns(
        EpcisEvent.id)))
    scheduled = not subscription.stream
    if scheduled:
        subscription.next_run_at = schedules.next_time(subscription.schedule,
                                                       datetime.now(timezone.utc))
    _settle(s, subscription, events)
    if not events and not (scheduled and subscription.report_if_empty):
        return 0
    delivery = EpcisDelivery(subscription_id=subscription.id)
    s.add(delivery)
    s.flush()
    s.add_all(EpcisSubscriptionEvent(subscription_id=subscription.id, event_pk=pk,
                                     delivery_id=delivery.id) for pk in events)
    return 1


def _settle(s, subscription: EpcisSubscription, events: list[int]) -> None:
    """Move the high-water mark up past events recorded long enough ago that no
    transaction holding an older id can still commit; never past what is unqueued."""
    settle = current_app.config["EPCIS_SUBSCRIPTION_SETTLE_SECONDS"]
    settled = s.scalar(select(func.max(EpcisEvent.id)).where(
        EpcisEvent.record_time < func.now() - timedelta(seconds=settle)))
    if settled is None:
        return
    if len(events) == BATCH:
        settled = min(settled, events[-1])
    if settled > subscription.high_water:
        s.execute(EpcisSubscriptionEvent.__table__.delete().where(
            EpcisSubscriptionEvent.subscription_id == subscription.id,
            EpcisSubscriptionEvent.event_pk <= settled,
            EpcisSubscriptionEvent.delivery_id.in_(select(EpcisDelivery.id).where(
                EpcisDelivery.status != DeliveryStatus.PENDING))))
        subscription.high_water = settled


def send_due(limit: int = 50) -> int:
    """Send up to `limit` deliveries that are due; return how many were received."""
    sent = 0
    for _ in range(limit):
        with transaction() as s:
            delivery = s.scalar(select(EpcisDelivery).where(
                EpcisDelivery.status == DeliveryStatus.PENDING,
                EpcisDelivery.next_attempt_at <= func.clock_timestamp())
                .order_by(EpcisDelivery.next_attempt_at, EpcisDelivery.id).limit(1)
                .with_for_update(skip_locked=True))
            if delivery is None:
                break
            error = _send(s, delivery)
            if error is None:
                delivery.status, delivery.sent_at = DeliveryStatus.SENT, func.clock_timestamp()
                delivery.attempts += 1
                s.get(EpcisSubscription, delivery.subscription_id).last_notified_at = \
                    func.clock_timestamp()
                sent += 1
            else:
                log.warning("EPCIS delivery %s: %s", delivery.id, error)
                config = current_app.config
                s.execute(RETRY, {"id": delivery.id, "error": error[:2000],
                                  "max_attempts": config["EPCIS_WEBHOOK_MAX_ATTEMPTS"],
                                  "base": config["EPCIS_WEBHOOK_RETRY_SECONDS"]})
    return sent


def _send(s, delivery: EpcisDelivery) -> str | None:
    """POST the delivery; None when the receiver took it, else why not."""
    subscription = s.get(EpcisSubscription, delivery.subscription_id)
    query = s.get(EpcisQuery, subscription.query_id)
    owner = s.get(User, query.owner_id)
    pks = select(EpcisSubscriptionEvent.event_pk).where(
        EpcisSubscriptionEvent.delivery_id == delivery.id)
    params = {k: v for k, v in query.query.items() if k not in PAGING}
    events = list(s.scalars(select_events(owner, params).where(EpcisEvent.id.in_(pks))
                            .order_by(None).order_by(EpcisEvent.id))) \
        if owner is not None and owner.active else []
    if not events and not (subscription.report_if_empty and not subscription.stream):
        return None      # nothing the owner may still read: nothing to say
    body = json.dumps(query_document(events, query.name, subscription.id),
                      ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "GS1-EPCIS-Version": "2.0.0",
               "GS1-CBV-Version": "2.0.0", "User-Agent": "AgriTrace EPCIS webhook",
               # The same on every try, for a receiver to fold a delivery sent twice.
               "Idempotency-Key": f"{subscription.id}/{delivery.id}"}
    if subscription.signature_token:
        digest = hmac.new(subscription.signature_token.encode(), body, hashlib.sha256)
        headers["GS1-Signature"] = "sha256=" + digest.hexdigest()
    request = urllib.request.Request(subscription.dest, data=body, headers=headers,
                                     method="POST")
    try:
        with urllib.request.urlopen(
                request, timeout=current_app.config["EPCIS_WEBHOOK_TIMEOUT_SECONDS"]) as answer:
            return None if 200 <= answer.status < 300 else f"HTTP {answer.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return str(exc) or exc.__class__.__name__


def query_document(events: list[EpcisEvent], query_name: str, subscription_id: str) -> dict:
    """The EPCISQueryDocument a webhook receives: the events as stored, their recordTime
    added, each one's @context lifted to the document's."""
    context = [c if isinstance(c, str) else dict(c) for c in CONTEXT]
    out = []
    for row in events:
        event = dict(row.document)
        for item in event.pop("@context", None) or []:
            if item not in context:
                context.append(item)
        event["recordTime"] = row.record_time.isoformat(timespec="milliseconds")
        out.append(event)
    return {"@context": context, "type": "EPCISQueryDocument", "schemaVersion": "2.0",
            "creationDate": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "epcisBody": {"queryResults": {"subscriptionID": subscription_id,
                                           "queryName": query_name,
                                           "resultsBody": {"eventList": out}}}}
