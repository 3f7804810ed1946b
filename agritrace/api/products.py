from __future__ import annotations

from flask.views import MethodView
from ..auth import current_actor
from ..schemas.common import offset_limit
from . import ApiBlueprint as Blueprint, page_of
from ..schemas.products import ProductIn, ProductOut, ProductPatch, ProductQuery
from ..services import products as service

PREFIX = "/products"
blp = Blueprint("api_products", __name__, description="Products (sản phẩm) and certifications.")


@blp.route("")
class Products(MethodView):
    @blp.arguments(ProductQuery, location="query")
    @blp.paged(ProductOut)
    def get(self, query):
        """List the products you may see."""
        rows, total = service.list_products(current_actor(), **offset_limit(dict(query)))
        return page_of(rows, total, query)

    @blp.arguments(ProductIn)
    @blp.response(201, ProductOut)
    def post(self, data):
        return service.create_product(current_actor(), data)


@blp.route("/<id:product_id>")
class ProductById(MethodView):
    @blp.response(200, ProductOut)
    def get(self, product_id):
        return service.get_product(current_actor(), product_id)

    @blp.arguments(ProductPatch)
    @blp.response(200, ProductOut)
    def patch(self, changes, product_id):
        return service.update_product(current_actor(), product_id, changes)

    @blp.response(204)
    def delete(self, product_id):
        service.delete_product(current_actor(), product_id)
