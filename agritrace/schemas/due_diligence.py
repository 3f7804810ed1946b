"""Residue limits and tests, forest maps and EUDR due diligence at the boundary."""
from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from .common import Id, StrictSchema, Text

MARKET = validate.Regexp(r"^[A-Za-z]{2}$", error=_l("A two-letter country code, or EU."))
RESULT = validate.Range(0, 99_999_999, error=_l("A result in mg/kg, 0 or more."))


class FileUpload(StrictSchema):
    file = Upload(required=True)


class LimitQuery(StrictSchema):
    market = fields.String(validate=MARKET)
    crop = Text(max_length=100)


class LimitOut(StrictSchema):
    province_code = fields.Integer(metadata={"description": "0 for the platform's table."})
    market = fields.String()
    crop = fields.String()
    ingredient = fields.String()
    mrl_mg_kg = fields.Float()
    source = fields.String()


class UploadOut(StrictSchema):
    rows = fields.Integer()


class RuleIn(StrictSchema):
    within_days = fields.Integer(required=True, validate=validate.Range(
        1, 365, error=_l("From 1 to 365 days.")))


class RuleOut(StrictSchema):
    province_code = fields.Integer()
    market = fields.String()
    within_days = fields.Integer()


class ResultIn(StrictSchema):
    ingredient = Text(required=True, min_length=1, max_length=100)
    # The bounds spelled out for OpenAPI, which would print a Decimal's as strings.
    result_mg_kg = fields.Decimal(required=True, validate=RESULT, as_string=False, metadata={
        "type": "number", "minimum": 0, "maximum": 99_999_999})


class TestIn(StrictSchema):
    batch_id = Id(allow_none=True)
    area_id = Id(allow_none=True)
    sampled_on = fields.Date(required=True)
    lab = Text(required=True, min_length=1, max_length=200)
    report_number = Text(max_length=100)
    results = fields.List(fields.Nested(ResultIn), required=True,
                          validate=validate.Length(1, 200))


class TestQuery(StrictSchema):
    market = fields.String(validate=MARKET, metadata={
        "description": "Judge the results against this market's limits."})


class VerdictOut(StrictSchema):
    ingredient = fields.String()
    result_mg_kg = fields.Float()
    mrl_mg_kg = fields.Float(allow_none=True)
    verdict = fields.String(metadata={"description": "within | over | no_limit"})


class TestOut(StrictSchema):
    id = fields.Integer()
    organization_id = fields.Integer()
    batch_id = fields.Integer(allow_none=True)
    area_id = fields.Integer(allow_none=True)
    sampled_on = fields.Date()
    lab = fields.String()
    report_number = fields.String()
    market = fields.String(allow_none=True)
    passed = fields.Boolean(allow_none=True)
    verdicts = fields.List(fields.Nested(VerdictOut))


class ForestMapForm(StrictSchema):
    source = Text(max_length=500)
    province_code = fields.Integer(validate=validate.Range(1, 99))


class ForestMapOut(StrictSchema):
    id = fields.Integer()
    province_code = fields.Integer()
    filename = fields.String()
    source = fields.String()
    crs = fields.String()
    west = fields.Float()
    south = fields.Float()
    east = fields.Float()
    north = fields.Float()
    width = fields.Integer()
    height = fields.Integer()


class LegalityDocument(StrictSchema):
    title = Text(required=True, min_length=1, max_length=200)
    number = Text(max_length=100)
    issuer = Text(max_length=200)
    valid_until = fields.Date(allow_none=True)


class DueDiligenceIn(StrictSchema):
    threshold_pct = fields.Float(validate=validate.Range(0, 100), metadata={
        "description": "A plot with more forest than this share is `forest`; 5 by default."})
    activity = fields.String(validate=validate.OneOf(("IMPORT", "EXPORT", "DOMESTIC", "TRADE")))
    hs_heading = fields.String(validate=validate.Regexp(r"^\d{4}(\d{2}){0,3}$"))
    description = Text(max_length=500)
    legality_documents = fields.List(fields.Nested(LegalityDocument), load_default=list)


class NumbersIn(StrictSchema):
    reference_number = Text(required=True, min_length=1, max_length=40)
    verification_number = Text(required=True, min_length=1, max_length=40)


class PlotOut(StrictSchema):
    area_id = fields.Integer()
    code = fields.String(allow_none=True)
    name = fields.String()
    producer = fields.String()
    area_ha = fields.Float()
    forest_pct = fields.Float()
    verdict = fields.String()


class ProducerOut(StrictSchema):
    name = fields.String()
    country = fields.String()
    geojson = fields.Function(lambda p: json.loads(p["geojson"]), metadata={
        "description": "The producer's plots as the EUDR GeoJSON."})


class DueDiligenceOut(StrictSchema):
    lot_id = fields.Integer()
    lot_code = fields.String()
    market = fields.String()
    specification = fields.String()
    internal_reference = fields.String()
    activity = fields.String()
    hs_heading = fields.String()
    description = fields.String()
    net_mass_kg = fields.Float()
    country_of_production = fields.String()
    producers = fields.List(fields.Nested(ProducerOut))
    threshold_pct = fields.Float()
    verdict = fields.String(metadata={"description": "negligible | forest (any plot over "
                                                     "the threshold)"})
    plots = fields.List(fields.Nested(PlotOut))
    legality_documents = fields.List(fields.Dict())
    associated_statements = fields.List(fields.Dict())
    reference_number = fields.String(allow_none=True)
    verification_number = fields.String(allow_none=True)
    checked_at = fields.DateTime()
