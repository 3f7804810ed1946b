"""The field app's form rules, read from the schemas the server validates with (the
diary's DETAILS, the harvest and boundary payloads), so that the phone checks offline
what the server will check, from one source: a field's type, whether it is required,
its range, length, pattern and choices, and its label in Vietnamese and English."""
from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from gis.walk import DEFAULT_ACCURACY_M, MIN_POINTS, SMOOTH_MIN, THIN_M

from ..models import DIARY_STEPS, EntryKind
from ..schemas.batches import UNITS
from ..schemas.diary import DETAILS
from ..schemas.field import MAX_ENTRIES, MAX_FIXES, MAX_PHOTOS_PER_ENTRY, PAYLOADS
from ..services.field_photos import DEFAULT_MAX_MB, LONG_SIDE_PX
from .diary import HINTS, LABELS, STEP_LABELS, STEP_NAMES

LANGUAGES = ("vi", "en")
FORM_LABELS = {"area_ids": _l("Growing areas"), "product_id": _l("Product"),
               "lot_code": _l("Lot code"), "harvest_date": _l("Harvest date"),
               "name": _l("Name"), "crop": _l("Crop"), "event_time": _l("When")}


def _both(text) -> dict:
    out = {}
    for language in LANGUAGES:
        with force_locale(language):
            out[language] = str(text)
    return out


def _type(field: fields.Field) -> str:
    for kind, name in ((fields.Integer, "integer"), (fields.Float, "number"),
                       (fields.Date, "date"), (fields.DateTime, "datetime"),
                       (fields.List, "list"), (fields.UUID, "uuid"), (fields.String, "text")):
        if isinstance(field, kind):
            return name
    return "object"


def field_rule(name: str, field: fields.Field, label=None, hint=None) -> dict:
    """One field's checks as plain values (min/max with whether they are inclusive)."""
    rule = {"name": name, "type": _type(field), "required": field.required,
            "label": _both(label or LABELS.get(name) or FORM_LABELS.get(name) or name)}
    if field.load_default not in (None, fields.missing_) and not callable(field.load_default):
        rule["default"] = field.load_default
    for check in field.validators:
        if isinstance(check, validate.Range):
            if check.min is not None:
                rule["min"], rule["min_inclusive"] = check.min, check.min_inclusive
            if check.max is not None:
                rule["max"], rule["max_inclusive"] = check.max, check.max_inclusive
        elif isinstance(check, validate.Length):
            if check.min:
                rule["min_length"] = check.min
            if check.max is not None:
                rule["max_length"] = check.max
        elif isinstance(check, validate.OneOf):
            rule["choices"] = list(check.choices)
    if "pattern" in field.metadata:
        rule["pattern"] = field.metadata["pattern"]
    if hint is not None:
        rule["hint"] = _both(hint)
    return rule


def _schema_rules(schema: type[Schema], step=None, skip=()) -> list[dict]:
    out = []
    for name, field in schema().fields.items():
        if name in skip:
            continue
        label = STEP_LABELS.get((step, name)) if step else None
        out.append(field_rule(name, field, label, HINTS.get((step, name))))
    return out


def rules() -> dict:
    """The rules document of the snapshot (GET /field/api/snapshot → rules)."""
    steps = [{"step": step.value, "label": _both(STEP_NAMES[step]), "needs": "area|batch",
              "fields": _schema_rules(DETAILS[step], step)} for step in DIARY_STEPS]
    harvest = _schema_rules(PAYLOADS[EntryKind.HARVEST])
    for rule in harvest:
        if rule["name"] == "unit":
            rule["labels"] = {code: _both(name) for code, name in UNITS.items()}
    return {"steps": steps, "harvest": {"fields": harvest},
            "boundary": {"fields": _schema_rules(PAYLOADS[EntryKind.BOUNDARY],
                                                 skip=("fixes",))}}


def limits() -> dict:
    """The numbers the phone needs: photo size, the walk's constants, queue sizes."""
    config = current_app.config
    return {"photo_max_px": LONG_SIDE_PX,
            "photo_max_bytes": int(config.get("FIELD_PHOTO_MAX_MB", DEFAULT_MAX_MB)
                                   * 1024 * 1024),
            "fix_accuracy_m": DEFAULT_ACCURACY_M, "walk_thin_m": THIN_M,
            "walk_smooth_min": SMOOTH_MIN, "walk_min_points": MIN_POINTS,
            "max_fixes": MAX_FIXES, "max_entries": MAX_ENTRIES,
            "max_body_bytes": config.get("FIELD_MAX_BODY_BYTES", 1024 * 1024),
            "max_photos_per_entry": MAX_PHOTOS_PER_ENTRY}
