from __future__ import annotations

from flask.views import MethodView

from ..auth import current_actor
from ..schemas.accounts import TokenCreated, TokenIn, TokenOut
from ..services import accounts as service
from . import ApiBlueprint as Blueprint

PREFIX = "/tokens"
blp = Blueprint("api_tokens", __name__, description="Your API tokens (named, revocable).")


@blp.route("")
class Tokens(MethodView):
    @blp.response(200, TokenOut(many=True))
    def get(self):
        return service.list_tokens(current_actor())

    @blp.arguments(TokenIn)
    @blp.response(201, TokenCreated)
    def post(self, data):
        """Create a token; its secret is in this response only."""
        token, secret = service.create_token(current_actor(), **data)
        token.token = secret
        return token


@blp.route("/<id:token_id>")
class TokenById(MethodView):
    @blp.response(204)
    def delete(self, token_id):
        service.revoke_token(current_actor(), token_id)
