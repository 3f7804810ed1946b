"""Growing areas (vùng trồng): drafts, submission, an official's decision and the
code it issues, and the life of an issued area (suspend, reinstate, revoke,
polygon changes). Every transition is audited; every polygon kept as a version.

Who: the producer drafts and submits its own organisation's areas; an official
of the province (or an admin) decides. A producer's new polygon for an issued
area waits as a proposal until an official approves it.
"""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from decimal import Decimal

from flask_babel import gettext as _
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from .. import permissions
from ..clock import now
from ..db import session, transaction
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..models import (AreaStatus, CodeKind, GrowingArea, GrowingAreaVersion, Organization,
                      Role, User)
from . import area_codes, audit
from .area_rules import checked_polygon
from .organizations import organization_for, place_for

FIELDS = ("code", "name", "crop", "organization_id", "households", "area_ha", "perimeter_m",
          "province_code", "ward_code", "status", "status_reason", "target_markets",
          "issued_at", "valid_until", "version")
EDITABLE_STATUSES = (AreaStatus.DRAFT, AreaStatus.REJECTED)
GEOMETRY_FIELDS = ("geometry", "repair")

# Who may move an area from one status to another, and which need a reason.
TRANSITIONS = {
    "submit": ((AreaStatus.DRAFT, AreaStatus.REJECTED), AreaStatus.SUBMITTED, False),
    "approve": ((AreaStatus.SUBMITTED,), AreaStatus.ISSUED, False),
    "reject": ((AreaStatus.SUBMITTED,), AreaStatus.REJECTED, True),
    "suspend": ((AreaStatus.ISSUED,), AreaStatus.SUSPENDED, True),
    "reinstate": ((AreaStatus.SUSPENDED,), AreaStatus.ISSUED, False),
    "revoke": ((AreaStatus.ISSUED, AreaStatus.SUSPENDED), AreaStatus.REVOKED, True),
}


# -- reading -----------------------------------------------------------------------

def visible(actor: User | None, *, status: AreaStatus | None = None, crop: str | None = None,
            organization_id: int | None = None, province_code: int | None = None,
            ward_code: int | None = None, import_id: int | None = None,
            ids: list[int] | None = None, q: str | None = None,
            proposals: bool = False) -> list:
    """The WHERE clauses for the areas `actor` may read that match the filters: one
    place for the list, the map and the exports."""
    permissions.require_login(actor)
    where = [permissions.owner_filter(actor, GrowingArea.organization_id,
                                      GrowingArea.province_code)]
    for column, value in ((GrowingArea.status, status), (GrowingArea.crop, crop),
                          (GrowingArea.organization_id, organization_id),
                          (GrowingArea.province_code, province_code),
                          (GrowingArea.ward_code, ward_code),
                          (GrowingArea.import_id, import_id)):
        if value is not None:
            where.append(column == value)
    if ids:
        where.append(GrowingArea.id.in_(ids))
    if proposals:
        where.append(GrowingArea.proposed_geom.is_not(None))
    if q:
        where.append(GrowingArea.code.ilike(f"%{q}%") | GrowingArea.name.ilike(f"%{q}%"))
    return where


ORDER = (GrowingArea.code.nulls_last(), GrowingArea.id)


def list_areas(actor: User | None, *, offset: int = 0, limit: int = 20,
               **filters) -> tuple[list[GrowingArea], int]:
    """One page of the areas `actor` may read; `filters` as for `visible`."""
    where = visible(actor, **filters)
    s = session()
    total = s.scalar(select(func.count()).select_from(GrowingArea).where(*where))
    rows = s.scalars(select(GrowingArea).where(*where).order_by(*ORDER)
                     .offset(offset).limit(limit))
    return list(rows), total


def get_area(actor: User | None, area_id: int) -> GrowingArea:
    return permissions.fetch(session(), actor, GrowingArea, area_id, "area")


