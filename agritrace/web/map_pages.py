"""The maps: the officials' WebGIS at `/gis/map` and the public open map at `/map`.

Both show the platform's vector tiles (`/tiles/…`, filtered there by who asks) over
the configured basemap; static/js/webgis.js adds the layers, filters, search, popups
and, for officials, drawing and measuring. The views here only gather what the page
offers (its extent, crops, organisations, wards) and answer the search by code.
"""
from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from .. import units
from ..auth import current_actor
from ..models import AreaStatus, FacilityKind, OrgStatus, Role
from ..schemas.common import StrictSchema, Text
from ..schemas.messages import localize
from ..services import map_search, organizations
from .access import role_required
from .maps import STATUS_COLOURS, platform_map

bp = Blueprint("webgis", __name__)
OFFICIALS = (Role.OFFICIAL, Role.ADMIN)
# url_for needs a value; the script puts the feature's own in its place.
_ID, _CODE = 987654321, "AREA-CODE"
FACILITY_KINDS = {
    FacilityKind.PACKING_HOUSE: _l("Packing house"), FacilityKind.PROCESSING: _l("Processing"),
    FacilityKind.LIVESTOCK_FARM: _l("Livestock farm"), FacilityKind.FEED_MILL: _l("Feed mill"),
    FacilityKind.WAREHOUSE: _l("Warehouse or buying point"),
}


class SearchQuery(StrictSchema):
    code = Text(required=True, min_length=1, max_length=60)


def _label(words: str) -> str:
    """A status as a legend entry: capitalised (str.capitalize would lower the rest)."""
    return words[:1].upper() + words[1:]


def _texts() -> dict:
    """The words the script shows, in the page's language."""
    return {
        "code": _("Code"), "name": _("Name"), "crop": _("Crop"), "status": _("Status"),
        "hectares": _("Hectares"), "organisation": _("Organisation"), "kind": _("Kind"),
        "open_area": _("Open the area's page"), "open_card": _("Public card"),
        "no_code": _("no code yet"), "areas": _("Growing areas"),
        "facilities": _("Facilities"), "basemap": _("Basemap"),
        "basemap_down": _("The basemap cannot be reached; the platform's layers are still "
                          "shown."),
        "found_none": _("No growing area matches “%(code)s”.", code="{code}"),
        "found_many": _("%(n)s areas match; the first is shown.", n="{n}"),
        "search_failed": _("The search did not answer; try again."),
        "draw_first": _("Draw the area on the map first."),
        "saving": _("Saving…"),
        "saved": _("Draft saved: %(name)s, %(ha)s ha.", name="{name}", ha="{ha}"),
        "refused": _("The draft was not saved:"),
        "measure": _("Measure a distance or an area"),
        "measure_hint": _("Click points on the map; double-click or press the button again "
                          "to finish."),
        "distance": _("Distance"), "area": _("Area"),
        "kinds": {k.value: str(v) for k, v in FACILITY_KINDS.items()},
        "over_capacity": _("Over capacity"), "capacity_kg": _("Capacity (kg)"),
        "declared_kg": _("Declared (kg)"),
        "capacity_failed": _("The codes over capacity could not be loaded."),
        "overdue": _("Overdue inspections"), "overdue_inspection": _("Inspection overdue"),
        "overdue_action": _("Corrective action overdue"), "due": _("Due"),
        "market": _("Market"), "overdue_failed": _("The overdue inspections could not be "
                                                    "loaded."),
    }


def _config(actor, *, public: bool) -> dict:
    """What the script needs: where the tiles and endpoints are, and the legend."""
    root = request.script_root
    return {
        "public": public,
        "tiles": {layer: f"{root}/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf"
                  for layer in ("growing-areas", "facilities")},
        "search": url_for("webgis.open_search" if public else "webgis.search"),
        "card": url_for("areas.public_card", code=_CODE).replace(_CODE, "{code}"),
        "area": None if public else url_for("areas.detail", side="gis", area_id=_ID)
        .replace(str(_ID), "{id}"),
        "api": None if public else url_for("api_areas.Areas"),
        # Codes flagged by the capacity ledger, outlined on the officials' map only.
        "capacity": None if public else url_for("capacity.flagged"),
        # Overdue inspections and corrective actions of export codes (supervision).
        "overdue": None if public else url_for("markets.overdue_geojson"),
        "wards": url_for("api_units.Wards", province_code=1).replace("/1/", "/{code}/"),
        "statuses": [{"value": s.value, "colour": STATUS_COLOURS[s],
                      "label": _label(_(s.value))} for s in AreaStatus],
        "crops": map_search.crops(None if public else actor),
        "text": _texts(),
    }


@bp.get("/gis/map")
@role_required(*OFFICIALS)
def official_map():
    actor = current_actor()
    orgs, _n = organizations.list_organizations(actor, status=OrgStatus.APPROVED, limit=1000)
    admin = actor.role == Role.ADMIN
    return render_template(
        "maps/official.html", map=platform_map(map_search.extent(actor), draw=True),
        config=_config(actor, public=False), organizations=orgs,
        provinces=units.provinces() if admin else (),
        wards=() if admin else units.wards(actor.province_code),
        statuses=list(AreaStatus))


@bp.get("/map")
def open_map():
    """The open map (bản đồ mở): issued areas and active facilities, for anyone."""
    return render_template("maps/open.html", map=platform_map(map_search.extent(None)),
                           config=_config(None, public=True))


def _search(actor):
    try:
        query = SearchQuery().load(request.args.to_dict())
    except ValidationError as exc:
        errors = localize(exc.messages)
        return {"detail": _("Type a growing-area code to search for."), "errors": errors}, 400
    found = map_search.find(actor, query["code"])
    return {"results": [{"id": f.id if actor else None, "code": f.code, "name": f.name,
                         "status": f.status.value, "bbox": list(f.bbox)} for f in found]}


@bp.get("/gis/map/search")
@role_required(*OFFICIALS)
def search():
    """Areas whose code contains the typed text, among those the official may see, with
    the box (west, south, east, north) to zoom to."""
    return _search(current_actor())


@bp.get("/map/search")
def open_search():
    """The same search over issued areas, for the open map."""
    return _search(None)
