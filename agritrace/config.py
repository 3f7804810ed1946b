"""Configuration: defaults in code, then the environment, then a test mapping."""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from .operations import localdb


class ConfigError(RuntimeError):
    """A setting that production needs is missing."""


def _secret_key(production: bool) -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if production:
        raise ConfigError("SECRET_KEY must be set in production.")
    # Local use only: generated once and kept beside the local database.
    path = localdb.DATA / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


# Plausible sizes of one growing area per crop, in hectares; a typo in a file's
# units (m² read as ha, a whole district drawn as one plot) falls outside them.
# Override with AREA_LIMITS_HA='{"rice": [0.1, 3000]}' (merged over these).
DEFAULT_AREA_LIMITS_HA = {
    "*": (0.01, 5000.0),
    "rice": (0.1, 5000.0), "lúa": (0.1, 5000.0),
    "dragon fruit": (0.05, 500.0), "thanh long": (0.05, 500.0),
    "lime": (0.05, 500.0), "chanh": (0.05, 500.0),
    "durian": (0.05, 500.0), "sầu riêng": (0.05, 500.0),
    "coffee": (0.05, 2000.0), "cà phê": (0.05, 2000.0),
    "vegetables": (0.01, 200.0), "rau": (0.01, 200.0),
}


def _area_limits() -> dict[str, tuple[float, float]]:
    limits = dict(DEFAULT_AREA_LIMITS_HA)
    raw = os.environ.get("AREA_LIMITS_HA")
    if raw:
        try:
            limits.update({k.strip().lower(): (float(v[0]), float(v[1]))
                           for k, v in json.loads(raw).items()})
        except (ValueError, TypeError, IndexError, AttributeError) as exc:
            raise ConfigError(f"AREA_LIMITS_HA is not a JSON object of [min, max]: {exc}")
    return limits


# Requests a client may make in a window of seconds, per kind: scans of stamp pages,
# scratch-PIN checks on /verify, and reports (phản ánh); "pin" counts the PIN
# attempts on one stamp from anywhere, so a PIN cannot be guessed from many addresses.
# "login" counts the failed logins of one account from anywhere (a success starts it
# afresh), "login_client" those from one client address, so that neither one password
# nor one address can be tried at leisure.
# "preview" counts robots' visits of stamp pages (link previews, crawlers), higher:
# a messenger fetches every shared link from a few addresses of its own.
# Override with e.g. RATE_LIMIT_SCAN=120/60 or RATE_LIMIT_LOGIN=10/1800.
DEFAULT_RATE_LIMITS = {"scan": (60, 60), "verify": (20, 600), "report": (5, 3600),
                       "pin": (10, 3600), "login": (5, 900), "login_client": (20, 900),
                       "preview": (600, 60)}


def _rate_limits() -> dict[str, tuple[int, int]]:
    limits = dict(DEFAULT_RATE_LIMITS)
    for kind in DEFAULT_RATE_LIMITS:
        raw = os.environ.get(f"RATE_LIMIT_{kind.upper()}")
        if raw:
            try:
                hits, seconds = (int(part) for part in raw.split("/"))
            except ValueError:
                raise ConfigError(f"RATE_LIMIT_{kind.upper()} is not hits/seconds: {raw!r}")
            limits[kind] = (hits, seconds)
    return limits


def load(overrides: dict | None = None) -> dict:
    overrides = overrides or {}
    production = (overrides.get("ENV") or os.environ.get("AGRITRACE_ENV", "development")) \
        == "production"
    config = {
        "ENV": "production" if production else "development",
        "DATABASE_URL": _database_url(overrides),
        **_replica_settings(),
        "SECRET_KEY": overrides.get("SECRET_KEY") or _secret_key(production),
        **_web_settings(production),
        **_area_and_stamp_settings(),
        **_scan_settings(),
        **_mail_settings(),
    }
    config.update(overrides)
    return config


