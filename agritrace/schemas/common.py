from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from labels.gs1 import GtinError, normalize_gtin

from .. import units

MAX_INT32 = 2**31 - 1
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class StrictSchema(Schema):
    """Unknown fields are an error, so typos do not silently drop data."""

    class Meta:
        ordered = True


class PatchSchema(StrictSchema):
    """A partial update: at least one field must be given."""

    @validates_schema(pass_original=True)
    def _not_empty(self, data, original, **kwargs):
        if not original:
            raise ValidationError(str(_l("Give at least one field to change.")), "_schema")


class Text(fields.String):
    """A string without control characters, trimmed, and not blank when required."""

    def __init__(self, *args, max_length: int = 200, min_length: int = 0, **kwargs):
        validators = [validate.Length(min=min_length, max=max_length)]
        super().__init__(*args, validate=validators + list(kwargs.pop("validate", [])), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if _CONTROL.search(value):
            raise ValidationError(str(_l("Contains control characters.")))
        value = value.strip()
        if self.required and not value:
            raise ValidationError(str(_l("Must not be blank.")))
        return value


class ProvinceCode(fields.Integer):
    """One of the 34 provinces (post-2025 codes), listed as an enum in the spec."""

    def __init__(self, **kwargs):
        metadata = {"enum": [u.code for u in units.provinces()]}
        super().__init__(validate=validate.Range(1, 99), metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not units.is_province(value):
            raise ValidationError(str(_l("Not one of the 34 provinces.")))
        return value


class WardCode(fields.Integer):
    def __init__(self, **kwargs):
        super().__init__(validate=validate.Range(1, 99999), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if units.ward_province(value) is None:
            raise ValidationError(str(_l("Unknown ward or commune code.")))
        return value


class PageQuery(StrictSchema):
    """Every list paginates: page from 1, at most 100 items a page."""
    page = fields.Integer(load_default=1, validate=validate.Range(1, 1_000_000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(1, 100))


def offset_limit(query: dict) -> dict:
    """Turn page/page_size of a loaded query into the services' offset/limit."""
    page, size = query.pop("page"), query.pop("page_size")
    return {**query, "offset": (page - 1) * size, "limit": size}


def Id(**kwargs) -> fields.Integer:
    return fields.Integer(validate=validate.Range(1, MAX_INT32), **kwargs)


class ProblemSchema(Schema):
    """RFC 7807 problem details, as every API error is returned."""
    type = fields.String(dump_default="about:blank")
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.Dict(keys=fields.String())


class GtinField(fields.String):
    """A GTIN-8/12/13/14 with its check digit verified, loaded as GTIN-14."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalize_gtin(value)
        except GtinError as exc:
            raise ValidationError(str(exc)) from exc
