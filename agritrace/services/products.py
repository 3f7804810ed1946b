"""Products of an organisation, with their certifications."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import permissions
from ..db import session, transaction
from ..errors import Conflict, Invalid, NotFound
from ..models import Batch, Certification, Organization, Product, User
from . import audit, product_photos
from .organizations import organization_for

FIELDS = ("organization_id", "name", "name_en", "category", "gtin", "ocop_stars",
          "yield_factor", "brand", "standards")
CERT_FIELDS = ("scheme", "number", "issuer", "valid_from", "valid_until")
MAX_CERTIFICATIONS = 20  # as the API's list of certifications allows


def list_products(actor: User | None, *, organization_id: int | None = None,
                  category: str | None = None, q: str | None = None, offset: int = 0,
                  limit: int = 20) -> tuple[list[Product], int]:
    permissions.require_login(actor)
    where = [permissions.owner_filter(actor, Product.organization_id, Organization.province_code)]
    if organization_id:
        where.append(Product.organization_id == organization_id)
    if category:
        where.append(Product.category == category)
    if q:
        where.append(Product.name.ilike(f"%{q}%") | Product.name_en.ilike(f"%{q}%"))
    base = select(Product).join(Product.organization).where(*where)
    s = session()
    total = s.scalar(select(func.count()).select_from(base.subquery()))
    rows = s.scalars(base.options(selectinload(Product.certifications))
                     .order_by(Product.name, Product.id).offset(offset).limit(limit))
    return list(rows.unique()), total


def get_product(actor: User | None, product_id: int) -> Product:
    return permissions.fetch(session(), actor, Product, product_id, "product")


def _gtin_taken(s, gtin: str | None, product_id: int | None = None) -> None:
    if gtin is None:
        return
    other = s.scalar(select(Product.id).where(Product.gtin == gtin))
    if other is not None and other != product_id:
        raise Conflict(_("GTIN %(gtin)s is already used by another product.", gtin=gtin),
                       {"gtin": [_("Already used.")]})


def _name_taken(s, org_id: int, name: str, product_id: int | None = None) -> None:
    other = s.scalar(select(Product.id).where(Product.organization_id == org_id,
                                              Product.name == name))
    if other is not None and other != product_id:
        raise Conflict(_("Your organisation already has a product named %(name)s.", name=name),
                       {"name": [_("Already used.")]})


def create_product(actor: User | None, data: dict) -> Product:
    """A product of the actor's organisation (a producer) or of the one an admin names;
    the organisation need not be approved yet."""
    user = permissions.require_write(actor)
    certifications = data.pop("certifications", [])
    with transaction() as s:
        org = organization_for(s, user, data.pop("organization_id", None), approved=False,
                               unnamed=_("Say which organisation the product belongs to."))
        product = Product(organization_id=org.id, **data)
        product.organization = org
        permissions.check(user, "product", product, write=True)
        _gtin_taken(s, data.get("gtin"))
        _name_taken(s, org.id, data["name"])
        product.certifications = [Certification(**c) for c in certifications]
        s.add(product)
        s.flush()
        audit.record(s, user, "product", product.id, "create",
                     after=audit.snapshot(product, FIELDS))
    return product


def update_product(actor: User | None, product_id: int, changes: dict) -> Product:
    with transaction() as s:
        product = permissions.fetch(s, actor, Product, product_id, "product", write=True,
                                    lock=True)
        before = audit.snapshot(product, FIELDS)
        if "gtin" in changes:
            _gtin_taken(s, changes["gtin"], product.id)
        if "name" in changes:
            _name_taken(s, product.organization_id, changes["name"], product.id)
        certifications = changes.pop("certifications", None)
        for key, value in changes.items():
            setattr(product, key, value)
        if certifications is not None:
            product.certifications = [Certification(**c) for c in certifications]
        s.flush()
        audit.record(s, actor, "product", product.id, "update", before,
                     audit.snapshot(product, FIELDS))
    return product


def delete_product(actor: User | None, product_id: int) -> None:
    with transaction() as s:
        product = permissions.fetch(s, actor, Product, product_id, "product", write=True,
                                    lock=True)
        if s.scalar(select(Batch.id).where(Batch.product_id == product.id).limit(1)):
            raise Conflict(_("This product has batches and cannot be deleted."))
        audit.record(s, actor, "product", product.id, "delete",
                     before=audit.snapshot(product, FIELDS))
        product_photos.discard_files(s, product.image_path)
        s.delete(product)


def add_certification(actor: User | None, product_id: int, data: dict) -> Certification:
    """Add one certification (chứng nhận) to a product."""
    with transaction() as s:
        product = permissions.fetch(s, actor, Product, product_id, "product", write=True,
                                    lock=True)
        if len(product.certifications) >= MAX_CERTIFICATIONS:
            raise Invalid(_("A product has at most %(n)s certifications.", n=MAX_CERTIFICATIONS))
        certification = Certification(**data)
        product.certifications.append(certification)
        s.flush()
        audit.record(s, actor, "product", product.id, "add_certification",
                     after=audit.snapshot(certification, CERT_FIELDS))
    return certification


def remove_certification(actor: User | None, product_id: int, certification_id: int) -> None:
    with transaction() as s:
        product = permissions.fetch(s, actor, Product, product_id, "product", write=True,
                                    lock=True)
        certification = next((c for c in product.certifications if c.id == certification_id),
                             None)
        if certification is None:
            raise NotFound(_("Not found."))
        audit.record(s, actor, "product", product.id, "remove_certification",
                     before=audit.snapshot(certification, CERT_FIELDS))
        product.certifications.remove(certification)
