"""Batches (lô hàng) at the API and form boundary."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate

from labels import ai_syntax

from ..models import BatchStatus
from .common import Id, PageQuery, PatchSchema, StrictSchema, Text

# A lot code travels as GS1 AI 10 (batch/lot): GS1's syntax dictionary is the rule.
LOT_AI = "10"
LOT_CODE_RULE = _l(
    "A lot code has 1 to 20 characters: letters without accents, digits and "
    "!\"%&'()*+,-./:;<=>?_ (GS1's character set; no spaces).")
# UN/CEFACT Recommendation 20 codes, as EPCIS quantities carry them.
QUANTITY = validate.Range(min=0, min_inclusive=False, max=1e10,
                          error=_l("The quantity must be above 0."))
UNITS = {"KGM": _l("kilogram"), "TNE": _l("tonne"), "GRM": _l("gram"), "LTR": _l("litre"),
         "H87": _l("piece"), "XBX": _l("box"), "XCT": _l("carton"), "XBG": _l("bag")}


def check_lot_code(value: str) -> None:
    """Validator: a lot code that a GS1 Digital Link can carry, or the rule in words."""
    try:
        ai_syntax.validate(LOT_AI, value)
    except ai_syntax.AiError:
        raise ValidationError(str(LOT_CODE_RULE)) from None


def _pattern(ai: str) -> str:
    """The rule of a one-part AI without linters, such as 10, as a regular expression
    for the OpenAPI document, with runs of characters as ranges (`%-?`)."""
    found = ai_syntax.entry(ai)
    (part,) = found.components
    runs: list[list[int]] = []
    for code in sorted(map(ord, ai_syntax.CHARSETS[part.charset])):
        if runs and runs[-1][1] == code - 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    spans = []
    for low, high in runs:
        if high - low > 1:
            spans.append(f"{_in_class(low)}-{_in_class(high)}")
        else:
            spans.extend(_in_class(code) for code in range(low, high + 1))
    return f"^[{''.join(spans)}]{{{found.min_length},{found.max_length}}}$"


def _in_class(code: int) -> str:
    char = chr(code)
    return "\\" + char if char in "\\[]^-" else char


LOT_CODE = {"validate": check_lot_code, "metadata": {"pattern": _pattern(LOT_AI)}}


class BatchIn(StrictSchema):
    """Dates are checked for order in the service, which also sees a patch's
    unchanged dates."""
    product_id = Id(required=True)
    lot_code = fields.String(required=True, **LOT_CODE)
    harvest_date = fields.Date(allow_none=True)
    pack_date = fields.Date(allow_none=True)
    expiry_date = fields.Date(allow_none=True)
    quantity = fields.Float(allow_none=True, validate=QUANTITY)
    unit = fields.String(load_default="KGM", validate=validate.OneOf(list(UNITS)))
    packing_facility_id = Id(allow_none=True)
    area_ids = fields.List(Id(), required=True, validate=validate.Length(
        1, 200, error=_l("Name the growing areas the batch comes from (at least one).")))


class BatchPatch(PatchSchema):
    lot_code = fields.String(**LOT_CODE)
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
