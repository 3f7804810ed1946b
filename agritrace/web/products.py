"""Product pages: producers edit theirs under /portal/products, officials read their
province's under /gis/products (the same page, without the forms)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from ..auth import current_actor
from ..clock import today
from ..errors import DomainError
from ..models import CertScheme, Role
from ..schemas.forms import FormSchema
from ..schemas.products import CertificationIn
from ..services import product_photos, products
from .access import role_required, side_routes
from .forms import form_errors, form_values
from .portal import ProductForm

bp = Blueprint("products", __name__)
STAFF = (Role.PRODUCER, Role.OFFICIAL, Role.ADMIN)
EDITORS = (Role.PRODUCER, Role.ADMIN)
# Inputs that may be emptied: an empty box removes the value.
NULLABLE = ("name_en", "gtin", "ocop_stars", "brand", "standards")


class CertificationForm(CertificationIn, FormSchema):
    pass


route = side_routes(bp)


def _page(side: str, product_id: int, errors: dict | None = None):
    """The product page; with errors, the form that failed is shown again with them."""
    actor = current_actor()
    product = products.get_product(actor, product_id)
    errors = errors or {}
    return render_template("products/detail.html", side=side, product=product,
                           today=today(), errors=errors,
                           form=request.form if errors else {},
                           editable=actor.role in EDITORS, schemes=list(CertScheme)), \
        400 if errors else 200


def _done(message: str, product_id: int):
    flash(message, "success")
    return redirect(url_for("products.detail", side="portal", product_id=product_id))


@route("/products/<id:product_id>", methods=["GET"])
@role_required(*STAFF)
def detail(side: str, product_id: int):
    return _page(side, product_id)


@bp.post("/portal/products/<id:product_id>")
@role_required(*EDITORS)
def edit(product_id: int):
    values = {k: (None if v == "" and k in NULLABLE else v)
              for k, v in request.form.to_dict().items()}
    try:
        products.update_product(current_actor(), product_id, ProductForm().load(values))
    except (ValidationError, DomainError) as exc:
        return _page("portal", product_id, form_errors(exc))
    return _done(_("Product saved."), product_id)


@bp.post("/portal/products/<id:product_id>/photo")
@role_required(*EDITORS)
def photo(product_id: int):
    upload = request.files.get("photo")
    try:
        if upload is None or not upload.filename:
            raise ValidationError({"photo": [_("Choose a photo to upload.")]})
        product_photos.set_product_photo(current_actor(), product_id, upload.read(),
                                         upload.filename)
    except (ValidationError, DomainError) as exc:
        return _page("portal", product_id, form_errors(exc))
    return _done(_("Photo saved."), product_id)


@bp.post("/portal/products/<id:product_id>/photo/delete")
@role_required(*EDITORS)
def remove_photo(product_id: int):
    try:
        product_photos.remove_product_photo(current_actor(), product_id)
    except DomainError as exc:
        return _page("portal", product_id, form_errors(exc))
    return _done(_("Photo removed."), product_id)


@bp.post("/portal/products/<id:product_id>/certifications")
@role_required(*EDITORS)
def add_certification(product_id: int):
    values = form_values()
    try:
        products.add_certification(current_actor(), product_id,
                                   CertificationForm().load(values))
    except (ValidationError, DomainError) as exc:
        return _page("portal", product_id, form_errors(exc))
    return _done(_("Certification added."), product_id)


@bp.post("/portal/products/<id:product_id>/certifications/<id:certification_id>/delete")
@role_required(*EDITORS)
def remove_certification(product_id: int, certification_id: int):
    try:
        products.remove_certification(current_actor(), product_id, certification_id)
    except DomainError as exc:
        return _page("portal", product_id, form_errors(exc))
    return _done(_("Certification removed."), product_id)


@bp.post("/portal/products/<id:product_id>/delete")
@role_required(*EDITORS)
def delete(product_id: int):
    try:
        products.delete_product(current_actor(), product_id)
    except DomainError as exc:
        return _page("portal", product_id, form_errors(exc))
    flash(_("Product deleted."), "success")
    return redirect(url_for("portal.index"))
