from __future__ import annotations

from flask.views import MethodView

from ..auth import current_actor
from ..models import CodeKind
from ..schemas.areas import CodeTemplateIn, CodeTemplateOut
from ..services import area_codes as service
from . import ApiBlueprint as Blueprint

PREFIX = "/code-templates"
blp = Blueprint("api_code_templates", __name__, description="Each province's template for "
                "growing-area and packing-house codes (default VN-{PROV}{KIND}-{NNNN}).")


@blp.route("")
class Templates(MethodView):
    @blp.response(200, CodeTemplateOut(many=True))
    def get(self):
        return service.list_templates(current_actor())


@blp.route("/<int(min=1,max=99):province_code>/<any(growing_area,packing_house):kind>")
class TemplateByKey(MethodView):
    @blp.arguments(CodeTemplateIn)
    @blp.response(200, CodeTemplateOut)
    def put(self, data, province_code, kind):
        """Admins: set a province's template. Numbers already issued are never reused."""
        return service.save_template(current_actor(), province_code, CodeKind(kind), data)
