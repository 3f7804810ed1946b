"""The EPCIS 2.0 query interface by GS1's REST binding, at /epcis: events with the
standard's query parameters, the top-level resources (event types, EPCs, business
steps, locations, read points, dispositions) and their events, one event by its ID.

The binding's contract is GS1's own OpenAPI document (agritrace/epcis/rest/), not ours,
so these routes stay out of /api/v1/openapi.json. Errors are problem+json whose type is
the standard's exception (`epcisException:QueryParameterException`…)."""
from __future__ import annotations

import json
import re
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.routing import PathConverter

from ..auth import current_actor
from ..epcis import exceptions as ex
from ..epcis.vocabulary import CONTEXT, NAMESPACE
from ..errors import DomainError
from ..services import epcis_browse, epcis_query

PREFIX = "/epcis"
blp = Blueprint("api_epcis", __name__)
VERSION, CBV_VERSION = "2.0.0", "2.0.0"
HEADERS = {"GS1-EPCIS-Version": VERSION, "GS1-CBV-Version": CBV_VERSION,
           "GS1-Extensions": f"agritrace={NAMESPACE}"}
# What GS1-Extensions may name: our own extension, by prefix or namespace, and GS1's
# own vocabularies.
KNOWN_EXTENSIONS = frozenset({"agritrace", NAMESPACE, NAMESPACE.rstrip("/"), "gs1", "cbv",
                              "epcis", "https://ref.gs1.org/cbv/", "https://gs1.org/voc/",
                              "https://ref.gs1.org/epcis/"})
EVENT_TYPES = ["ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent",
               "AssociationEvent"]
TOP_LEVEL = ["events", "eventTypes", "epcs", "bizSteps", "bizLocations", "readPoints",
             "dispositions", "capture", "queries"]
# The top-level resource -> the query parameter its /{value}/events stands for.
RESOURCES = {"eventTypes": "eventType", "epcs": "MATCH_anyEPC", "bizSteps": "EQ_bizStep",
             "bizLocations": "EQ_bizLocation", "readPoints": "EQ_readPoint",
             "dispositions": "EQ_disposition"}
_DOMAIN = {401: ex.SecurityException, 403: ex.ForbiddenException,
           404: ex.NoSuchResourceException, 409: ex.DuplicateNameException,
           413: ex.CaptureLimitExceededException, 415: ex.UnsupportedMediaTypeException}


def reply(body, status: int = 200, headers: dict | None = None,
          mimetype: str = "application/json") -> Response:
    data = "" if body is None else json.dumps(body, ensure_ascii=False)
    return Response(data, status=status, mimetype=mimetype if body is not None else None,
                    headers={**HEADERS, **(headers or {})})


def epcis_problem(exc: ex.EpcisException) -> Response:
    body = {"type": exc.type, "title": exc.name, "status": exc.status, "detail": exc.detail}
    if exc.errors:
        body["errors"] = exc.errors
    return reply(body, exc.status, exc.headers, mimetype="application/problem+json")


def domain_problem(exc: DomainError) -> Response:
    kind = _DOMAIN.get(exc.status, ex.ValidationException)
    return epcis_problem(kind(exc.detail, exc.errors))


def http_problem(exc: HTTPException) -> Response:
    kind = _DOMAIN.get(exc.code or 500, ex.ImplementationException)
    if exc.code == 405:
        kind = type("MethodNotAllowed", (ex.EpcisException,), {"status": 405,
                                                               "name": "MethodNotAllowed"})
    elif exc.code == 400:
        kind = ex.ValidationException
    detail = exc.description if exc.code != 404 else _("There is nothing at this address.")
    return epcis_problem(kind(str(detail), headers=dict(exc.get_headers()) if exc.code == 405
                              else None))


