"""Facilities (cơ sở): packing houses and other premises. A packing house gets its
code (mã số cơ sở đóng gói, kind PH) from the province's template when an
official approves it, the same way growing areas do."""
from __future__ import annotations

from flask_babel import gettext as _
from geoalchemy2.shape import from_shape
from sqlalchemy import func, select

from gis.vietnam import contains as in_vietnam

from .. import permissions
from ..db import session, transaction
from ..errors import Conflict, Invalid
from ..models import CodeKind, Facility, FacilityKind, FacilityStatus, User
from . import area_codes, audit
from .organizations import organization_for, place_for

FIELDS = ("code", "kind", "name", "organization_id", "gln", "address", "province_code",
          "ward_code", "status")
TRANSITIONS = {
    "approve": ((FacilityStatus.PENDING,), FacilityStatus.ACTIVE),
    "suspend": ((FacilityStatus.ACTIVE,), FacilityStatus.SUSPENDED),
    "reinstate": ((FacilityStatus.SUSPENDED,), FacilityStatus.ACTIVE),
    "close": ((FacilityStatus.PENDING, FacilityStatus.ACTIVE, FacilityStatus.SUSPENDED),
              FacilityStatus.CLOSED),
}


def _unused(s, code: str) -> str:
    if s.scalar(select(Facility.id).where(Facility.code == code)) is not None:
        raise Conflict(_("Code %(code)s is already held by another facility.", code=code),
                       {"code": [_("Already used.")]})
    return code


def list_facilities(actor: User | None, *, kind: FacilityKind | None = None,
                    status: FacilityStatus | None = None, offset: int = 0, limit: int = 20
                    ) -> tuple[list[Facility], int]:
    permissions.require_login(actor)
    where = [permissions.owner_filter(actor, Facility.organization_id, Facility.province_code)]
    if kind:
        where.append(Facility.kind == kind)
    if status:
        where.append(Facility.status == status)
    s = session()
    total = s.scalar(select(func.count()).select_from(Facility).where(*where))
    rows = s.scalars(select(Facility).where(*where).order_by(Facility.name, Facility.id)
                     .offset(offset).limit(limit))
    return list(rows), total


def get_facility(actor: User | None, facility_id: int) -> Facility:
    return permissions.fetch(session(), actor, Facility, facility_id, "area")


def create_facility(actor: User | None, data: dict) -> Facility:
    user = permissions.require_write(actor)
    point = data.pop("location")
    if not in_vietnam(point):
        raise Invalid(_("The location is outside Viet Nam; check that longitude comes first."),
                      {"location": [_("Outside Viet Nam.")]})
    with transaction() as s:
        org = organization_for(s, user, data.pop("organization_id", None))
        province, ward = place_for(org, user, data.pop("province_code", None),
                                   data.pop("ward_code", None))
        facility = Facility(organization_id=org.id, province_code=province, ward_code=ward,
                            geom=from_shape(point, srid=4326), status=FacilityStatus.PENDING,
                            **data)
        s.add(facility)
        s.flush()
        audit.record(s, user, "facility", facility.id, "create",
                     after=audit.snapshot(facility, FIELDS))
    return facility


def transition(actor: User | None, facility_id: int, action: str, *,
               code: str | None = None) -> Facility:
    """Officials of the province approve (issuing a packing-house code, or adopting
    one issued elsewhere), suspend, reinstate or close a facility."""
    with transaction() as s:
        facility = permissions.fetch(s, actor, Facility, facility_id, "area.review",
                                     write=True, lock=True)
        sources, target = TRANSITIONS[action]
        if facility.status not in sources:
            raise Conflict(_("Cannot %(action)s a facility that is %(status)s.",
                             action=_(action), status=_(facility.status.value)))
        before = audit.snapshot(facility, FIELDS)
        if action == "approve" and facility.code is None \
                and facility.kind == FacilityKind.PACKING_HOUSE:
            facility.code = _unused(s, area_codes.adopt_code(
                s, facility.province_code, CodeKind.PACKING_HOUSE, code)) if code \
                else area_codes.issue_code(s, facility.province_code, CodeKind.PACKING_HOUSE)
        facility.status = target
        s.flush()
        audit.record(s, actor, "facility", facility.id, action, before,
                     audit.snapshot(facility, FIELDS))
    return facility
