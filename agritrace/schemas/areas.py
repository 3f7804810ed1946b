"""Growing areas, their imports and exports, facilities and code templates at the
API and form boundary."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_smorest.fields import Upload
from geoalchemy2.shape import to_shape
from marshmallow import ValidationError, fields, validate
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from gis.crs import CHOICES
from gis.export import EXPORT_FORMATS

from .. import units
from ..models import AreaStatus, CodeKind, FacilityKind, FacilityStatus, ImportStatus
from .common import Id, PageQuery, PatchSchema, ProvinceCode, StrictSchema, Text, WardCode
from .organizations import check_gln

MARKETS = validate.Regexp(r"^[A-Z]{2}$", error=_l("A market is a two-letter country code."))
CROP = dict(min_length=2, max_length=100)


class GeoJSONGeometry(fields.Field):
    """A GeoJSON geometry object (RFC 7946, longitude first) in, a Shapely geometry
    for the service; whether it is a usable polygon is the spatial library's call,
    so its messages are the same as for an uploaded file."""

    def __init__(self, **kwargs):
        super().__init__(metadata={"type": "object", "description": "GeoJSON geometry "
                                   "(RFC 7946: longitude, latitude in WGS84).",
                                   "properties": {"type": {"type": "string"},
                                                  "coordinates": {"type": "array"}},
                                   "required": ["type", "coordinates"]}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> BaseGeometry:
        if not isinstance(value, dict) or not isinstance(value.get("type"), str) \
                or "coordinates" not in value:
            raise ValidationError(str(_l("Not a GeoJSON geometry: it needs a type and "
                                         "coordinates.")))
        try:
            return shape(value)
        except Exception as exc:  # shapely raises several kinds for malformed coordinates
            raise ValidationError(str(_l("The GeoJSON coordinates cannot be read: %(e)s",
                                         e=str(exc)[:200]))) from exc

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return mapping(to_shape(value) if not isinstance(value, BaseGeometry) else value)


class AreaIn(StrictSchema):
    name = Text(required=True, min_length=1, max_length=200)
    crop = Text(required=True, **CROP)
    organization_id = Id()
    households = fields.Integer(allow_none=True, validate=validate.Range(0, 100_000))
    province_code = ProvinceCode()
    ward_code = WardCode(allow_none=True)
    target_markets = fields.List(fields.String(validate=MARKETS), load_default=list,
                                 validate=validate.Length(max=30))
    geometry = GeoJSONGeometry(required=True)
    repair = fields.Boolean(load_default=False, metadata={
        "description": "Repair an invalid polygon (the change in area is reported)."})
    code = fields.String(validate=validate.Length(3, 40), metadata={
        "description": "Officials: a code already issued by another system, kept verbatim "
                       "when it matches a configured pattern."})


class AreaPatch(PatchSchema):
    name = Text(min_length=1, max_length=200)
    crop = Text(**CROP)
    households = fields.Integer(allow_none=True, validate=validate.Range(0, 100_000))
    province_code = ProvinceCode()
    ward_code = WardCode(allow_none=True)
    target_markets = fields.List(fields.String(validate=MARKETS), validate=validate.Length(max=30))
    geometry = GeoJSONGeometry()
    repair = fields.Boolean()


class AreaOut(StrictSchema):
    id = fields.Integer()
    code = fields.String(allow_none=True)
    name = fields.String()
    crop = fields.String()
    organization_id = fields.Integer()
    organization_name = fields.Function(lambda a: a.organization.name)
    households = fields.Integer(allow_none=True)
    area_ha = fields.Float()
    perimeter_m = fields.Float()
    province_code = fields.Integer()
    province_name = fields.Function(lambda a: units.province_name(a.province_code))
    ward_code = fields.Integer(allow_none=True)
    ward_name = fields.Function(lambda a: units.ward_name(a.ward_code))
    status = fields.Enum(AreaStatus, by_value=True)
    status_reason = fields.String(allow_none=True)
    target_markets = fields.List(fields.String())
    issued_at = fields.DateTime(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    version = fields.Integer()
    import_id = fields.Integer(allow_none=True)
    geometry = GeoJSONGeometry(attribute="geom")
    proposed_geometry = GeoJSONGeometry(attribute="proposed_geom", allow_none=True)
    created_at = fields.DateTime()


class AreaSummaryOut(AreaOut):
    class Meta(AreaOut.Meta):
        exclude = ("geometry", "proposed_geometry")


class AreaQuery(PageQuery):
    status = fields.Enum(AreaStatus, by_value=True)
    crop = Text(max_length=100)
    organization_id = Id()
    province_code = ProvinceCode()
    ward_code = WardCode()
    import_id = Id()
    proposals = fields.Boolean(metadata={"description": "Only areas with a new polygon "
                                                        "waiting for an official."})
    q = Text(max_length=100, metadata={"description": "Part of the code or name."})


class DecisionIn(StrictSchema):
    reason = Text(allow_none=True, max_length=1000)
    valid_until = fields.Date(allow_none=True, metadata={
        "description": "Approval only: when the code's validity ends."})


class ProposalDecisionIn(StrictSchema):
    approve = fields.Boolean(required=True)
    reason = Text(allow_none=True, max_length=1000)


class ManyIn(StrictSchema):
    ids = fields.List(Id(), required=True, validate=validate.Length(1, 10_000))
    valid_until = fields.Date(allow_none=True)


class VersionOut(StrictSchema):
    version = fields.Integer()
    area_ha = fields.Float()
    perimeter_m = fields.Float(allow_none=True)
    changed_by = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    geometry = GeoJSONGeometry(attribute="geom")


class PointQuery(StrictSchema):
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))


class ExportQuery(StrictSchema):
    format = fields.String(required=True, validate=validate.OneOf(list(EXPORT_FORMATS)))
    ids = fields.List(Id(), validate=validate.Length(max=10_000), metadata={
        "description": "Areas to export (repeat the parameter); default: all you may see "
                       "that match the filters."})
    status = fields.Enum(AreaStatus, by_value=True)
    crop = Text(max_length=100)
    organization_id = Id()
    import_id = Id()
    points_below_4ha = fields.Boolean(load_default=False, metadata={
        "description": "EUDR only: plots of 4 ha or less as points with their area."})


CRS_IDS = [c.id for c in CHOICES]


class ImportForm(StrictSchema):
    organization_id = Id()
    crop = Text(required=True, **CROP)
    province_code = ProvinceCode()
    ward_code = WardCode(allow_none=True)
    crs = fields.String(validate=validate.OneOf(CRS_IDS), metadata={
        "description": "The coordinate system, when the file does not say."})
    repair = fields.Boolean(load_default=False)
    commit = fields.Boolean(load_default=False, metadata={
        "description": "Create the areas at once instead of only checking the file."})
    skip_invalid = fields.Boolean(load_default=False, metadata={
        "description": "With commit: create the good plots even if others are refused."})
    submit = fields.Boolean(load_default=False, metadata={
        "description": "Submit the created areas for review at once."})


class ImportFile(StrictSchema):
    file = Upload(required=True)


class CommitIn(StrictSchema):
    skip_invalid = fields.Boolean(load_default=False)
    submit = fields.Boolean(load_default=False)
    ward_code = WardCode(allow_none=True)


class ImportOut(StrictSchema):
    id = fields.Integer()
    organization_id = fields.Integer()
    province_code = fields.Integer()
    filename = fields.String()
    format = fields.String()
    source_crs = fields.String()
    crop = fields.String()
    status = fields.Enum(ImportStatus, by_value=True)
    feature_count = fields.Integer()
    ok_count = fields.Integer()
    report = fields.Dict()
    created_at = fields.DateTime()
    imported_at = fields.DateTime(allow_none=True)


class FacilityIn(StrictSchema):
    kind = fields.Enum(FacilityKind, by_value=True, required=True)
    name = Text(required=True, min_length=2, max_length=200)
    organization_id = Id()
    gln = fields.String(allow_none=True, validate=check_gln, metadata={
        "description": "The place's location GLN (13 digits), if it has one."})
    address = Text(load_default="", max_length=300)
    province_code = ProvinceCode()
    ward_code = WardCode(allow_none=True)
    location = GeoJSONGeometry(required=True)


class FacilityOut(StrictSchema):
    id = fields.Integer()
    kind = fields.Enum(FacilityKind, by_value=True)
    code = fields.String(allow_none=True)
    name = fields.String()
    organization_id = fields.Integer()
    gln = fields.String(allow_none=True)
    address = fields.String()
    province_code = fields.Integer()
    ward_code = fields.Integer(allow_none=True)
    status = fields.Enum(FacilityStatus, by_value=True)
    location = GeoJSONGeometry(attribute="geom")


class FacilityQuery(PageQuery):
    kind = fields.Enum(FacilityKind, by_value=True)
    status = fields.Enum(FacilityStatus, by_value=True)


class FacilityDecisionIn(StrictSchema):
    code = fields.String(validate=validate.Length(3, 40), metadata={
        "description": "Approval only: a code already issued elsewhere, kept verbatim."})


class CodeTemplateIn(StrictSchema):
    template = fields.String(required=True, validate=validate.Length(3, 60))
    prov = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Z0-9]{1,6}$", error=_l("One to six capital letters or digits.")))
    kind_letters = fields.String(validate=validate.Regexp(
        r"^[A-Z0-9]{1,4}$", error=_l("One to four capital letters or digits.")))


class CodeTemplateOut(StrictSchema):
    province_code = fields.Integer()
    kind = fields.Enum(CodeKind, by_value=True)
    template = fields.String()
    prov = fields.String()
    kind_letters = fields.String()
