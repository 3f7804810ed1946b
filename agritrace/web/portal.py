"""The producer portal (cổng thông tin cho người sản xuất)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from ..auth import current_actor
from ..clock import today
from ..errors import DomainError
from ..models import Role
from ..schemas.forms import FormSchema
from ..schemas.products import ProductIn
from ..services import organizations, products
from .access import role_required
from .forms import form_errors, form_values

bp = Blueprint("portal", __name__, url_prefix="/portal")


class ProductForm(ProductIn, FormSchema):
    class Meta(FormSchema.Meta):
        exclude = ("organization_id", "certifications")


@bp.route("/", methods=["GET", "POST"])
@role_required(Role.PRODUCER, Role.ADMIN)
def index():
    actor = current_actor()
    errors = {}
    if request.method == "POST":
        try:
            products.create_product(actor, ProductForm().load(form_values()))
        except (ValidationError, DomainError) as exc:
            errors = form_errors(exc)
        else:
            flash(_("Product saved."), "success")
            return redirect(url_for("portal.index"))
    org = organizations.get_organization(actor, actor.organization_id) \
        if actor.organization_id else None
    rows, total = products.list_products(actor, limit=100)
    return render_template("portal/index.html", org=org, products=rows, total=total,
                           today=today(), errors=errors, form=request.form), \
        400 if errors else 200
