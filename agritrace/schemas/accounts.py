from __future__ import annotations

from marshmallow import fields

from .. import units
from ..models import Role, TokenScope
from .common import StrictSchema, Text


class UserOut(StrictSchema):
    id = fields.Integer()
    email = fields.String()
    full_name = fields.String()
    role = fields.Enum(Role, by_value=True)
    organization_id = fields.Integer(allow_none=True)
    organization_name = fields.Function(
        lambda u: u.organization.name if u.organization else None)
    province_code = fields.Integer(allow_none=True)
    province_name = fields.Function(lambda u: units.province_name(u.province_code) or None)


class TokenIn(StrictSchema):
    name = Text(required=True, min_length=1, max_length=100)
    scope = fields.Enum(TokenScope, by_value=True, load_default=TokenScope.READ)


class TokenOut(StrictSchema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    scope = fields.Enum(TokenScope, by_value=True)
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)


class TokenCreated(TokenOut):
    token = fields.String(metadata={"description": "The secret; shown once, never again."})