def get_public_area(code: str) -> GrowingArea:
    """An area the public may see: issued (or suspended/revoked, so a scanned stamp
    can say so), looked up by its code."""
    area = session().scalar(select(GrowingArea).where(
        GrowingArea.code == code.strip().upper(),
        GrowingArea.status.in_((AreaStatus.ISSUED, AreaStatus.SUSPENDED, AreaStatus.REVOKED))))
    if area is None:
        raise NotFound(_("No growing area has the code %(code)s.", code=code))
    return area


def areas_at(actor: User | None, lon: float, lat: float) -> list[GrowingArea]:
    """The areas containing a point: issued ones for the public, everything the
    actor may read otherwise. The GiST index answers it."""
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    where = [func.ST_Intersects(GrowingArea.geom, point)]
    if actor is None:
        where.append(GrowingArea.status == AreaStatus.ISSUED)
    else:
        where.append(permissions.owner_filter(actor, GrowingArea.organization_id,
                                              GrowingArea.province_code))
    return list(session().scalars(select(GrowingArea).where(*where).order_by(GrowingArea.id)
                                  .limit(20)))


def versions(actor: User | None, area_id: int) -> list:
    """Every polygon the area has had: the replaced ones kept in growing_area_versions,
    then the current one."""
    area = get_area(actor, area_id)
    history = list(session().scalars(select(GrowingAreaVersion)
                                     .where(GrowingAreaVersion.area_id == area.id)
                                     .order_by(GrowingAreaVersion.version)))
    current = SimpleNamespace(version=area.version, geom=area.geom, area_ha=area.area_ha,
                              perimeter_m=area.perimeter_m, changed_by=None,
                              created_at=area.updated_at)
    return history + [current]


def neighbours(actor: User | None, area: GrowingArea, radius_m: float = 1000,
               limit: int = 200) -> list[GrowingArea]:
    """Other areas within `radius_m` of an area, for the review map."""
    centre = aliased(GrowingArea)
    here = select(func.Geography(centre.geom)).where(centre.id == area.id).scalar_subquery()
    where = [GrowingArea.id != area.id,
             func.ST_DWithin(func.Geography(GrowingArea.geom), here, radius_m),
             GrowingArea.status.not_in((AreaStatus.REJECTED, AreaStatus.REVOKED)),
             permissions.owner_filter(actor, GrowingArea.organization_id,
                                      GrowingArea.province_code)]
    return list(session().scalars(select(GrowingArea).where(*where).limit(limit)))


# -- drafting ----------------------------------------------------------------------

def _set_geometry(s: Session, area: GrowingArea, geometry: BaseGeometry, user: User, *,
                  repair: bool) -> None:
    checked = checked_polygon(s, geometry, crop=area.crop, province_code=area.province_code,
                              repair=repair, exclude_id=area.id, name=area.name)
    area.geom = from_shape(checked.geometry, srid=4326)
    area.area_ha = Decimal(f"{checked.area_ha:.4f}")
    area.perimeter_m = Decimal(f"{checked.perimeter_m:.2f}")


def _keep_version(s: Session, area: GrowingArea, user: User) -> None:
    """Keep the polygon about to be replaced; `changed_by` is who replaced it."""
    s.add(GrowingAreaVersion(area_id=area.id, version=area.version, geom=area.geom,
                             area_ha=area.area_ha, perimeter_m=area.perimeter_m,
                             changed_by=user.id))