def unexpected(exc: Exception) -> Response:
    """An error nothing foresaw, as an ImplementationException. The app's own handler
    for it still runs first: it logs the error, and says 503 when the database or its
    disk is away."""
    said = current_app._find_error_handler(exc, [])(exc)
    status = said[1] if isinstance(said, tuple) else 500
    detail = said[0].get("detail") if isinstance(said, tuple) and isinstance(said[0], dict) \
        else None
    problem = ex.ImplementationException(detail or _("Something went wrong on our side. It "
                                                     "has been logged."))
    problem.status = status
    return epcis_problem(problem)


def register_errors(blueprint: Blueprint) -> None:
    blueprint.register_error_handler(Exception, unexpected)
    blueprint.register_error_handler(ex.EpcisException, epcis_problem)
    blueprint.register_error_handler(DomainError, domain_problem)
    blueprint.register_error_handler(HTTPException, http_problem)
    blueprint.before_request(check_versions)
    blueprint.before_request(check_extensions)
    blueprint.after_request(discovery)



DOCUMENT = {"description": "An EPCISDocument (EPCIS 2.0 JSON-LD), valid against GS1's "
                           "EPCIS 2.0 JSON Schema.",
            "content": {"application/ld+json": {"schema": {"type": "object"}}}}


def document_response(doc: dict, *, filename: str | None = None) -> Response:
    """A document of the /api/v1 exports (a batch's diary, a lot's chain)."""
    headers = {k: HEADERS[k] for k in ("GS1-EPCIS-Version", "GS1-CBV-Version")}
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(json.dumps(doc, ensure_ascii=False, indent=1),
                    mimetype="application/ld+json", headers=headers)


def _version(text: str) -> tuple:
    parts = re.findall(r"\d+", text or "")
    return tuple(int(p) for p in parts[:3]) + (0,) * (3 - len(parts[:3]))


def check_versions() -> None:
    """GS1-EPCIS-Version/-Min/-Max and GS1-CBV-…: 406 when 2.0.0 is not among them."""
    ours = (2, 0, 0)
    for kind in ("EPCIS", "CBV"):
        exact = request.headers.get(f"GS1-{kind}-Version")
        least = request.headers.get(f"GS1-{kind}-Min")
        most = request.headers.get(f"GS1-{kind}-Max")
        if (exact and _version(exact)[:2] != ours[:2]) or (least and _version(least) > ours) \
                or (most and _version(most) < ours):
            raise ex.NotAcceptableException(_(
                "This repository speaks EPCIS and CBV %(version)s only.", version=VERSION))


def check_extensions() -> None:
    """GS1-Extensions on a request names the extensions the client needs (`prefix=
    namespace`, comma-separated): 406 naming any this repository does not speak. It
    speaks its own and GS1's; a captured event may still carry any extension its
    document's @context declares, kept as it came."""
    for item in filter(None, (i.strip() for i in
                              request.headers.get("GS1-Extensions", "").split(","))):
        prefix, eq, namespace = item.partition("=")
        if (namespace if eq else prefix).strip() not in KNOWN_EXTENSIONS:
            raise ex.NotAcceptableException(_(
                "This repository does not support the extension %(extension)s named in "
                "GS1-Extensions; it supports %(ours)s.", extension=item,
                ours=HEADERS["GS1-Extensions"]))


def discovery(response: Response) -> Response:
    """OPTIONS answers 204 with the methods allowed, as the binding says."""
    if request.method == "OPTIONS" and response.status_code == 200:
        response.status_code = 204
        response.set_data(b"")
        for key, value in HEADERS.items():
            response.headers[key] = value
    return response


register_errors(blp)


class AnyText(PathConverter):
    """A path's rest, whatever it holds: an identifier with a line break in it is still
    an EPC or event ID this repository answers for (404 in the binding's words), not
    an address of no route."""
    regex = r"[^/][\s\S]*?"


blp.record_once(lambda state: state.app.url_map.converters.setdefault("epcis_text", AnyText))


def query_args() -> dict:
    return {name: request.args.getlist(name) for name in request.args}


