"""Subscriptions to named queries, by GS1's REST binding of EPCIS 2.0:
`/epcis/queries/{queryName}/subscriptions` (POST subscribes a webhook, GET lists) and
`…/subscriptions/{subscriptionID}` (GET, DELETE). Errors are the standard's
problem+json (`epcisException:SubscriptionControlsException`…), as on /epcis.

GS1's document names only these query subscriptions; there is no subscription to
`/events` in the binding, so none here."""
from __future__ import annotations

from flask import Blueprint, request, url_for
from flask_babel import gettext as _

from ..auth import current_actor
from ..epcis.exceptions import SubscriptionControlsException
from ..services import epcis_queries
from ..services import epcis_subscriptions as service
from .epcis import register_errors, reply

blp = Blueprint("api_epcis_subscriptions", __name__)
register_errors(blp)
ROOT = "/queries/<name>/subscriptions"


@blp.post(ROOT)
def subscribe(name: str):
    body = request.get_json(silent=True)
    if body is None:
        sentence = _("Send the subscription as JSON (Content-Type: application/json).")
        raise SubscriptionControlsException(sentence, {"body": [sentence]})
    found = service.subscribe(current_actor(), name, body)
    where = url_for("api_epcis_subscriptions.subscription", name=name,
                    subscription_id=found.id, _external=True)
    query = epcis_queries.get_query(current_actor(), name)
    return reply(service.describe(found, query), 201, {"Location": where})


@blp.get(ROOT)
def subscriptions(name: str):
    found = service.list_subscriptions(current_actor(), name)
    return reply([service.describe(s) for s in found])


@blp.get(ROOT + "/<subscription_id>")
def subscription(name: str, subscription_id: str):
    actor = current_actor()
    found = service.get_subscription(actor, name, subscription_id)
    return reply(service.describe(found, epcis_queries.get_query(actor, name)))


@blp.delete(ROOT + "/<subscription_id>")
def unsubscribe(name: str, subscription_id: str):
    service.unsubscribe(current_actor(), name, subscription_id)
    return reply(None, 204)

