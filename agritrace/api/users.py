from __future__ import annotations

from flask.views import MethodView

from ..auth import current_actor
from ..permissions import require_login
from ..schemas.accounts import UserOut
from . import ApiBlueprint as Blueprint

PREFIX = "/users"
blp = Blueprint("api_users", __name__, description="Accounts.")


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, UserOut)
    def get(self):
        """The account behind this token or session."""
        return require_login(current_actor())
