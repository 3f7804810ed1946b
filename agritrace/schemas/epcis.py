"""EPCIS 2.0 exchange (the farming diary as GS1 events) at the API boundary."""
from __future__ import annotations

from marshmallow import fields

from .common import StrictSchema
from .diary import EventOut


class DocumentUpload(StrictSchema):
    document = fields.Raw(metadata={"type": "string", "format": "binary"})


class EpcisImportOut(StrictSchema):
    imported = fields.Function(lambda r: len(r["imported"]))
    skipped = fields.List(fields.String(), metadata={
        "description": "eventIDs already in the batch's diary, left as they were"})
    events = fields.Function(lambda r: EventOut(many=True).dump(r["imported"]))
