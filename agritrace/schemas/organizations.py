from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates

from labels.gs1 import GtinError, normalize_gtin

from .. import units
from ..models import OrgKind, OrgStatus
from .common import PageQuery, PatchSchema, ProvinceCode, StrictSchema, Text, WardCode

TAX_CODE = validate.Regexp(r"^[0-9]{10}([0-9]{3})?$",
                           error=_l("A tax code (mã số thuế) has 10 or 13 digits."))


def check_gln(value: str) -> None:
    """Validator: a GLN (an organisation's, or a place's) has 13 digits and GS1's
    mod-10 check digit, as a GTIN-13 does."""
    if len(value) != 13:
        raise ValidationError(str(_l("A GLN has 13 digits.")))
    try:
        normalize_gtin(value)
    except GtinError as exc:
        raise ValidationError(str(exc)) from exc


class OrganizationIn(StrictSchema):
    kind = fields.Enum(OrgKind, by_value=True, required=True, metadata={
        "description": "Cooperatives, enterprises, farm households, traders (thương lái), "
                       "packing houses, processors, exporters, distributors and retail "
                       "chains register themselves; agencies only through an "
                       "administrator."})
    name = Text(required=True, min_length=2, max_length=200)
    tax_code = fields.String(required=True, validate=TAX_CODE)
    gs1_company_prefix = fields.String(allow_none=True, validate=validate.Regexp(
        r"^[0-9]{6,12}$", error=_l("A GS1 company prefix has 6 to 12 digits.")))
    gln = fields.String(allow_none=True)
    address = Text(load_default="", max_length=300)
    phone = fields.String(allow_none=True, validate=validate.Regexp(
        r"^\+?[0-9 .-]{8,20}$", error=_l("Not a phone number.")))
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    province_code = ProvinceCode(required=True)
    ward_code = WardCode(allow_none=True)

    @validates("gln")
    def _gln(self, value, **kwargs):
        if value is not None:
            check_gln(value)


class OrganizationPatch(OrganizationIn, PatchSchema):
    """Any of the registration fields; loaded with partial=True."""


class OrganizationOut(StrictSchema):
    id = fields.Integer()
    kind = fields.Enum(OrgKind, by_value=True)
    name = fields.String()
    tax_code = fields.String()
    gs1_company_prefix = fields.String(allow_none=True)
    gln = fields.String(allow_none=True)
    address = fields.String()
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    province_code = fields.Integer()
    province_name = fields.Function(lambda o: units.province_name(o.province_code))
    ward_code = fields.Integer(allow_none=True)
    ward_name = fields.Function(lambda o: units.ward_name(o.ward_code))
    status = fields.Enum(OrgStatus, by_value=True)
    status_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()


class OrganizationQuery(PageQuery):
    status = fields.Enum(OrgStatus, by_value=True)
    kind = fields.Enum(OrgKind, by_value=True)
    province_code = ProvinceCode()
    q = Text(max_length=100)


class ReviewIn(StrictSchema):
    approve = fields.Boolean(required=True)
    reason = Text(allow_none=True, max_length=1000)


class AccountIn(StrictSchema):
    full_name = Text(required=True, min_length=2, max_length=200)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=200))


class RegistrationIn(StrictSchema):
    organization = fields.Nested(OrganizationIn, required=True)
    account = fields.Nested(AccountIn, required=True, metadata={
        "description": "The first producer account of the organisation (its login)."})
