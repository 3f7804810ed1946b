"""What the field app's offline queue sends (see the field contract): a list of entries,
each with a key made on the phone, and the payload of each kind. A payload is checked
by the same schemas as the online forms and API (EventIn for the diary, BatchIn's
fields for a harvest, AreaIn's for a walked boundary)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from gis.walk import DEFAULT_ACCURACY_M

from ..models import EntryKind
from .areas import CROP
from .batches import LOT_CODE, QUANTITY, UNITS
from .common import Id, StrictSchema, Text
from .diary import EventIn

MAX_ENTRIES = 100
MAX_FIXES = 5000
MAX_PHOTOS_PER_ENTRY = 10
POINT_KINDS = ("packing_house", "observation")


class EntryIn(StrictSchema):
    key = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(
        [k.value for k in EntryKind], error=_l("Unknown kind of entry: must be one of "
                                               "diary, harvest, boundary or point.")))
    made_at = fields.AwareDateTime(allow_none=True, load_default=None)
    payload = fields.Dict(keys=fields.String(), required=True)


class DiaryPayload(EventIn):
    """A diary entry as POST /api/v1/diary takes it, with the keys of its photos."""
    photo_keys = fields.List(fields.UUID(), load_default=list, validate=validate.Length(
        max=MAX_PHOTOS_PER_ENTRY))


class HarvestPayload(StrictSchema):
    """A harvest batch; without a lot code the server gives one."""
    area_ids = fields.List(Id(), required=True, validate=validate.Length(
        1, 200, error=_l("Name the growing areas the batch comes from (at least one).")))
    product_id = Id(required=True)
    lot_code = fields.String(load_default=None, **LOT_CODE)
    quantity = fields.Float(required=True, validate=QUANTITY)
    unit = fields.String(load_default="KGM", validate=validate.OneOf(list(UNITS)))
    harvest_date = fields.Date(required=True)


class FixIn(StrictSchema):
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    accuracy = fields.Float(allow_none=True, load_default=None,
                            validate=validate.Range(min=0))
    t = fields.Float(allow_none=True, load_default=None)


class BoundaryPayload(StrictSchema):
    """A walked boundary, saved as a draft growing area."""
    name = Text(required=True, min_length=1, max_length=200)
    crop = Text(required=True, **CROP)
    fixes = fields.List(fields.Nested(FixIn), required=True,
                        validate=validate.Length(max=MAX_FIXES))
    accuracy_limit_m = fields.Float(load_default=DEFAULT_ACCURACY_M,
                                    validate=validate.Range(1, 100))


class PointPayload(StrictSchema):
    """A marked point: a packing house (a pending facility) or a field observation."""
    kind = fields.String(required=True, validate=validate.OneOf(POINT_KINDS))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    accuracy = fields.Float(allow_none=True, load_default=None,
                            validate=validate.Range(min=0))
    name = Text(max_length=200, load_default=None)
    note = Text(max_length=500, load_default="")


PAYLOADS = {EntryKind.DIARY: DiaryPayload, EntryKind.HARVEST: HarvestPayload,
            EntryKind.BOUNDARY: BoundaryPayload, EntryKind.POINT: PointPayload}


class DeviceIn(StrictSchema):
    """Signing a phone in: e-mail and password, or a signed-in session (then only the
    name)."""
    email = fields.String(load_default=None, validate=validate.Length(max=254))
    password = fields.String(load_default=None, validate=validate.Length(max=200))
    name = Text(load_default="", max_length=100)
    csrf_token = fields.String(load_default=None)
