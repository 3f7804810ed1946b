"""AgriTrace: traceability and growing-area codes for agriculture."""
from __future__ import annotations

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Build the application; nothing runs at import time."""
    from flask_babel import get_locale

    from . import api, cli, db, http_errors, ogc, security, units
    from . import config as settings
    from .extensions import babel, csrf, login_manager, migrate, select_locale
    from .web import (account, admin, areas, batches, diary, handovers, keys, map_pages, media,
                      portal, products, public, reports, review, scan, stamps, stats, tiles)

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

    for blueprint in (public.bp, account.bp, portal.bp, review.bp, admin.bp, areas.bp, ogc.bp,
                      products.bp, media.bp, batches.bp, diary.bp, stamps.bp, scan.bp,
                      reports.bp, tiles.bp, map_pages.bp, stats.bp, keys.bp, handovers.bp):
        app.register_blueprint(blueprint)
    from .web import recalls
    app.register_blueprint(recalls.bp)
    from .web import cartons, transformations
    app.register_blueprint(transformations.bp)
    app.register_blueprint(cartons.bp)
    from .web import trace
    app.register_blueprint(trace.bp)
    from .web import capacity
    app.register_blueprint(capacity.bp)
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
