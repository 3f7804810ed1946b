"""Codes' export markets, inspections and supervision plans at the boundary."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, fields, validate

from ..models import CodeScope, Finding, MarketState, Outcome
from .common import PageQuery, ProvinceCode, StrictSchema, Text

ACTIONS = ("submit", "approve", "suspend", "reinstate", "revoke", "renew")
MARKET = validate.Regexp(r"^[A-Za-z]{2}$", error=_l("Two letters: the ISO code of the "
                                                    "importing country, e.g. CN."))


def _one_of(values) -> validate.OneOf:
    values = [getattr(v, "value", v) for v in values]
    return validate.OneOf(values, error=_l("Choose one of: %(choices)s.",
                                           choices=", ".join(values)))


def Code(**kwargs) -> Text:
    return Text(required=True, min_length=1, max_length=40, metadata={
        "description": "The growing-area or packing-house code, e.g. VN-TNOR-0001."}, **kwargs)


class CodeScopeIn(StrictSchema):
    code = Code()
    scope = fields.String(required=True, validate=_one_of(CodeScope))


class CodeScopeOut(StrictSchema):
    code = fields.String()
    scope = fields.String(attribute="code_scope", allow_none=True)


class MarketProposalIn(StrictSchema):
    code = Code()
    market = fields.String(required=True, validate=MARKET)
    reason = Text(max_length=1000)


class MarketDecisionIn(StrictSchema):
    action = fields.String(required=True, validate=_one_of(ACTIONS), metadata={
        "description": "submit (proposed → submitted), approve (submitted → approved, with "
                       "approved_on and list_reference), suspend, reinstate, revoke (each with "
                       "a reason), renew (a new valid_until / renew_by)."})
    reason = Text(max_length=1000)
    approved_on = fields.Date()
    list_reference = Text(max_length=120)
    valid_until = fields.Date(allow_none=True)
    renew_by = fields.Date(allow_none=True)


class CodeMarketOut(StrictSchema):
    id = fields.Integer()
    code = fields.String()
    code_kind = fields.String(metadata={"description": "growing_area or packing_house"})
    area_id = fields.Integer(allow_none=True)
    facility_id = fields.Integer(allow_none=True)
    market = fields.String()
    state = fields.String()
    reason = fields.String(allow_none=True)
    approved_on = fields.Date(allow_none=True)
    list_reference = fields.String(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    renew_by = fields.Date(allow_none=True)
    updated_at = fields.DateTime()


class CodeMarketQuery(PageQuery):
    market = fields.String(validate=MARKET)
    state = fields.String(validate=_one_of(MarketState))
    code = Text(max_length=40)


class InspectionIn(StrictSchema):
    code = Code()
    inspected_on = fields.Date(required=True)
    inspector = Text(required=True, min_length=1, max_length=200)
    findings = fields.List(fields.String(validate=_one_of(Finding)), load_default=list)
    notes = Text(max_length=4000, load_default="")
    outcome = fields.String(required=True, validate=_one_of(Outcome))
    markets = fields.List(fields.String(validate=MARKET), load_default=list, metadata={
        "description": "The markets a suspension or revocation applies to (a revocation "
                       "without any: every market of the code)."})
    correct_by = fields.Date(metadata={"description": "Due date of a corrective action."})


class InspectionForm(InspectionIn):
    class Meta:
        unknown = EXCLUDE  # the CSRF token and the photos ride along


class InspectionOut(StrictSchema):
    id = fields.Integer()
    code = fields.String()
    inspected_on = fields.Date()
    inspector = fields.String()
    findings = fields.List(fields.String())
    notes = fields.String()
    outcome = fields.String()
    markets = fields.List(fields.String())
    correct_by = fields.Date(allow_none=True)
    corrected_on = fields.Date(allow_none=True)
    photos = fields.List(fields.Integer(), metadata={"description": "Photo ids."})


class InspectionQuery(PageQuery):
    code = Text(max_length=40)


class CorrectionIn(StrictSchema):
    corrected_on = fields.Date(required=True)


class InspectionPlanIn(StrictSchema):
    crop = Text(max_length=100, load_default="", metadata={
        "description": "The crop as growing areas name it; empty for packing houses."})
    market = fields.String(required=True, validate=MARKET)
    cycle_days = fields.Integer(required=True, validate=validate.Range(
        1, 3660, error=_l("From 1 to 3660 days.")))
    province_code = ProvinceCode()  # administrators name it; officials plan their own


class InspectionPlanForm(InspectionPlanIn):
    class Meta:
        unknown = EXCLUDE


class InspectionPlanOut(StrictSchema):
    id = fields.Integer()
    province_code = fields.Integer()
    crop = fields.String()
    market = fields.String()
    cycle_days = fields.Integer()


class OverdueInspectionOut(StrictSchema):
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    market = fields.String()
    cycle_days = fields.Integer()
    last_on = fields.Date(allow_none=True)
    due_on = fields.Date()
    days_late = fields.Integer()


class OverdueActionOut(StrictSchema):
    inspection_id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    inspected_on = fields.Date()
    correct_by = fields.Date()
    days_late = fields.Integer()


class SupervisionOverdueOut(StrictSchema):
    inspections = fields.List(fields.Nested(OverdueInspectionOut))
    actions = fields.List(fields.Nested(OverdueActionOut))
