"""Farming-diary entries (nhật ký canh tác) at the API and form boundary: the common
fields, and the details each kind of entry carries."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from ..models import DIARY_STEPS, BizStep, Disposition
from .common import Id, PageQuery, StrictSchema, Text

POSITIVE = validate.Range(min=0, min_inclusive=False, max=1e9,
                          error=_l("Must be a number above 0."))


class SowingDetails(StrictSchema):
    variety = Text(required=True, max_length=100)
    note = Text(max_length=500)


class FertilisingDetails(StrictSchema):
    product = Text(required=True, max_length=150)
    dose = Text(required=True, max_length=60, metadata={"example": "50 kg/ha"})
    note = Text(max_length=500)


class SprayingDetails(StrictSchema):
    product = Text(required=True, max_length=150, metadata={"description": "Trade name"})
    active_ingredient = Text(required=True, max_length=150)
    dose = Text(required=True, max_length=60, metadata={"example": "20 ml / 16 l"})
    phi_days = fields.Integer(required=True, validate=validate.Range(0, 365), metadata={
        "description": "Pre-harvest interval (thời gian cách ly), days"})
    note = Text(max_length=500)


class IrrigationDetails(StrictSchema):
    method = Text(max_length=60)
    volume_m3 = fields.Float(validate=POSITIVE)
    note = Text(max_length=500)


class HarvestingDetails(StrictSchema):
    quantity = fields.Float(required=True, validate=POSITIVE)
    unit = fields.String(load_default="KGM", validate=validate.Length(3, 3))
    note = Text(max_length=500)


class PackingDetails(StrictSchema):
    quantity = fields.Float(validate=POSITIVE)
    unit = fields.String(load_default="KGM", validate=validate.Length(3, 3))
    note = Text(max_length=500)


class LabTestingDetails(StrictSchema):
    analyte = Text(required=True, max_length=150)
    result = fields.Float(required=True, validate=validate.Range(min=0))
    limit = fields.Float(required=True, validate=validate.Range(min=0), metadata={
        "description": "Maximum residue limit, in the same unit as the result"})
    unit = Text(required=True, max_length=20, metadata={"example": "mg/kg"})
    lab = Text(required=True, max_length=200)
    report_number = Text(max_length=60)


class ShippingDetails(StrictSchema):
    destination = Text(required=True, max_length=200)
    note = Text(max_length=500)


# What each diary step records; keyed by the step, so a plain string finds it too.
DETAILS = {BizStep.SOWING: SowingDetails, BizStep.FERTILISING: FertilisingDetails,
           BizStep.SPRAYING: SprayingDetails, BizStep.IRRIGATION: IrrigationDetails,
           BizStep.HARVESTING: HarvestingDetails, BizStep.PACKING: PackingDetails,
           BizStep.LAB_TESTING: LabTestingDetails, BizStep.SHIPPING: ShippingDetails}


class EventIn(StrictSchema):
    step = fields.String(required=True, validate=validate.OneOf([s.value for s in DIARY_STEPS]))
    event_time = fields.AwareDateTime(load_default=None, default_timezone=None, metadata={
        "description": "When it happened, with its time zone; default now"})
    area_id = Id(allow_none=True)
    batch_id = Id(allow_none=True)
    facility_id = Id(allow_none=True)
    details = fields.Dict(keys=fields.String(), required=True, metadata={
        "description": "What each step records: spraying {product, active_ingredient, "
                       "dose, phi_days}; lab_testing {analyte, result, limit, unit, lab}; "
                       "harvesting {quantity, unit}; …"})

    @validates_schema
    def _subject_and_details(self, data, **kwargs):
        if not (data.get("area_id") or data.get("batch_id")):
            raise ValidationError(str(_l("Say which growing area or batch this is about.")),
                                  "area_id")
        schema = DETAILS.get(data.get("step"))
        if schema is not None:
            try:
                data["details"] = schema().load(data.get("details") or {})
            except ValidationError as exc:
                raise ValidationError(exc.messages, "details") from exc


class EventOut(StrictSchema):
    id = fields.Integer()
    step = fields.Function(lambda e: e.biz_step.value)
    disposition = fields.Function(lambda e: e.disposition.value if e.disposition else None)
    event_time = fields.DateTime()
    event_tz = fields.String()
    area_id = fields.Integer(allow_none=True)
    batch_id = fields.Integer(allow_none=True)
    facility_id = fields.Integer(allow_none=True)
    details = fields.Dict()
    recorded_by = fields.Integer(allow_none=True)


class EventQuery(PageQuery):
    area_id = Id()
    batch_id = Id()
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()


class HoldClearIn(StrictSchema):
    reason = Text(required=True, min_length=3, max_length=1000)


LAB_DISPOSITION = (Disposition.CONFORMANT, Disposition.NON_CONFORMANT)
