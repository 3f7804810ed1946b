"""The farming diary (nhật ký canh tác) in GS1 EPCIS 2.0 JSON-LD, both ways.

Pure conversion: plain dataclasses and dicts in and out, no web request and no
database session, so that any layer can call it.

- `export_document` writes diary entries (`DiaryEvent`) as an EPCISDocument;
- `read_document` reads one back into dicts ready for the diary service;
- `validate_document` checks any parsed document against GS1's JSON Schema;
- `vocabulary` maps our steps and dispositions to CBV 2.0 and builds the URIs of
  lots and places.
"""
from .document import DiaryEvent, event_id, export_document
from .reading import read_document
from .schema import EpcisError, EpcisProblem, validate_document
from .vocabulary import (CONTEXT_PREFIX, NAMESPACE, area_uri, facility_uri, lot_uri,
                         parse_lot_uri)

__all__ = [
    "CONTEXT_PREFIX", "NAMESPACE", "DiaryEvent", "EpcisError", "EpcisProblem", "area_uri",
    "event_id", "export_document", "facility_uri", "lot_uri", "parse_lot_uri", "read_document",
    "validate_document",
]
