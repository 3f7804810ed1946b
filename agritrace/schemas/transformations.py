"""Transformations, export lots and cartons at the API and form boundary."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate

from labels.digital_link import sscc_link

from ..countries import is_country
from ..models import LotOrigin, TransformationKind, UnitKind
from .batches import LOT_CODE, UNITS
from .common import Id, StrictSchema, Text

QUANTITY = validate.Range(min=0, min_inclusive=False, max=10_000_000_000,
                          error=_l("The quantity must be above 0."))
# The kinds a packing house or processor records by hand; export lots have their own door.
MADE_KINDS = [k.value for k in TransformationKind if k != TransformationKind.EXPORT]
MAX_INPUTS = 200
MAX_CARTONS = 5000


def Quantity(**kwargs) -> fields.Decimal:
    """Exact to the gram: mass balance is checked on decimals, never on floats."""
    return fields.Decimal(places=3, validate=QUANTITY, metadata={
        "type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 10_000_000_000},
        **kwargs)


def check_market(value: str) -> None:
    if not is_country(value):
        raise ValidationError(str(_l("Not a country code (ISO 3166 two letters, e.g. CN).")))


class InputIn(StrictSchema):
    """A quantity of a lot the organisation holds, in the lot's own unit."""
    batch_id = Id(required=True)
    quantity = Quantity(required=True)


class OutputIn(StrictSchema):
    product_id = Id(required=True)
    lot_code = fields.String(required=True, **LOT_CODE)
    quantity = Quantity(required=True)
    unit = fields.String(load_default="KGM", validate=validate.OneOf(list(UNITS)))
    pack_date = fields.Date(allow_none=True, load_default=None)
    expiry_date = fields.Date(allow_none=True, load_default=None)


def _inputs(**kwargs) -> fields.List:
    return fields.List(fields.Nested(InputIn), required=True, validate=validate.Length(
        1, MAX_INPUTS, error=_l("Name the lots that go in (1 to %(max)s).", max=MAX_INPUTS)),
        **kwargs)


class TransformationIn(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(MADE_KINDS))
    facility_id = Id(allow_none=True, load_default=None)
    happened_on = fields.Date(allow_none=True, load_default=None)
    note = Text(max_length=1000, load_default="")
    inputs = _inputs()
    outputs = fields.List(fields.Nested(OutputIn), required=True, validate=validate.Length(
        1, 50, error=_l("Name the lots that come out (1 to 50).")))


class ExportLotIn(StrictSchema):
    """An export lot (lô xuất khẩu) for one market; its quantity is what goes in unless
    given (never more than the product's yield factor allows)."""
    market = fields.String(required=True, validate=check_market,
                           metadata={"description": "ISO 3166-1 alpha-2, e.g. CN"})
    product_id = Id(required=True)
    lot_code = fields.String(required=True, **LOT_CODE)
    quantity = Quantity(allow_none=True, load_default=None)
    unit = fields.String(load_default="KGM", validate=validate.OneOf(list(UNITS)))
    pack_date = fields.Date(allow_none=True, load_default=None)
    expiry_date = fields.Date(allow_none=True, load_default=None)
    facility_id = Id(allow_none=True, load_default=None)
    happened_on = fields.Date(allow_none=True, load_default=None)
    note = Text(max_length=1000, load_default="")
    inputs = _inputs()


class CartonsIn(StrictSchema):
    count = fields.Integer(required=True, strict=True, validate=validate.Range(
        1, MAX_CARTONS, error=_l("Pack 1 to %(max)s cartons at a time.", max=MAX_CARTONS)))
    net_weight_kg = fields.Decimal(required=True, places=3, metadata={
        "type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 100_000},
                                   validate=validate.Range(
                                       min=0, min_inclusive=False, max=100_000,
                                       error=_l("The net weight must be above 0 kg.")))
    packed_on = fields.Date(allow_none=True, load_default=None)
    pallet = fields.Boolean(load_default=False, metadata={
        "description": "Also put the cartons on one pallet with an SSCC of its own"})


class SsccQuery(StrictSchema):
    own = fields.Boolean(load_default=False, metadata={
        "description": "Only your organisation's SSCCs: one outside its GS1 company prefix "
                       "is refused"})


class InputOut(StrictSchema):
    batch_id = fields.Integer()
    lot_code = fields.Function(lambda i: i.batch.lot_code)
    quantity = fields.Float()
    unit = fields.Function(lambda i: i.batch.unit)


class LotOut(StrictSchema):
    id = fields.Integer()
    product_id = fields.Integer()
    product_name = fields.Function(lambda b: b.product.name)
    organization_id = fields.Integer()
    lot_code = fields.String()
    quantity = fields.Float(allow_none=True)
    unit = fields.String()
    pack_date = fields.Date(allow_none=True)
    expiry_date = fields.Date(allow_none=True)
    origin = fields.Enum(LotOrigin, by_value=True)
    market = fields.String(allow_none=True)
    transformation_id = fields.Integer(allow_none=True)
    status = fields.String(attribute="status.value")


class TransformationOut(StrictSchema):
    id = fields.Integer()
    organization_id = fields.Integer()
    facility_id = fields.Integer(allow_none=True)
    kind = fields.Enum(TransformationKind, by_value=True)
    happened_on = fields.Date()
    loss_quantity = fields.Float(metadata={"description": "Inputs less outputs, in `unit`"})
    unit = fields.String()
    note = fields.String()
    inputs = fields.List(fields.Nested(InputOut))
    outputs = fields.List(fields.Nested(LotOut))


class LogisticUnitOut(StrictSchema):
    sscc = fields.String()
    kind = fields.Enum(UnitKind, by_value=True)
    organization_id = fields.Integer()
    batch_id = fields.Integer(allow_none=True)
    parent_sscc = fields.String(allow_none=True)
    net_weight_kg = fields.Float(allow_none=True)
    packed_on = fields.Date()
    digital_link = fields.Function(
        lambda u: sscc_link(current_app.config["PUBLIC_BASE_URL"], u.sscc))
