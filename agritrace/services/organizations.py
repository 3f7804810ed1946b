"""Organisations: registration, review by an official, and profile changes."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import permissions, units
from ..clock import now
from ..db import session, transaction
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..models import OrgKind, Organization, OrgStatus, Role, User
from . import audit

# What a producer may change on its own organisation; identity (name, kind, tax
# code, province) goes through an official.
PRODUCER_EDITABLE = frozenset({"address", "phone", "email", "ward_code", "gs1_company_prefix",
                               "gln"})

FIELDS = ("kind", "name", "tax_code", "gs1_company_prefix", "gln", "address", "phone", "email",
          "province_code", "ward_code", "status", "status_reason")


def _check_place(province_code: int, ward_code: int | None) -> None:
    if not units.is_province(province_code):
        raise Invalid(_("Province code %(code)s is not one of the 34 provinces.",
                        code=province_code), {"province_code": [_("Unknown province.")]})
    _check_ward(province_code, ward_code)


def _check_ward(province_code: int, ward_code: int | None) -> None:
    if ward_code is not None and units.ward_province(ward_code) != province_code:
        raise Invalid(_("Ward %(ward)s is not in province %(prov)s.", ward=ward_code,
                        prov=units.province_name(province_code)),
                      {"ward_code": [_("Not a ward of this province.")]})


def _tax_code_free(s, tax_code: str, org_id: int | None = None) -> None:
    other = s.scalar(select(Organization.id).where(Organization.tax_code == tax_code))
    if other is not None and other != org_id:
        raise Conflict(_("An organisation with tax code %(tax)s is already registered.",
                         tax=tax_code), {"tax_code": [_("Already registered.")]})


def list_organizations(actor: User | None, *, status: OrgStatus | None = None,
                       province_code: int | None = None, kind: OrgKind | None = None,
                       q: str | None = None, offset: int = 0, limit: int | None = 20
                       ) -> tuple[list[Organization], int]:
    """One page of the organisations `actor` may read (limit=None: all of them)."""
    permissions.require_login(actor)
    where = [permissions.owner_filter(actor, Organization.id, Organization.province_code)]
    if status:
        where.append(Organization.status == status)
    if province_code:
        where.append(Organization.province_code == province_code)
    if kind:
        where.append(Organization.kind == kind)
    if q:
        where.append(Organization.name.ilike(f"%{q}%"))
    s = session()
    total = s.scalar(select(func.count()).select_from(Organization).where(*where))
    rows = s.scalars(select(Organization).where(*where).order_by(Organization.name,
                                                                 Organization.id)
                     .offset(offset).limit(limit))
    return list(rows), total


def get_organization(actor: User | None, org_id: int) -> Organization:
    return permissions.fetch(session(), actor, Organization, org_id, "organization")


def organization_for(s, user: User, organization_id: int | None, *,
                     unnamed: str | None = None, approved: bool = True) -> Organization:
    """The organisation a new area, facility or product of `user` belongs to: a
    producer's own (naming another one is not found), else the one an official or
    admin names and may see. `unnamed` says what is missing when they name none; with
    `approved`, an organisation not yet approved is refused."""
    if user.role == Role.PRODUCER:
        if organization_id not in (None, user.organization_id):
            raise NotFound(_("Not found."))
        organization_id = user.organization_id
    if organization_id is None:
        raise Invalid(unnamed or _("Say which organisation the area belongs to."),
                      {"organization_id": [_("This field is required.")]})
    org = permissions.fetch(s, user, Organization, organization_id, "organization")
    if approved and org.status != OrgStatus.APPROVED:
        raise Conflict(_("%(name)s is not approved yet; its areas can be drafted once an "
                         "official approves the organisation.", name=org.name))
    return org


def place_for(org: Organization, user: User, province_code: int | None,
              ward_code: int | None) -> tuple[int, int | None]:
    """The province (by default the organisation's) and ward of a new area or facility;
    an official keeps to its own province."""
    province = province_code or org.province_code
    if user.role == Role.OFFICIAL and province != user.province_code:
        raise Invalid(_("You can only manage areas in your own province."),
                      {"province_code": [_("Outside your province.")]})
    _check_ward(province, ward_code)
    return province, ward_code


def register_organization(actor: User | None, data: dict) -> Organization:
    """Register an organisation of any kind (cooperative, household, trader, packing
    house, exporter…); it waits as `pending` for an official of its province. Admins
    and officials (their own province) may register."""
    user = permissions.require_role(permissions.require_write(actor), Role.ADMIN, Role.OFFICIAL)
    _check_place(data["province_code"], data.get("ward_code"))
    if user.role == Role.OFFICIAL and data["province_code"] != user.province_code:
        raise Invalid(_("You can only register organisations in your own province."),
                      {"province_code": [_("Outside your province.")]})
    with transaction() as s:
        _tax_code_free(s, data["tax_code"])
        org = Organization(status=OrgStatus.PENDING, **data)
        s.add(org)
        s.flush()
        audit.record(s, user, "organization", org.id, "register",
                     after=audit.snapshot(org, FIELDS))
    return org


def update_organization(actor: User | None, org_id: int, changes: dict) -> Organization:
    with transaction() as s:
        org = permissions.fetch(s, actor, Organization, org_id, "organization", write=True,
                                lock=True)
        if actor.role == Role.PRODUCER and set(changes) - PRODUCER_EDITABLE:
            raise Forbidden(_("Only an official can change %(fields)s; ask your province's "
                              "agriculture department.",
                              fields=", ".join(sorted(set(changes) - PRODUCER_EDITABLE))))
        before = audit.snapshot(org, FIELDS)
        province = changes.get("province_code", org.province_code)
        ward = changes.get("ward_code", org.ward_code if "province_code" not in changes else None)
        _check_place(province, ward)
        if actor.role == Role.OFFICIAL and province != actor.province_code:
            raise Invalid(_("You can only keep organisations in your own province."))
        if "tax_code" in changes:
            _tax_code_free(s, changes["tax_code"], org.id)
        for key, value in changes.items():
            setattr(org, key, value)
        org.ward_code = ward
        s.flush()
        audit.record(s, actor, "organization", org.id, "update", before,
                     audit.snapshot(org, FIELDS))
    return org


def review_organization(actor: User | None, org_id: int, *, approve: bool,
                        reason: str | None = None) -> Organization:
    """An official of the province (or an admin) approves or rejects a registration."""
    with transaction() as s:
        org = permissions.fetch(s, actor, Organization, org_id, "organization.review",
                                write=True, lock=True)
        if org.status != OrgStatus.PENDING:
            raise Conflict(_("Only a pending registration can be reviewed; this one is %(s)s.",
                             s=_(org.status.value)))
        if not approve and not (reason or "").strip():
            raise Invalid(_("Say why the registration is rejected."),
                          {"reason": [_("Required when rejecting.")]})
        before = audit.snapshot(org, FIELDS)
        org.status = OrgStatus.APPROVED if approve else OrgStatus.REJECTED
        org.status_reason = reason
        org.approved_at = now() if approve else None
        s.flush()
        audit.record(s, actor, "organization", org.id, "approve" if approve else "reject",
                     before, audit.snapshot(org, FIELDS))
    return org


def self_register(data: dict, account: dict) -> tuple[Organization, User]:
    """An organisation registers itself with its first account: a cooperative,
    enterprise or household, or one further down the chain (trader, packing house,
    processor, exporter, distributor, retail chain); never an agency. It lands as
    `pending`; its user can log in, but works with lots only once an official of the
    province approves it. One transaction: both or neither."""
    from . import accounts
    if data["kind"] == OrgKind.AGENCY:
        raise Invalid(_("Agencies are registered by an administrator."),
                      {"kind": [_("Not for self-registration.")]})
    _check_place(data["province_code"], data.get("ward_code"))
    with transaction() as s:
        _tax_code_free(s, data["tax_code"])
        org = Organization(status=OrgStatus.PENDING, **data)
        s.add(org)
        s.flush()
        user = accounts.create_user(None, email=account["email"], password=account["password"],
                                    full_name=account["full_name"], role=Role.PRODUCER,
                                    organization_id=org.id, system=True)
        audit.record(s, user, "organization", org.id, "register",
                     after=audit.snapshot(org, FIELDS))
    return org, user