def _database_url(overrides: dict) -> str:
    database_url = overrides.get("DATABASE_URL") or os.environ.get("DATABASE_URL") \
        or localdb.local_url()
    if not database_url:
        raise ConfigError("No database: set DATABASE_URL, or run `make run` to create the "
                          "local PostGIS.")
    return database_url


def _replica_settings() -> dict:
    """A streaming replica for read-only work (agritrace/replica.py): used while it is at
    most REPLICA_MAX_LAG_S behind the primary, checked every REPLICA_CHECK_S."""
    return {
        "DATABASE_REPLICA_URL": os.environ.get("DATABASE_REPLICA_URL", ""),
        "REPLICA_MAX_LAG_S": float(os.environ.get("REPLICA_MAX_LAG_S", "5")),
        "REPLICA_CHECK_S": float(os.environ.get("REPLICA_CHECK_S", "1")),
        "REPLICA_CONNECT_TIMEOUT_S": int(os.environ.get("REPLICA_CONNECT_TIMEOUT_S", "3")),
    }


def _web_settings(production: bool) -> dict:
    """Pages, sessions, languages and the API's OpenAPI description."""
    return {
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        # The basemap is the only thing a page may load from elsewhere, and every
        # map must stay usable without it.
        "BASEMAP_URL": os.environ.get("BASEMAP_URL",
                                      "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
        "BASEMAP_ATTRIBUTION": os.environ.get("BASEMAP_ATTRIBUTION", "© OpenStreetMap"),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "50")) * 1024 * 1024,
        # The largest EPCIS capture document (GS1-EPCIS-Capture-File-Size-Limit).
        "EPCIS_CAPTURE_MAX_MB": float(os.environ.get("EPCIS_CAPTURE_MAX_MB", "20")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "PERMANENT_SESSION_LIFETIME": int(os.environ.get("SESSION_HOURS", "12")) * 3600,
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "LANGUAGES": ("vi", "en"),
        "CLI_LOCALE": os.environ.get("AGRITRACE_CLI_LANG", "vi"),
        "WTF_CSRF_TIME_LIMIT": None,
        "PAGE_SIZE_MAX": 100,
        # flask-smorest / OpenAPI
        "API_TITLE": "AgriTrace API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
    }


def _area_and_stamp_settings() -> dict:
    """Growing areas, stamp runs, and the files kept beside the database."""
    return {
        # Growing areas (vùng trồng): an overlap with an active area is tolerated up
        # to the larger of these (digitising slivers along a shared boundary).
        "AREA_OVERLAP_TOLERANCE_M2": float(os.environ.get("AREA_OVERLAP_TOLERANCE_M2", "100")),
        "AREA_OVERLAP_TOLERANCE_PCT": float(os.environ.get("AREA_OVERLAP_TOLERANCE_PCT", "1")),
        "AREA_MAX_VERTICES": int(os.environ.get("AREA_MAX_VERTICES", "10000")),
        "AREA_MAX_FEATURES": int(os.environ.get("AREA_MAX_FEATURES", "20000")),
        "AREA_LIMITS_HA": _area_limits(),
        # Stamps (tem): the largest run one order may mint; orders above the sync limit
        # are minted by the worker; a worker silent this long is taken as dead.
        "STAMP_RUN_LIMIT": int(os.environ.get("STAMP_RUN_LIMIT", "5000000")),
        "STAMP_SYNC_LIMIT": int(os.environ.get("STAMP_SYNC_LIMIT", "50000")),
        "STAMP_JOB_STALE_SECONDS": int(os.environ.get("STAMP_JOB_STALE_SECONDS", "60")),
        "DATA_DIR": str(localdb.DATA),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(localdb.DATA / "uploads")),
        "PRODUCT_PHOTO_MAX_MB": float(os.environ.get("PRODUCT_PHOTO_MAX_MB", "8")),
        # The field app: how long a signed-in phone stays signed in, the largest photo
        # and the largest batch of queued entries it may send.
        "FIELD_DEVICE_DAYS": int(os.environ.get("FIELD_DEVICE_DAYS", "30")),
        "FIELD_PHOTO_MAX_MB": float(os.environ.get("FIELD_PHOTO_MAX_MB", "2")),
        "FIELD_MAX_BODY_BYTES": int(os.environ.get("FIELD_MAX_BODY_KB", "1024")) * 1024,
        # Public map tiles kept in each app process while their layer's data is
        # unchanged (services/tile_cache.py); 0 turns the cache off.
        "TILE_CACHE_MB": int(os.environ.get("TILE_CACHE_MB", "64")),
    }


