"""Flask extensions, created unbound here and bound in create_app()."""
from __future__ import annotations

import http

from flask import g, has_request_context, request, session
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_wtf import CSRFProtect


class ProblemApi(Api):
    """flask-smorest, minus its app-wide JSON error handler: errors are mapped in
    one place (http_errors.py), as problem+json under /api and HTML elsewhere; the
    spec documents every error response as RFC 7807 problem+json."""

    PROBLEM = "application/problem+json"

    def _register_error_handlers(self):
        pass

    def _register_pagination_header(self):
        # The header carries JSON text; say so rather than describe it as an object.
        self.spec.components.header("PAGINATION", {
            "description": "Pagination metadata as JSON: total, total_pages, first_page, "
                           "last_page, page, previous_page, next_page.",
            "schema": {"type": "string"}}, lazy=True)

    def _register_responses(self):
        from flask_smorest.utils import prepare_response

        from .schemas.common import ProblemSchema
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = ProblemSchema
            prepare_response(response, self.spec, self.PROBLEM if status >= 400
                             else self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Problem details (RFC 7807)", "schema": ProblemSchema}
        prepare_response(response, self.spec, self.PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def select_locale() -> str:
    """Explicit choice (?lang= or the switch, kept in the session), then the user's
    setting, then the browser's Accept-Language; Vietnamese by default."""
    from flask import current_app
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and workers speak the default language
        return current_app.config["CLI_LOCALE"]
    chosen = request.args.get("lang")
    if chosen in languages:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in languages:
        return session["lang"]
    user = g.get("user")
    if user is not None and getattr(user, "locale", None) in languages:
        return user.locale
    return request.accept_languages.best_match(languages) or languages[0]


babel = Babel()
login_manager = LoginManager()
csrf = CSRFProtect()
migrate = Migrate()
api = ProblemApi()
