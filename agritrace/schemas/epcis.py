"""EPCIS 2.0 exchange (the farming diary as GS1 events) at the API boundary."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from .common import StrictSchema
from .diary import EventOut

MAX_PER_PAGE = 10_000


class EventsQuery(StrictSchema):
    """The time window and paging of `/epcis/events`, by the names of EPCIS 2.0's
    query interface."""
    ge_event_time = fields.AwareDateTime(data_key="GE_eventTime", metadata={
        "description": "Events at or after this time (RFC 3339, with its offset)"})
    lt_event_time = fields.AwareDateTime(data_key="LT_eventTime", metadata={
        "description": "Events before this time"})
    per_page = fields.Integer(data_key="perPage", load_default=1000,
                              validate=validate.Range(1, MAX_PER_PAGE))
    next_page_token = fields.String(data_key="nextPageToken", load_default="0",
                                    validate=validate.Regexp(r"^[0-9]{1,9}$", error=_l(
                                        "Use the nextPageToken of the previous page's "
                                        "Link header.")))

    @validates_schema
    def _window_in_order(self, data, **kwargs):
        since, until = data.get("ge_event_time"), data.get("lt_event_time")
        if since and until and until <= since:
            raise ValidationError(str(_l("LT_eventTime must be later than GE_eventTime.")),
                                  "LT_eventTime")


class DocumentUpload(StrictSchema):
    document = fields.Raw(metadata={"type": "string", "format": "binary"})


class EpcisImportOut(StrictSchema):
    imported = fields.Function(lambda r: len(r["imported"]))
    skipped = fields.List(fields.String(), metadata={
        "description": "eventIDs already in the batch's diary, left as they were"})
    events = fields.Function(lambda r: EventOut(many=True).dump(r["imported"]))
