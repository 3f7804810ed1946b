"""The query parameters of /ogc, loaded through marshmallow at the boundary.

OGC API – Features asks for a 400 on a parameter the API does not define
(/req/core/query-param-unknown) or a value it cannot use
(/req/core/query-param-invalid); both come back with the parameter named and
what would have been right. One exception, also the standard's
(/req/core/fc-limit-response-1 C): a `limit` above the maximum is not an error,
the maximum is used instead.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask import current_app
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, post_load, validate
from werkzeug.datastructures import MultiDict

from .. import units
from ..errors import DomainError
from ..models import AreaStatus, FacilityKind, FacilityStatus
from ..schemas.common import MAX_INT32, StrictSchema, Text
from ..schemas.messages import localize

LIMIT_DEFAULT = 10
LIMIT_MAX = 1000


class InvalidParameter(DomainError):
    """A query parameter the API does not define, or a value it cannot use: 400."""
    status = 400


@dataclass(frozen=True)
class BBox:
    """A bounding box in CRS84 (longitude, latitude). A west edge east of the east
    edge crosses the antimeridian, as the standard allows."""
    west: float
    south: float
    east: float
    north: float

    def envelopes(self) -> list[tuple[float, float, float, float]]:
        if self.west <= self.east:
            return [(self.west, self.south, self.east, self.north)]
        return [(self.west, self.south, 180.0, self.north),
                (-180.0, self.south, self.east, self.north)]


@dataclass(frozen=True)
class Interval:
    """A time interval; None for an open end."""
    start: datetime | None
    end: datetime | None


class BBoxField(fields.Field):
    """`bbox=minLon,minLat,maxLon,maxLat` (or six numbers, with heights, which are
    ignored: nothing here has a height)."""

    def _deserialize(self, value, attr, data, **kwargs) -> BBox:
        parts = str(value).split(",")
        if len(parts) not in (4, 6):
            raise ValidationError(_("Give four numbers separated by commas: west longitude, "
                                    "south latitude, east longitude, north latitude."))
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            raise ValidationError(
                _("Every value must be a number, like 106.2,10.4,106.6,10.7.")) from None
        if not all(math.isfinite(n) for n in numbers):
            raise ValidationError(_("Every value must be a finite number."))
        if len(numbers) == 6:
            numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
        west, south, east, north = numbers
        if not (-180 <= west <= 180 and -180 <= east <= 180):
            raise ValidationError(_("Longitudes must be between -180 and 180."))
        if not (-90 <= south <= 90 and -90 <= north <= 90):
            raise ValidationError(_("Latitudes must be between -90 and 90."))
        if south > north:
            raise ValidationError(_("The south latitude must not be north of the north "
                                    "latitude (the order is west, south, east, north)."))
        return BBox(west, south, east, north)


def _instant(text: str, *, end: bool) -> datetime:
    """An RFC 3339 date-time, or a date standing for its whole day (UTC). A date-time
    without an offset is read as UTC."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time(), timezone.utc)
            return moment + timedelta(days=1) - timedelta(microseconds=1) if end else moment
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValidationError(_("%(value)s is not a date-time like 2025-06-01T00:00:00Z or a "
                                "date like 2025-06-01.", value=text)) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class IntervalField(fields.Field):
    """`datetime=` an instant, or `start/end` with `..` or nothing for an open end."""

    def _deserialize(self, value, attr, data, **kwargs) -> Interval:
        value = str(value)
        if "/" not in value:
            return Interval(_instant(value, end=False), _instant(value, end=True))
        if value.count("/") > 1:
            raise ValidationError(_("Give one instant, or a start and an end separated by /."))
        first, second = value.split("/")
        start = None if first in ("", "..") else _instant(first, end=False)
        end = None if second in ("", "..") else _instant(second, end=True)
        if start is None and end is None:
            raise ValidationError(_("At least one end of the interval must be a date-time."))
        if start and end and start > end:
            raise ValidationError(_("The start of the interval is after its end."))
        return Interval(start, end)


class ProvinceField(fields.Field):
    """A province by its code (80) or its name (Tây Ninh), as the `province` and
    `province_code` properties show it."""

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        value = str(value).strip()
        if value.isdigit() and units.is_province(int(value)):
            return int(value)
        for unit in units.provinces():
            if unit.name.casefold() == value.casefold():
                return unit.code
        raise ValidationError(_("Not one of the 34 provinces: give its code (like 80) or its "
                                "name (like Tây Ninh)."))


def _languages(value: str) -> None:
    if value not in current_app.config["LANGUAGES"]:
        raise ValidationError(_("Must be one of: %(choices)s.",
                                choices=", ".join(current_app.config["LANGUAGES"])))


class DocumentQuery(StrictSchema):
    """Every resource: the format (`f`) and the language switch of the pages (`lang`)."""
    f = fields.String(validate=validate.OneOf(("json", "html")))
    lang = fields.String(validate=_languages)


class ItemsQuery(DocumentQuery):
    bbox = BBoxField()
    datetime = IntervalField()
    limit = fields.Integer(load_default=LIMIT_DEFAULT, validate=validate.Range(min=1))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, MAX_INT32))

    @post_load
    def _cap_limit(self, data, **kwargs):
        data["limit"] = min(data["limit"], LIMIT_MAX)
        return data


class AreaItemsQuery(ItemsQuery):
    crop = Text(min_length=1, max_length=100)
    status = fields.String(validate=validate.OneOf([s.value for s in AreaStatus]))
    province = ProvinceField()


class FacilityItemsQuery(ItemsQuery):
    kind = fields.String(validate=validate.OneOf([k.value for k in FacilityKind]))
    status = fields.String(validate=validate.OneOf([s.value for s in FacilityStatus]))
    province = ProvinceField()


def load(schema: type[Schema], args: MultiDict) -> dict:
    """The request's query loaded through `schema`; InvalidParameter (400) naming
    each parameter that is unknown, repeated or wrong."""
    known = schema().fields
    errors: dict[str, list[str]] = {}
    unknown = [name for name in args if name not in known]
    for name in unknown:
        errors[name] = [_("This endpoint has no such parameter.")]
    for name, values in args.lists():
        if name in known and len(values) > 1:
            errors[name] = [_("Give this parameter once.")]
    if not errors:
        try:
            return schema().load(args.to_dict())
        except ValidationError as exc:
            errors = localize(exc.messages)
    if unknown:
        detail = _("Unknown query parameter %(names)s; this address accepts %(known)s.",
                   names=", ".join(unknown), known=", ".join(known))
    else:
        detail = _("Some query parameters are not right: %(problems)s",
                   problems="; ".join(f"{name}: {' '.join(map(str, problems))}"
                                      for name, problems in errors.items()))
    raise InvalidParameter(detail, errors)

