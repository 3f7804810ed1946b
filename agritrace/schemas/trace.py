"""A trace back and forward along the chain, at the API and form boundary."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from .common import StrictSchema, Text

DIRECTIONS = ("both", "back", "forward")
START_KINDS = ("lot", "sscc", "stamp", "area", "facility")


class TraceQuery(StrictSchema):
    direction = fields.String(load_default="both", validate=validate.OneOf(DIRECTIONS),
                              metadata={"description": "back (what it was made from), "
                                                       "forward (what was made from it) or "
                                                       "both"})
    max_depth = fields.Integer(load_default=20, validate=validate.Range(1, 20),
                               metadata={"description": "Steps walked each way, 1 to 20."})


class TraceForm(TraceQuery):
    """The trace page's search: what kind of code, and the code."""
    kind = fields.String(load_default="lot", validate=validate.OneOf(START_KINDS))
    q = Text(required=True, min_length=1, max_length=60,
             error_messages={"required": _l("Type a lot number or a code.")})


class TraceLotOut(StrictSchema):
    id = fields.Integer()
    lot_code = fields.String()
    depth = fields.Integer(metadata={"description": "Steps from the start: negative back "
                                                    "(inputs), positive forward (outputs)."})
    product_id = fields.Integer()
    product_name = fields.String()
    gtin = fields.String(allow_none=True)
    organization_id = fields.Integer()
    organization_name = fields.String()
    province_code = fields.Integer()
    origin = fields.String(metadata={"description": "harvest, transformation or export"})
    market = fields.String(allow_none=True, metadata={"description": "ISO 3166 alpha-2 "
                                                                     "market of an export lot"})
    harvest_date = fields.Date(allow_none=True)
    pack_date = fields.Date(allow_none=True)
    expiry_date = fields.Date(allow_none=True)
    made_on = fields.Date(allow_none=True, metadata={"description": "Day of the "
                                                                    "transformation that "
                                                                    "made the lot"})
    transformation_id = fields.Integer(allow_none=True)
    transformation_kind = fields.String(allow_none=True)
    quantity = fields.Float(allow_none=True)
    unit = fields.String()
    status = fields.String()
    recall_id = fields.Integer(allow_none=True)
    recall_reason = fields.String(allow_none=True)
    recalled_at = fields.DateTime(allow_none=True)
    area_codes = fields.List(fields.String(), metadata={"description": "Growing-area codes "
                                                                       "(mã số vùng trồng)"})
    packing_house_code = fields.String(allow_none=True, metadata={
        "description": "Packing-house code (mã số cơ sở đóng gói) where it was packed or "
                       "made"})
    diary_entries = fields.Integer(metadata={"description": "Farming-diary entries recorded "
                                                            "on the lot"})


class TraceEdgeOut(StrictSchema):
    input_id = fields.Integer()
    output_id = fields.Integer()
    quantity = fields.Float()
    unit = fields.String()


class TraceHandoverOut(StrictSchema):
    id = fields.Integer()
    batch_id = fields.Integer()
    sender_id = fields.Integer()
    sender_name = fields.String()
    receiver_id = fields.Integer(allow_none=True)
    receiver_name = fields.String(allow_none=True)
    external_party_id = fields.Integer(allow_none=True)
    external_name = fields.String(allow_none=True)
    external_country = fields.String(allow_none=True)
    quantity = fields.Float()
    unit = fields.String()
    dispatched_on = fields.Date()
    delivery_note = fields.String()
    vehicle = fields.String()
    status = fields.String()
    received_quantity = fields.Float(allow_none=True)
    received_on = fields.Date(allow_none=True)
    refusal_reason = fields.String(allow_none=True)
    shortfall = fields.Float(allow_none=True, metadata={"description": "Sent less received "
                                                                       "(negative: more)"})


class TraceHolderOut(StrictSchema):
    batch_id = fields.Integer()
    organization_id = fields.Integer()
    organization_name = fields.String()
    balance = fields.Float()
    unit = fields.String()


class TraceCartonOut(StrictSchema):
    sscc = fields.String()
    batch_id = fields.Integer(allow_none=True)
    kind = fields.String()
    parent_sscc = fields.String(allow_none=True)
    net_weight_kg = fields.Float(allow_none=True)
    packed_on = fields.Date()


class TraceOut(StrictSchema):
    start_ids = fields.List(fields.Integer())
    direction = fields.String()
    max_depth = fields.Integer()
    hidden = fields.Boolean(metadata={"description": "Your organisation sees one step back "
                                                     "and one forward of its own lots; "
                                                     "the deeper chain was left out"})
    truncated = fields.Boolean(metadata={"description": "The chain goes on beyond max_depth"})
    more_starts = fields.Integer(metadata={"description": "Lots of the code beyond the "
                                                          "newest 200, not traced"})
    lots = fields.List(fields.Nested(TraceLotOut))
    edges = fields.List(fields.Nested(TraceEdgeOut))
    handovers = fields.List(fields.Nested(TraceHandoverOut))
    holders = fields.List(fields.Nested(TraceHolderOut))
    cartons = fields.List(fields.Nested(TraceCartonOut))
