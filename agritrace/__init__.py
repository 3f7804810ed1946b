"""AgriTrace: traceability and growing-area codes for agriculture."""
from __future__ import annotations

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Build the application; nothing runs at import time."""
    from flask_babel import get_locale

    from . import api, cli, db, http_errors, security, units
    from . import config as settings
    from .extensions import babel, csrf, login_manager, migrate, select_locale
    from .web import public

    app = Flask(__name__, static_folder=str(settings.project_root() / "static"),
                static_url_path="/static")
    app.config.update(settings.load(config))
    app.url_map.converters["id"] = api.IdConverter

    db.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories="translations")
    csrf.init_app(app)
    migrate.init_app(app, directory=str(settings.project_root() / "migrations"))
    login_manager.init_app(app)
    public.init_login(login_manager)

    _register_pages(app)
    api.init_app(app)
    # The API authenticates by bearer token, or checks the X-CSRFToken header itself
    # when a browser session writes (auth.current_actor).
    for name in list(app.blueprints):
        if name.startswith("api_"):
            csrf.exempt(app.blueprints[name])
    http_errors.init_app(app)
    security.init_app(app)
    app.jinja_env.globals.update(province_name=units.province_name, ward_name=units.ward_name,
                                 get_locale=get_locale)
    cli.init_app(app)
    return app


def _register_pages(app: Flask) -> None:
    """The page doors (web/), and the EPCIS subscriptions beside the EPCIS API."""
    from . import ogc
    from .api import epcis_subscriptions
    from .web import (account, admin, areas, batches, capacity, cartons, devices, diary,
                      due_diligence, field_api, field_app, handovers, keys, map_pages, markets,
                      media, portal, products, public, recalls, registry, reports, resolver,
                      residues, review, scan, stamps, stats, tiles, trace, transformations)
    for module in (public, account, portal, review, admin, areas, ogc, products, media, batches,
                   diary, stamps, scan, reports, tiles, map_pages, stats, keys, handovers,
                   recalls, transformations, cartons, trace, capacity, registry, field_api,
                   devices, field_app, resolver, markets, residues, due_diligence):
        app.register_blueprint(module.bp)
    app.register_blueprint(epcis_subscriptions.blp, url_prefix="/epcis")