def create_area(actor: User | None, data: dict) -> GrowingArea:
    """Draft an area from a drawn or uploaded polygon. An official may record an
    area that already has a code from another system: it is adopted verbatim
    (when it matches a configured pattern) and the area is issued."""
    user = permissions.require_write(actor)
    existing_code = data.pop("code", None)
    if existing_code and user.role == Role.PRODUCER:
        raise Forbidden(_("Only an official can record an existing growing-area code."))
    with transaction() as s:
        org = organization_for(s, user, data.pop("organization_id", None))
        province, ward = place_for(org, user, data.pop("province_code", None),
                                   data.pop("ward_code", None))
        geometry, repair = data.pop("geometry"), data.pop("repair", False)
        area = GrowingArea(organization_id=org.id, province_code=province, ward_code=ward,
                           status=AreaStatus.DRAFT, version=1, **data)
        _set_geometry(s, area, geometry, user, repair=repair)
        if existing_code:
            area.code = _unused(s, area_codes.adopt_code(s, province, CodeKind.GROWING_AREA,
                                                         existing_code))
            area.status, area.issued_at = AreaStatus.ISSUED, now()
        s.add(area)
        s.flush()
        audit.record(s, user, "growing_area", area.id,
                     "import_code" if existing_code else "create",
                     after=audit.snapshot(area, FIELDS))
    return area


def _unused(s: Session, code: str) -> str:
    if s.scalar(select(GrowingArea.id).where(GrowingArea.code == code)) is not None:
        raise Conflict(_("Code %(code)s is already held by another area.", code=code),
                       {"code": [_("Already used.")]})
    return code


def update_area(actor: User | None, area_id: int, changes: dict) -> GrowingArea:
    """Change an area. Drafts and rejected areas change freely. For an issued or
    suspended area only the name, households and markets change directly; a new
    polygon from a producer becomes a proposal for an official, while an
    official's own edit applies at once (both kept as versions)."""
    with transaction() as s:
        area = permissions.fetch(s, actor, GrowingArea, area_id, "area", write=True, lock=True)
        before = audit.snapshot(area, FIELDS)
        geometry, repair = changes.pop("geometry", None), changes.pop("repair", False)
        editable = area.status in EDITABLE_STATUSES
        if area.status == AreaStatus.REVOKED or (area.status == AreaStatus.SUBMITTED
                                                 and actor.role == Role.PRODUCER):
            raise Conflict(_("A %(status)s area cannot be changed.", status=_(area.status.value)))
        locked = {"crop", "province_code", "ward_code"} & set(changes)
        if locked and not editable:
            raise Conflict(_("The crop and place of an issued area change only through a new "
                             "application."))
        if "ward_code" in changes or "province_code" in changes:
            org = s.get(Organization, area.organization_id)
            area.province_code, area.ward_code = place_for(
                org, actor, changes.pop("province_code", area.province_code),
                changes.pop("ward_code", area.ward_code))
        for key, value in changes.items():
            setattr(area, key, value)
        action = "update"
        if geometry is not None:
            if editable or actor.role != Role.PRODUCER:
                _keep_version(s, area, actor)
                _set_geometry(s, area, geometry, actor, repair=repair)
                area.version += 1
                area.proposed_geom = area.proposed_by = area.proposed_at = None
                action = "change_polygon"
            else:
                checked = checked_polygon(s, geometry, crop=area.crop,
                                          province_code=area.province_code, repair=repair,
                                          exclude_id=area.id, name=area.name)
                area.proposed_geom = from_shape(checked.geometry, srid=4326)
                area.proposed_by, area.proposed_at = actor.id, now()
                action = "propose_polygon"
        s.flush()
        audit.record(s, actor, "growing_area", area.id, action, before,
                     audit.snapshot(area, FIELDS))
    return area


def decide_proposal(actor: User | None, area_id: int, *, approve: bool,
                    reason: str | None = None) -> GrowingArea:
    """An official accepts or refuses a producer's new polygon for an issued area."""
    with transaction() as s:
        area = permissions.fetch(s, actor, GrowingArea, area_id, "area.review", write=True,
                                 lock=True)
        if area.proposed_geom is None:
            raise Conflict(_("This area has no proposed polygon to decide on."))
        before = audit.snapshot(area, FIELDS)
        if approve:
            _keep_version(s, area, actor)
            _set_geometry(s, area, to_shape(area.proposed_geom), actor, repair=False)
            area.version += 1
        elif not (reason or "").strip():
            raise Invalid(_("Say why the new polygon is refused."),
                          {"reason": [_("Required when rejecting.")]})
        area.proposed_geom = area.proposed_by = area.proposed_at = None
        s.flush()
        audit.record(s, actor, "growing_area", area.id,
                     "approve_polygon" if approve else "reject_polygon", before,
                     {**audit.snapshot(area, FIELDS), "reason": reason})
    return area


