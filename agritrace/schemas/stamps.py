"""Stamp orders and runs (tem truy xuất nguồn gốc) at the API and form boundary."""
from __future__ import annotations

from flask import current_app
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates

from labels.templates import TEMPLATES

from ..models import OrderStatus, RunStatus
from .common import Id, PageQuery, StrictSchema, Text


class OrderIn(StrictSchema):
    batch_id = Id(required=True)
    quantity = fields.Integer(required=True, strict=True, metadata={
        "description": "Number of stamps, 1 … STAMP_RUN_LIMIT (5,000,000 by default); "
                       "above 50,000 the run is minted in the background"})
    pin = fields.Boolean(load_default=False, metadata={
        "description": "Give every stamp a scratch-off PIN (printed on a separate sheet)"})

    @validates("quantity")
    def _in_range(self, value, **kwargs):
        limit = current_app.config["STAMP_RUN_LIMIT"]
        if not 1 <= value <= limit:
            raise ValidationError(str(_l("Order between 1 and %(limit)s stamps.",
                                         limit=format_decimal(limit))))


class OrderOut(StrictSchema):
    id = fields.Integer()
    batch_id = fields.Integer()
    quantity = fields.Integer()
    pin = fields.Boolean(attribute="pin_enabled")
    status = fields.Enum(OrderStatus, by_value=True)
    minted = fields.Integer(metadata={"description": "Stamps minted so far"})
    run_id = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class RunOut(StrictSchema):
    id = fields.Integer()
    batch_id = fields.Integer()
    lot_code = fields.Function(lambda r: r.batch.lot_code)
    product_name = fields.Function(lambda r: r.batch.product.name)
    quantity = fields.Integer()
    status = fields.Enum(RunStatus, by_value=True)
    pin = fields.Boolean(attribute="pin_enabled")
    print_formats = fields.List(fields.String())
    activated_at = fields.DateTime(allow_none=True)
    voided_at = fields.DateTime(allow_none=True)
    void_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()


class RunQuery(PageQuery):
    batch_id = Id()
    status = fields.Enum(RunStatus, by_value=True)


class VoidIn(StrictSchema):
    reason = Text(required=True, min_length=3, max_length=1000)


class LabelsQuery(StrictSchema):
    format = fields.String(load_default="pdf", validate=validate.OneOf(
        ["pdf", "pins-pdf", "csv", "svg-zip"]))
    template = fields.String(load_default="a4-3x8", validate=validate.OneOf(
        sorted(TEMPLATES)), metadata={
        "description": "Label sheet: A4 3×8 (70×37 mm), A4 5×13 (38×21.2 mm) or a roll "
                       "of 30×20 mm labels"})
