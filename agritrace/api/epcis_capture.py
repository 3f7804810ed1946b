"""The EPCIS 2.0 capture interface and named queries by GS1's REST binding, at /epcis:
POST /capture (a document, as a capture job), GET /capture and /capture/{captureID},
POST /events (one event), and /queries with /queries/{queryName}/events."""
from __future__ import annotations

import json
from urllib.parse import quote

from flask import Blueprint, current_app, request
from flask_babel import gettext as _

from ..auth import current_actor
from ..epcis import exceptions as ex
from ..services import epcis_capture, epcis_queries
from .epcis import PREFIX, events_reply, query_args, query_document, register_errors, reply

blp = Blueprint("api_epcis_capture", __name__)
register_errors(blp)
JSON_TYPES = ("application/json", "application/ld+json")

__all__ = ["PREFIX", "blp"]


def size_limit() -> int:
    """The largest document accepted, in bytes (EPCIS_CAPTURE_MAX_MB)."""
    return int(float(current_app.config["EPCIS_CAPTURE_MAX_MB"]) * 1024 * 1024)


def limits() -> dict:
    return {"GS1-EPCIS-Capture-Limit": str(epcis_capture.MAX_EVENTS),
            "GS1-EPCIS-Capture-File-Size-Limit": str(size_limit())}


def body() -> bytes:
    """The request's JSON body, refused when too large or not JSON."""
    limit = size_limit()
    if (request.content_length or 0) > limit:
        raise ex.CaptureLimitExceededException(_(
            "The document is %(size)s bytes; this repository accepts at most %(limit)s bytes "
            "at a time. Split it into several captures.", size=request.content_length,
            limit=limit), headers=limits())
    if request.mimetype not in JSON_TYPES:
        raise ex.UnsupportedMediaTypeException(_(
            "Send the document as application/json or application/ld+json."))
    data = request.get_data(cache=False)
    if len(data) > limit:
        raise ex.CaptureLimitExceededException(_(
            "The document is over %(limit)s bytes; split it into several captures.",
            limit=limit), headers=limits())
    return data


def job_out(job) -> dict:
    out = {"captureID": str(job.id), "createdAt": job.created_at.isoformat(),
           "running": job.running, "success": bool(job.success),
           "captureErrorBehaviour": job.error_behaviour.value, "errors": job.errors}
    if job.finished_at is not None:
        out["finishedAt"] = job.finished_at.isoformat()
    return out


@blp.route("/capture", methods=["POST"])
def capture():
    """Capture an EPCISDocument: 202 and the job's address in Location."""
    job = epcis_capture.capture(current_actor(), body(),
                                request.headers.get("GS1-Capture-Error-Behaviour"))
    return reply(None, 202, {"Location": f"{PREFIX}/capture/{job.id}", **limits()})


@blp.route("/capture", methods=["GET"])
def capture_jobs():
    return reply([job_out(j) for j in epcis_capture.capture_jobs(current_actor())],
                 headers=limits())


@blp.route("/capture/<capture_id>", methods=["GET"])
def capture_job(capture_id: str):
    if not capture_id.isdigit() or len(capture_id) > 9:
        raise ex.NoSuchResourceException(_("There is no capture job %(id)s.", id=capture_id))
    return reply(job_out(epcis_capture.capture_job(current_actor(), int(capture_id))))


@blp.route("/events", methods=["POST"])
def capture_event():
    """Capture one event (as a document of one): 201 and the event's address."""
    event = _json(body())
    if not isinstance(event, dict):
        raise ex.ValidationException(_("Send one EPCIS event, a JSON object."))
    stored = epcis_capture.capture_one(current_actor(), event)
    (answer,) = query_document([stored])["epcisBody"]["queryResults"]["resultsBody"][
        "eventList"]
    return reply(answer, 201, {"Location": f"{PREFIX}/events/{quote(stored.event_id, safe='')}"})


def _json(data: bytes):
    try:
        return json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ex.ValidationException(_("The body is not JSON: %(error)s",
                                       error=str(exc))) from None


@blp.route("/queries", methods=["POST"])
def create_query():
    data = _json(body())
    if not isinstance(data, dict):
        raise ex.QueryParameterException(_("Send {\"name\": …, \"query\": {…}}."))
    saved = epcis_queries.create_query(current_actor(), data.get("name"), data.get("query"))
    return reply(None, 201, {"Location": f"{PREFIX}/queries/{saved.name}"})


@blp.route("/queries", methods=["GET"])
def list_queries():
    return reply([{"name": q.name, "query": q.query}
                  for q in epcis_queries.list_queries(current_actor())])


@blp.route("/queries/<name>", methods=["GET"])
def get_query(name: str):
    q = epcis_queries.get_query(current_actor(), name)
    return reply({"name": q.name, "query": q.query})


@blp.route("/queries/<name>", methods=["DELETE"])
def delete_query(name: str):
    epcis_queries.delete_query(current_actor(), name)
    return reply(None, 204)


@blp.route("/queries/<name>/events", methods=["GET"])
def query_events(name: str):
    """The named query's events; the URL may add perPage and nextPageToken only."""
    q = epcis_queries.get_query(current_actor(), name)
    extra = set(request.args) - {"perPage", "nextPageToken"}
    if extra:
        raise ex.QueryParameterException(_(
            "A named query takes only perPage and nextPageToken in its URL, not %(names)s.",
            names=", ".join(sorted(extra))))
    return events_reply({**q.query, **query_args()}, query_name=name)
