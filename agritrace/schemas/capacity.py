"""Expected yields and the capacity ledger of growing-area codes at the boundary."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, fields, validate

from .common import PageQuery, StrictSchema, Text

YIELD = validate.Range(min=0, min_inclusive=False, max=999_999_999,
                       error=_l("The yield is in kilograms per hectare and season, above 0."))
SEASONS = validate.Range(1, 12, error=_l("From 1 to 12 seasons a year."))
MARGIN = validate.Range(0, 500, error=_l("A margin from 0 to 500 %."))
YEAR = validate.Range(2000, 2100, error=_l("Choose a year from 2000 to 2100."))


class CropYieldIn(StrictSchema):
    yield_kg_per_ha = fields.Float(required=True, validate=YIELD, metadata={
        "description": "Expected harvest in kilograms per hectare and season."})
    seasons_per_year = fields.Integer(load_default=1, validate=SEASONS)
    margin_pct = fields.Integer(load_default=20, validate=MARGIN, metadata={
        "description": "How far (in %) declared harvests may pass the capacity before "
                       "the code is flagged."})


class CropYieldForm(CropYieldIn):
    """The capacity page's form: the crop comes with the fields."""
    class Meta:
        unknown = EXCLUDE  # the CSRF token rides along
    crop = Text(required=True, min_length=1, max_length=100)


class CropYieldOut(StrictSchema):
    crop = fields.String()
    province_code = fields.Integer(metadata={"description": "0 for the platform's default."})
    yield_kg_per_ha = fields.Float()
    seasons_per_year = fields.Integer()
    margin_pct = fields.Integer()
    updated_at = fields.DateTime(allow_none=True)  # none for the built-in defaults


class CapacityQuery(PageQuery):
    year = fields.Integer(validate=YEAR, metadata={"description": "Harvest year; this year "
                                                                  "by default."})
    flagged = fields.Boolean(load_default=False, metadata={
        "description": "Only the codes whose harvests pass their capacity and margin."})


class CodeCapacityOut(StrictSchema):
    area_id = fields.Integer()
    code = fields.String()
    name = fields.String()
    crop = fields.String()
    organization = fields.String()
    province_code = fields.Integer()
    area_ha = fields.Float()
    yield_kg_per_ha = fields.Float(allow_none=True)
    seasons_per_year = fields.Integer(allow_none=True)
    margin_pct = fields.Integer(allow_none=True)
    capacity_kg = fields.Float(allow_none=True, metadata={
        "description": "area_ha × yield × seasons; null when the crop has no expected yield."})
    limit_kg = fields.Float(allow_none=True, metadata={
        "description": "capacity plus the margin: more than this flags the code."})
    drawn_kg = fields.Float(metadata={
        "description": "Harvest lots of the year on this area, in kg; a lot on several "
                       "areas split by their hectares."})
    percent = fields.Float(allow_none=True)
    other_units = fields.Integer(metadata={
        "description": "Harvest lots in units that are not a mass, not counted."})
    flagged = fields.Boolean()