def query_document(events, *, query_name: str = "SimpleEventQuery") -> dict:
    """An EPCISQueryDocument of stored events: each as captured, its recordTime (and
    eventID, when it came without one) added, the @context it came with lifted to the
    document's."""
    context = [c if isinstance(c, str) else dict(c) for c in CONTEXT]
    out = []
    for row in events:
        event = dict(row.document)
        for item in event.pop("@context", None) or []:
            if item not in context:
                context.append(item)
        # An event captured without an eventID is named by its CBV 2.0 event hash.
        event.setdefault("eventID", row.event_id)
        event["recordTime"] = row.record_time.isoformat(timespec="milliseconds")
        out.append(event)
    from ..clock import now
    return {"@context": context, "type": "EPCISQueryDocument", "schemaVersion": "2.0",
            "creationDate": now().isoformat(timespec="milliseconds"),
            "epcisBody": {"queryResults": {"queryName": query_name,
                                           "resultsBody": {"eventList": out}}}}


def events_reply(params: dict, *, query_name: str = "SimpleEventQuery") -> Response:
    rows, next_offset = epcis_browse.page(current_actor(), params)
    headers = {}
    if next_offset is not None:
        args = {k: v for k, v in request.args.items(multi=True) if k != "nextPageToken"}
        args = list(args.items()) + [("nextPageToken", str(next_offset))]
        headers["Link"] = f'<{request.base_url}?{urlencode(args)}>; rel="next"'
    wants_ld = request.accept_mimetypes.best_match(
        ["application/json", "application/ld+json"]) == "application/ld+json" \
        and request.accept_mimetypes["application/ld+json"] > \
        request.accept_mimetypes["application/json"]
    return reply(query_document(rows, query_name=query_name), headers=headers,
                 mimetype="application/ld+json" if wants_ld else "application/json")


def collection(members: list) -> dict:
    return {"@context": [c if isinstance(c, str) else dict(c) for c in CONTEXT],
            "type": "Collection", "member": members}


@blp.route("/", methods=["GET"])
def top_level():
    epcis_query.visible(current_actor())
    return reply(collection(TOP_LEVEL))


@blp.route("/events", methods=["GET"])
def events():
    """Events by the standard's query parameters (all of them, pipe-delimited or
    repeated), oldest first unless orderBy says otherwise; perPage (at most 10,000,
    default 30) and the Link header's nextPageToken page them."""
    return events_reply(query_args())


@blp.route("/events/<epcis_text:event_id>", methods=["GET"])
def event(event_id: str):
    row = epcis_browse.one_event(current_actor(), event_id)
    return reply(query_document([row]))


@blp.route("/eventTypes", methods=["GET"])
def event_types():
    epcis_query.visible(current_actor())
    return reply(collection(EVENT_TYPES))


@blp.route("/<any(eventTypes, epcs, bizSteps, bizLocations, readPoints, dispositions):kind>",
           methods=["GET"])
def values_of(kind: str):
    found = epcis_browse.distinct_values(current_actor(), kind)
    return reply(collection(found))


@blp.route("/<any(eventTypes, epcs, bizSteps, bizLocations, readPoints, dispositions):kind>"
           "/<epcis_text:value>", methods=["GET"])
def resource(kind: str, value: str):
    epcis_query.visible(current_actor())
    if value.endswith("/events"):
        return events_reply({**query_args(), RESOURCES[kind]: [value[:-len("/events")]]})
    if kind == "eventTypes" and value not in EVENT_TYPES and ":" not in value:
        raise ex.NoSuchResourceException(_("%(value)s is not an event type.", value=value))
    return reply(collection(["events"]))


@blp.route("/nextPageToken/<epcis_text:token>", methods=["DELETE"])
def forget_token(token: str):
    """Page tokens are positions, nothing kept on the server: there is nothing to
    invalidate."""
    epcis_query.visible(current_actor())
    return reply(None, 204)
