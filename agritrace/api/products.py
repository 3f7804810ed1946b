from __future__ import annotations

from flask.views import MethodView
from ..auth import current_actor
from ..schemas.common import offset_limit
from . import ApiBlueprint as Blueprint, page_of
from ..schemas.products import PhotoFile, ProductIn, ProductOut, ProductPatch, ProductQuery
from ..services import product_photos
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


@blp.route("/<id:product_id>/photo")
class ProductPhoto(MethodView):
    @blp.arguments(PhotoFile, location="files")
    @blp.response(200, ProductOut)
    def put(self, files, product_id):
        """Set or replace the product's photo (multipart/form-data, file field `photo`).
        A file that is not a JPEG, PNG or WebP image, too large, or declaring too many
        pixels is refused with 422 and the photo stays as it was."""
        upload = files["photo"]
        return product_photos.set_product_photo(current_actor(), product_id, upload.read(),
                                                upload.filename or "photo")

    @blp.response(204)
    def delete(self, product_id):
        """Remove the product's photo (nothing happens when it has none)."""
        product_photos.remove_product_photo(current_actor(), product_id)
