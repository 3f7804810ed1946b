"""Flask extensions, created unbound here and bound in create_app()."""
from __future__ import annotations

from flask import g, request, session
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_wtf import CSRFProtect


class ProblemApi(Api):
    """flask-smorest, minus its app-wide JSON error handler: errors are mapped in
    one place (web/errors.py), as problem+json under /api and HTML elsewhere."""

    def _register_error_handlers(self):
        pass


def select_locale() -> str:
    """Explicit choice (?lang= or the switch, kept in the session), then the user's
    setting, then the browser's Accept-Language; Vietnamese by default."""
    from flask import current_app
    languages = current_app.config["LANGUAGES"]
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