def delete_area(actor: User | None, area_id: int) -> None:
    """Only a draft can be deleted; anything submitted stays on record."""
    with transaction() as s:
        area = permissions.fetch(s, actor, GrowingArea, area_id, "area", write=True, lock=True)
        if area.status != AreaStatus.DRAFT:
            raise Conflict(_("Only a draft can be deleted; this area is %(status)s.",
                             status=_(area.status.value)))
        audit.record(s, actor, "growing_area", area.id, "delete",
                     audit.snapshot(area, FIELDS))
        s.delete(area)


# -- the workflow ------------------------------------------------------------------

def transition(actor: User | None, area_id: int, action: str, *, reason: str | None = None,
               valid_until: date | None = None) -> GrowingArea:
    """Submit (the producer or an official), or approve, reject, suspend, reinstate,
    revoke (officials of the province). Approval issues the code."""
    with transaction() as s:
        subject = "area" if action == "submit" else "area.review"
        area = permissions.fetch(s, actor, GrowingArea, area_id, subject, write=True, lock=True)
        _apply(s, actor, area, action, reason=reason, valid_until=valid_until)
    return area


def approve_many(actor: User | None, area_ids: list[int], *,
                 valid_until: date | None = None) -> list[GrowingArea]:
    """Issue codes for several submitted areas at once: all of them, or none."""
    with transaction() as s:
        areas = []
        for area_id in sorted(set(area_ids)):
            area = permissions.fetch(s, actor, GrowingArea, area_id, "area.review", write=True,
                                     lock=True)
            _apply(s, actor, area, "approve", valid_until=valid_until)
            areas.append(area)
    return areas


def submit_many(actor: User | None, area_ids: list[int]) -> list[GrowingArea]:
    with transaction() as s:
        areas = []
        for area_id in sorted(set(area_ids)):
            area = permissions.fetch(s, actor, GrowingArea, area_id, "area", write=True,
                                     lock=True)
            _apply(s, actor, area, "submit")
            areas.append(area)
    return areas


def _apply(s: Session, actor: User, area: GrowingArea, action: str, *,
           reason: str | None = None, valid_until: date | None = None) -> None:
    sources, target, needs_reason = TRANSITIONS[action]
    if area.status not in sources:
        raise Conflict(_("Cannot %(action)s an area that is %(status)s.",
                         action=_(action), status=_(area.status.value)))
    if needs_reason and not (reason or "").strip():
        raise Invalid(_("Say why (the reason is shown to the producer)."),
                      {"reason": [_("Required for this decision.")]})
    before = audit.snapshot(area, FIELDS)
    if action in ("submit", "approve", "reinstate"):
        # The neighbours may have changed since the polygon was drawn.
        checked_polygon(s, to_shape(area.geom), crop=area.crop,
                        province_code=area.province_code, exclude_id=area.id, name=area.name)
    if action == "approve":
        if valid_until is not None and valid_until < now().date():
            raise Invalid(_("The validity must end in the future."),
                          {"valid_until": [_("A date in the past.")]})
        if area.code is None:
            area.code = area_codes.issue_code(s, area.province_code, CodeKind.GROWING_AREA)
        area.issued_at, area.valid_until = now(), valid_until
    area.status = target
    area.status_reason = reason if needs_reason else None
    s.flush()
    audit.record(s, actor, "growing_area", area.id, action, before,
                 audit.snapshot(area, FIELDS))
