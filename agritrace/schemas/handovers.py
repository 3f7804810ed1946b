"""Hand-overs (giao nhận), stock and external parties at the API and form boundary."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate

from ..countries import is_country
from ..models import HandoverStatus
from .common import Id, PageQuery, StrictSchema, Text

MAX_QUANTITY = 10_000_000_000
QUANTITY = validate.Range(min=0, min_inclusive=False, max=MAX_QUANTITY,
                          error=_l("The quantity must be above 0."))


class CountryCode(fields.String):
    """A country as its ISO 3166-1 alpha-2 code (CN, US, VN), upper-cased."""

    def __init__(self, **kwargs):
        super().__init__(metadata={"pattern": "^[A-Z]{2}$",
                                   "description": "ISO 3166-1 alpha-2 country code."}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if not is_country(value):
            raise ValidationError(str(_l("Not a two-letter country code (ISO 3166) such as "
                                         "CN or US.")))
        return value


def Quantity(metadata: dict | None = None, **kwargs) -> fields.Decimal:
    """A quantity in the lot's unit, exact to three decimals (never a float). The bounds
    are spelled out for OpenAPI, which would otherwise print them as Decimal strings."""
    return fields.Decimal(places=3, validate=QUANTITY, metadata={
        "type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": MAX_QUANTITY,
        **(metadata or {})}, **kwargs)


class HandoverIn(StrictSchema):
    """Exactly one of receiver_id and external_party_id names the receiver (the service
    says so when both or neither are given)."""
    batch_id = Id(required=True, metadata={"description": "The lot (batch) dispatched."})
    quantity = Quantity(required=True, metadata={"description": "In the lot's unit."})
    receiver_id = Id(allow_none=True, metadata={
        "description": "An approved organisation on the platform."})
    external_party_id = Id(allow_none=True, metadata={
        "description": "One of your organisation's external parties."})
    dispatched_on = fields.Date(required=True)
    delivery_note = Text(required=True, min_length=1, max_length=60, metadata={
        "description": "The delivery-note (phiếu giao hàng) number."})
    vehicle = Text(load_default="", max_length=60, metadata={
        "description": "Vehicle plate or container number."})


class ReceiptIn(StrictSchema):
    received_quantity = Quantity(required=True, metadata={
        "description": "What arrived, at most what was dispatched."})
    received_on = fields.Date(required=True)


class RefusalIn(StrictSchema):
    reason = Text(required=True, min_length=3, max_length=1000)


class HandoverQuery(PageQuery):
    direction = fields.String(validate=validate.OneOf(["in", "out"]), metadata={
        "description": "in: received by your organisation (an official: by the province); "
                       "out: sent by it."})
    status = fields.Enum(HandoverStatus, by_value=True)
    batch_id = Id()


class PartyRef(StrictSchema):
    id = fields.Integer()
    name = fields.String()
    country = fields.String()
    gln = fields.String(allow_none=True)


class HandoverRecordOut(StrictSchema):
    id = fields.Integer()
    batch_id = fields.Integer()
    lot_code = fields.Function(lambda h: h.batch.lot_code)
    product_name = fields.Function(lambda h: h.batch.product.name)
    sender_id = fields.Integer()
    sender_name = fields.Function(lambda h: h.sender.name)
    receiver_id = fields.Integer(allow_none=True)
    receiver_name = fields.Function(lambda h: h.receiver.name if h.receiver else None)
    external_party = fields.Nested(PartyRef, allow_none=True)
    quantity = fields.Float()
    unit = fields.String()
    dispatched_on = fields.Date()
    delivery_note = fields.String()
    vehicle = fields.String()
    status = fields.Enum(HandoverStatus, by_value=True)
    received_quantity = fields.Float(allow_none=True)
    received_on = fields.Date(allow_none=True)
    shortfall = fields.Float(allow_none=True, metadata={
        "description": "Dispatched minus received, once the receiver confirmed."})
    refusal_reason = fields.String(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class StockQuery(PageQuery):
    batch_id = Id()


class StockOut(StrictSchema):
    batch_id = fields.Function(lambda h: h.batch.id)
    lot_code = fields.Function(lambda h: h.batch.lot_code)
    product_name = fields.Function(lambda h: h.batch.product.name)
    lot_status = fields.Function(lambda h: h.batch.status.value)
    organization_id = fields.Function(lambda h: h.holder.id, metadata={
        "description": "The holder."})
    organization_name = fields.Function(lambda h: h.holder.name)
    balance = fields.Float()
    unit = fields.Function(lambda h: h.batch.unit)


class PartyIn(StrictSchema):
    name = Text(required=True, min_length=2, max_length=200)
    country = CountryCode(required=True)
    gln = fields.String(load_default=None, allow_none=True, metadata={
        "description": "GS1 Global Location Number: 13 digits with its check digit."})
    address = Text(load_default="", max_length=300)


class PartyOut(StrictSchema):
    id = fields.Integer()
    organization_id = fields.Integer()
    name = fields.String()
    country = fields.String()
    gln = fields.String(allow_none=True)
    address = fields.String()
    created_at = fields.DateTime()
