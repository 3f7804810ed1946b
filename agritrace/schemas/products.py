from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_smorest.fields import Upload
from marshmallow import ValidationError, fields, validate, validates_schema

from ..clock import today
from ..models import CertScheme, Product
from ..models.products import THUMB_SUFFIX
from .common import GtinField, Id, PageQuery, PatchSchema, StrictSchema, Text


class CertificationIn(StrictSchema):
    scheme = fields.Enum(CertScheme, by_value=True, required=True)
    number = Text(required=True, max_length=100)
    issuer = Text(required=True, max_length=200)
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)

    @validates_schema
    def _order(self, data, **kwargs):
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            raise ValidationError(str(_l("The end of validity is before its start.")),
                                  "valid_until")


class CertificationOut(StrictSchema):
    scheme = fields.Enum(CertScheme, by_value=True)
    number = fields.String()
    issuer = fields.String()
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    expired = fields.Function(lambda c: not c.is_valid_on(today()))


# The mass balance of transformations: output ≤ input × yield factor.
YIELD = validate.Range(min=0, min_inclusive=False, max=10,
                       error=_l("The yield factor is above 0 and at most 10."))


class ProductIn(StrictSchema):
    organization_id = Id()
    name = Text(required=True, min_length=2, max_length=200)
    name_en = Text(allow_none=True, max_length=200)
    category = Text(required=True, min_length=2, max_length=60)
    gtin = GtinField(allow_none=True)
    ocop_stars = fields.Integer(allow_none=True, validate=validate.Range(
        3, 5, error=_l("OCOP stars go from 3 to 5.")))
    yield_factor = fields.Decimal(places=3, validate=YIELD, metadata={
        "type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 10,
        "description": "At most this much output per unit of input when "
        "the product is made from other lots (1 for grading and packing; default 1)"})
    description = Text(load_default="", max_length=5000)
    description_en = Text(load_default="", max_length=5000)
    brand = Text(allow_none=True, max_length=120)
    standards = Text(allow_none=True, max_length=300, metadata={
        "description": "Standards applied, e.g. 'TCVN 11892-1:2017; TCCS 01:2025/HTX'"})
    certifications = fields.List(fields.Nested(CertificationIn), load_default=list,
                                 validate=validate.Length(max=20))


class ProductPatch(PatchSchema):
    name = Text(min_length=2, max_length=200)
    name_en = Text(allow_none=True, max_length=200)
    category = Text(min_length=2, max_length=60)
    gtin = GtinField(allow_none=True)
    ocop_stars = fields.Integer(allow_none=True, validate=validate.Range(
        3, 5, error=_l("OCOP stars go from 3 to 5.")))
    yield_factor = fields.Decimal(places=3, validate=YIELD, metadata={
        "type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 10,
        "description": "At most this much output per unit of input when "
        "the product is made from other lots (1 for grading and packing; default 1)"})
    description = Text(max_length=5000)
    description_en = Text(max_length=5000)
    brand = Text(allow_none=True, max_length=120)
    standards = Text(allow_none=True, max_length=300)
    certifications = fields.List(fields.Nested(CertificationIn), validate=validate.Length(max=20))


def _photo_url(product: Product, suffix: str = "") -> str | None:
    if not product.image_path:
        return None
    return url_for("media.product_photo", name=product.image_path + suffix, _external=True)


class ProductOut(StrictSchema):
    id = fields.Integer()
    organization_id = fields.Integer()
    organization_name = fields.Function(lambda p: p.organization.name)
    name = fields.String()
    name_en = fields.String(allow_none=True)
    category = fields.String()
    gtin = fields.String(allow_none=True)
    ocop_stars = fields.Integer(allow_none=True)
    yield_factor = fields.Float()
    description = fields.String()
    description_en = fields.String()
    brand = fields.String(allow_none=True)
    standards = fields.String(allow_none=True)
    certifications = fields.List(fields.Nested(CertificationOut))
    photo_url = fields.Function(_photo_url, allow_none=True, metadata={
        "type": "string", "format": "uri",
        "description": "The photo, JPEG, at most 1200 px on the long side; null without one."})
    thumbnail_url = fields.Function(lambda p: _photo_url(p, THUMB_SUFFIX), allow_none=True,
                                    metadata={"type": "string", "format": "uri",
                                              "description": "The photo at 320 px."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class PhotoFile(StrictSchema):
    photo = Upload(required=True, metadata={
        "description": "A JPEG, PNG or WebP image (the type is read from the content), at "
                       "most PRODUCT_PHOTO_MAX_MB (default 8 MB) and 40 megapixels. It is "
                       "turned upright, resized and saved as JPEG without its metadata."})


class ProductQuery(PageQuery):
    organization_id = Id()
    category = Text(max_length=60)
    q = Text(max_length=100)
