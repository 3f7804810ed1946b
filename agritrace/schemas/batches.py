"""Batches (lô hàng) at the API and form boundary."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from ..models import BatchStatus
from .common import Id, PageQuery, PatchSchema, StrictSchema, Text

# GS1 AI 10 (batch/lot): at most 20 characters of GS1's 82-character set.
LOT_CODE = validate.Regexp(r'^[!"%-?A-Z_a-z]{1,20}$', error=_l(
    "A lot code has 1 to 20 characters: letters without accents, digits and "
    "!\"%&'()*+,-./:;<=>?_ (GS1's character set; no spaces)."))
# UN/CEFACT Recommendation 20 codes, as EPCIS quantities carry them.
QUANTITY = validate.Range(min=0, min_inclusive=False, max=1e10,
                          error=_l("The quantity must be above 0."))
UNITS = {"KGM": _l("kilogram"), "TNE": _l("tonne"), "GRM": _l("gram"), "LTR": _l("litre"),
         "H87": _l("piece"), "XBX": _l("box"), "XCT": _l("carton"), "XBG": _l("bag")}


class BatchIn(StrictSchema):
    """Dates are checked for order in the service, which also sees a patch's
    unchanged dates."""
    product_id = Id(required=True)
    lot_code = fields.String(required=True, validate=LOT_CODE)
    harvest_date = fields.Date(allow_none=True)
    pack_date = fields.Date(allow_none=True)
    expiry_date = fields.Date(allow_none=True)
    quantity = fields.Float(allow_none=True, validate=QUANTITY)
    unit = fields.String(load_default="KGM", validate=validate.OneOf(list(UNITS)))
    packing_facility_id = Id(allow_none=True)
    area_ids = fields.List(Id(), required=True, validate=validate.Length(
        1, 200, error=_l("Name the growing areas the batch comes from (at least one).")))


class BatchPatch(PatchSchema):
    lot_code = fields.String(validate=LOT_CODE)
    harvest_date = fields.Date(allow_none=True)
    pack_date = fields.Date(allow_none=True)
    expiry_date = fields.Date(allow_none=True)
    quantity = fields.Float(allow_none=True, validate=QUANTITY)
    unit = fields.String(validate=validate.OneOf(list(UNITS)))
    packing_facility_id = Id(allow_none=True)
    area_ids = fields.List(Id(), validate=validate.Length(1, 200))


class BatchOut(StrictSchema):
    id = fields.Integer()
    product_id = fields.Integer()
    product_name = fields.Function(lambda b: b.product.name)
    organization_id = fields.Integer()
    lot_code = fields.String()
    harvest_date = fields.Date(allow_none=True)
    pack_date = fields.Date(allow_none=True)
    expiry_date = fields.Date(allow_none=True)
    quantity = fields.Float(allow_none=True)
    unit = fields.String()
    packing_facility_id = fields.Integer(allow_none=True)
    area_codes = fields.Function(lambda b: [a.code for a in b.areas])
    area_ids = fields.Function(lambda b: [a.id for a in b.areas])
    status = fields.Enum(BatchStatus, by_value=True)
    recall_reason = fields.String(allow_none=True)
    recalled_at = fields.DateTime(allow_none=True)
    on_hold = fields.Boolean(metadata={"description": "A spraying's pre-harvest interval "
                                                      "covers the harvest: stamps cannot be "
                                                      "activated until an official clears it"})
    hold_reason = fields.String(allow_none=True)
    held_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class BatchQuery(PageQuery):
    product_id = Id()
    status = fields.Enum(BatchStatus, by_value=True)
    q = Text(max_length=20, metadata={"description": "Part of the lot code."})


class RecallIn(StrictSchema):
    reason = Text(required=True, min_length=3, max_length=1000)
