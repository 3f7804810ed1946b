"""Administrative units after the 2025 reform: public reference data for forms."""
from __future__ import annotations

from flask.views import MethodView
from flask_babel import gettext as _
from marshmallow import fields

from .. import units
from ..errors import NotFound
from ..schemas.common import StrictSchema
from . import ApiBlueprint as Blueprint

PREFIX = "/provinces"
PUBLIC = True
blp = Blueprint("api_units", __name__, description="The 34 provinces and their wards and "
                "communes (đơn vị hành chính), after the 2025 reform. No account needed.")


class UnitOut(StrictSchema):
    code = fields.Integer()
    name = fields.String()


@blp.route("")
class Provinces(MethodView):
    @blp.response(200, UnitOut(many=True))
    @blp.doc(security=[])
    def get(self):
        return list(units.provinces())


@blp.route("/<int:province_code>/wards")
class Wards(MethodView):
    @blp.response(200, UnitOut(many=True))
    @blp.doc(security=[])
    def get(self, province_code):
        if not units.is_province(province_code):
            raise NotFound(_("Province code %(code)s is not one of the 34 provinces.",
                             code=province_code))
        return list(units.wards(province_code))
