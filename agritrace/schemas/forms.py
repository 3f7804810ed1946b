"""Schemas for HTML form posts (the API's schemas are reused where the fields match)."""
from __future__ import annotations

from marshmallow import EXCLUDE, fields, validate

from ..models import Role
from .common import ProvinceCode, StrictSchema, Text


class FormSchema(StrictSchema):
    class Meta:
        unknown = EXCLUDE  # the CSRF token and submit buttons ride along


class LoginForm(FormSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ReviewForm(FormSchema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    reason = Text(max_length=1000, load_default=None)


class UserForm(FormSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    full_name = Text(required=True, min_length=2, max_length=200)
    password = fields.String(required=True, validate=validate.Length(max=200))
    role = fields.Enum(Role, by_value=True, required=True)
    organization_id = fields.Integer(load_default=None, allow_none=True)
    province_code = ProvinceCode(load_default=None, allow_none=True)
