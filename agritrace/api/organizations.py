from __future__ import annotations

from flask.views import MethodView
from ..auth import current_actor
from ..schemas.common import offset_limit
from . import ApiBlueprint as Blueprint, page_of
from ..schemas.organizations import (OrganizationIn, OrganizationOut, OrganizationPatch,
                                     OrganizationQuery, RegistrationIn, ReviewIn)
from ..services import organizations as service

PREFIX = "/organizations"
blp = Blueprint("api_organizations", __name__, description="Organisations (tổ chức): "
                "cooperatives, enterprises, households, traders, packing houses, processors, "
                "exporters, distributors and retail chains; officials review their "
                "registration.")


@blp.route("")
class Organizations(MethodView):
    @blp.arguments(OrganizationQuery, location="query")
    @blp.paged(OrganizationOut)
    def get(self, query):
        """List the organisations you may see (yours, or your province's)."""
        rows, total = service.list_organizations(current_actor(), **offset_limit(dict(query)))
        return page_of(rows, total, query)

    @blp.arguments(OrganizationIn)
    @blp.response(201, OrganizationOut)
    def post(self, data):
        """Register an organisation; it waits as pending for an official's review."""
        return service.register_organization(current_actor(), data)


@blp.route("/<id:org_id>")
class OrganizationById(MethodView):
    @blp.response(200, OrganizationOut)
    def get(self, org_id):
        return service.get_organization(current_actor(), org_id)

    @blp.arguments(OrganizationPatch(partial=True))
    @blp.response(200, OrganizationOut)
    def patch(self, changes, org_id):
        return service.update_organization(current_actor(), org_id, changes)


@blp.route("/<id:org_id>/review")
class OrganizationReview(MethodView):
    @blp.arguments(ReviewIn)
    @blp.response(200, OrganizationOut)
    def post(self, data, org_id):
        """Approve or reject a pending registration (officials of the province)."""
        return service.review_organization(current_actor(), org_id, approve=data["approve"],
                                           reason=data.get("reason"))


registrations = Blueprint("api_registrations", __name__, description="Organisations of "
                          "every kind but agencies register themselves.")
REGISTRATIONS_PREFIX = "/registrations"


@registrations.route("")
class Registrations(MethodView):
    @registrations.doc(security=[])
    @registrations.arguments(RegistrationIn)
    @registrations.response(201, OrganizationOut)
    def post(self, data):
        """Register your organisation (any kind but an agency) with its first account;
        an official of its province reviews it."""
        org, _user = service.self_register(data["organization"], data["account"])
        return org