def _scan_settings() -> dict:
    """The public scan page, and the limits on what one client may ask."""
    return {
        # The public scan page (trang quét tem). A stamp seen by more distinct clients
        # than SCAN_COPY_CLIENTS is a suspected copy (a client's hash changes daily, so
        # one buyer scanning on several days counts several times); so is one whose
        # consented locations are further apart than SCAN_MAX_SPEED_KMH allows in the
        # time between them, beyond the coarseness of the locations (SLACK).
        "SCAN_COPY_CLIENTS": int(os.environ.get("SCAN_COPY_CLIENTS", "10")),
        "SCAN_MAX_SPEED_KMH": float(os.environ.get("SCAN_MAX_SPEED_KMH", "900")),
        "SCAN_TRAVEL_SLACK_KM": float(os.environ.get("SCAN_TRAVEL_SLACK_KM", "30")),
        # A batch's story (product, producer, areas, diary) is rendered once per worker
        # and reused this long; the verdict and a recall are never cached.
        "SCAN_STORY_CACHE_SECONDS": float(os.environ.get("SCAN_STORY_CACHE_SECONDS", "60")),
        "RATE_LIMITS": _rate_limits(),
        # Behind a reverse proxy the client is the address the proxy puts into
        # X-Forwarded-For: set the number of proxies in front of the app.
        "TRUSTED_PROXY_HOPS": int(os.environ.get("TRUSTED_PROXY_HOPS", "0")),
    }


def _mail_settings() -> dict:
    """E-mail from the outbox: SMTP_URL is smtp://host:port, smtp+starttls://… or
    smtps://user:password@host:465; without it messages wait in the outbox."""
    return {
        "SMTP_URL": os.environ.get("SMTP_URL", ""),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "AgriTrace <no-reply@agritrace.localhost>"),
        "SMTP_TIMEOUT_SECONDS": float(os.environ.get("SMTP_TIMEOUT_SECONDS", "10")),
        # A failed message is tried again after 1, 2, 4 … times MAIL_RETRY_SECONDS, and
        # given up (failed) after MAIL_MAX_ATTEMPTS tries.
        "MAIL_RETRY_SECONDS": int(os.environ.get("MAIL_RETRY_SECONDS", "60")),
        "MAIL_MAX_ATTEMPTS": int(os.environ.get("MAIL_MAX_ATTEMPTS", "8")),
        # EPCIS subscriptions' webhooks, sent by the same worker (epcis_delivery.py): a
        # failed POST is tried again after 1, 2, 4 … × the retry seconds; a private or
        # loopback dest only when allowed; events older than SETTLE are final.
        "EPCIS_WEBHOOK_TIMEOUT_SECONDS": float(os.environ.get("EPCIS_WEBHOOK_TIMEOUT_SECONDS",
                                                              "10")),
        "EPCIS_WEBHOOK_RETRY_SECONDS": int(os.environ.get("EPCIS_WEBHOOK_RETRY_SECONDS", "30")),
        "EPCIS_WEBHOOK_MAX_ATTEMPTS": int(os.environ.get("EPCIS_WEBHOOK_MAX_ATTEMPTS", "10")),
        "EPCIS_WEBHOOK_PRIVATE_OK": os.environ.get("EPCIS_WEBHOOK_PRIVATE_OK") == "1",
        "EPCIS_SUBSCRIPTION_SETTLE_SECONDS": int(os.environ.get(
            "EPCIS_SUBSCRIPTION_SETTLE_SECONDS", "600")),
    }


def project_root() -> Path:
    return localdb.ROOT
