"""Scans of QR stamps (quét tem): recording each one, the verdict on the stamp, the
scratch-PIN claim, per-client rate limits, and what the public may read of a batch.

A scan is one short transaction of one statement (scan_statements.py); a robot's
visit of the page is judged alike but counted only as a preview of the stamp.

Clients are known only by HMAC(daily key, IP address): the key is derived from
SECRET_KEY and the date in Vietnam, never stored, so yesterday's hashes cannot be
linked to an address or to today's.
"""
from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, text
from sqlalchemy.orm import selectinload

from labels import codes

from .. import autocommit
from ..clock import today
from ..db import session, transaction
from ..errors import NotFound
from ..models import (AreaStatus, Batch, GrowingArea, Product, RunStatus, StampRun,
                      TraceEvent, Verdict)
from . import rate_limits
from .diary import in_history_of
# The counters live in rate_limits.py, shared with the login's lockout; Throttled and
# hit stay importable from here.
from .rate_limits import COUNT, Throttled, hit  # noqa: F401
from .scan_statements import PREVIEW_SQL, SCAN_SQL

# Verdicts under which the public sees the batch's story; the others (unknown, void,
# inactive) show only the verdict: the public sees active stamps only.
STORY_VERDICTS = frozenset({Verdict.GENUINE, Verdict.REPEAT, Verdict.SUSPECT_COPY,
                            Verdict.RECALLED, Verdict.EXPIRED})
TIMELINE_LIMIT = 40         # diary entries on the page; older ones are counted
RECENT_LOCATIONS = 20       # located scans compared with a new located one
LOCATION_DECIMALS = 1       # about 11 km: a district, not a shop


# --- clients and rate limits -----------------------------------------------------------

@dataclass(frozen=True)
class Client:
    hash: str                # HMAC of the IP address under the day's key
    ua_family: str | None
    # The rule of data/robots.toml that makes this request a robot's (a link preview,
    # a crawler, a prefetch, HEAD), or None for a person.
    robot: str | None = None


# Order matters: in-app browsers and Chromium's offspring say "Chrome" and "Safari" too.
UA_FAMILIES = (("zalo", "Zalo"), ("fban", "Facebook"), ("fbav", "Facebook"),
               ("samsungbrowser", "Samsung Internet"), ("coc_coc", "Coc Coc"),
               ("edg/", "Edge"), ("opr/", "Opera"), ("firefox", "Firefox"),
               ("fxios", "Firefox"), ("crios", "Chrome"), ("chrome", "Chrome"),
               ("safari", "Safari"), ("bot", "bot"), ("spider", "bot"), ("crawl", "bot"))


def ua_family(user_agent: str | None) -> str | None:
    """The browser family of a User-Agent header: enough to tell copies apart, too
    little to tell people apart."""
    if not user_agent:
        return None
    lowered = user_agent.lower()
    return next((name for needle, name in UA_FAMILIES if needle in lowered), "other")


def _daily_key(day: date) -> bytes:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"scan-client/{day.isoformat()}".encode(), hashlib.sha256).digest()


def client(ip: str, user_agent: str | None = None, *, day: date | None = None,
           robot: str | None = None) -> Client:
    """Who is asking, as the scans store it."""
    digest = hmac.new(_daily_key(day or today()), ip.encode(), hashlib.sha256).hexdigest()
    return Client(hash=digest, ua_family=ua_family(user_agent), robot=robot)


def throttle(kind: str, who: Client) -> None:
    """Count a request that touches nothing else (a mistyped code): raise Throttled
    when the client is over its limit."""
    with transaction() as s:
        refused = hit(s, kind, who.hash)
    if refused is not None:
        raise refused


# --- recording a scan ------------------------------------------------------------------

SCAN = text(SCAN_SQL)
PREVIEW = text(PREVIEW_SQL)


@dataclass(frozen=True)
class ScanResult:
    """What one scan found. Batch fields are None unless the verdict shows the story."""
    stamp_id: int
    verdict: Verdict
    scanned_at: datetime
    scan_count: int = 0
    first_scan_at: datetime | None = None
    claimed_at: datetime | None = None
    pin_enabled: bool = False
    batch_id: int | None = None
    batch_version: datetime | None = None
    recall_reason: str | None = None
    recalled_at: datetime | None = None
    expiry_date: date | None = None
    lot_code: str | None = None
    gtin: str | None = None

    @property
    def shows_story(self) -> bool:
        return self.verdict in STORY_VERDICTS


def coarse(value: float | None) -> float | None:
    return None if value is None else round(value, LOCATION_DECIMALS)


def record_scan(stamp_id: int, who: Client, *, lat: float | None = None,
                lon: float | None = None) -> ScanResult:
    """Record one scan of the stamp `stamp_id` (which may not exist) and judge it.

    A robot's visit (`who.robot`) is judged alike but is no scan: it leaves no scan
    row and no change to the stamp's counters, and adds one to the stamp's previews
    of that robot. Raises Throttled, after counting the request, when the client is
    over its limit; nothing else is written then. `lat`/`lon` are a location the
    person chose to share; only a coarse version is kept."""
    config = current_app.config
    lat, lon = (coarse(lat), coarse(lon)) if lat is not None and lon is not None \
        else (None, None)
    kind = "preview" if who.robot else "scan"
    limit, window = config["RATE_LIMITS"][kind]
    # One statement, its own transaction (autocommit.py): nothing here is an entity,
    # and this runs on every scan.
    row = autocommit.execute(PREVIEW if who.robot else SCAN, {
        "bucket": f"{kind}:{who.hash}"[:100], "limit": limit, "window": window,
        "agent": who.robot,
        "id": stamp_id, "client": who.hash, "ua": who.ua_family, "lat": lat, "lon": lon,
        "today": today(), "copy_clients": config["SCAN_COPY_CLIENTS"],
        "max_kmh": config["SCAN_MAX_SPEED_KMH"],
        "slack_km": config["SCAN_TRAVEL_SLACK_KM"], "recent": RECENT_LOCATIONS,
    })
    if random.random() < rate_limits.SWEEP_CHANCE:
        with transaction() as s:
            rate_limits.sweep(s)
    if not row.allowed:
        raise Throttled(max(1, row.retry_after))
    verdict = Verdict(row.verdict)
    if verdict not in STORY_VERDICTS:
        # Nothing of a stamp the public may not see leaves this function.
        return ScanResult(stamp_id, verdict, row.scanned_at)
    return ScanResult(stamp_id, verdict, row.scanned_at, scan_count=row.scan_count,
                      first_scan_at=row.first_scan_at, claimed_at=row.claimed_at,
                      pin_enabled=row.pin_enabled, batch_id=row.batch_id,
                      batch_version=row.batch_version, recall_reason=row.recall_reason,
                      recalled_at=row.recalled_at, expiry_date=row.expiry_date,
                      lot_code=row.lot_code, gtin=row.gtin)


# --- scratch PIN -------------------------------------------------------------------------

@dataclass(frozen=True)
class PinCheck:
    outcome: str                  # claimed | already_claimed | wrong | not_active
    claimed_at: datetime | None = None


PIN_LOOKUP = text("""
    SELECT st.status, st.claimed_at, r.status AS run_status, r.pin_enabled, r.pin_key
    FROM (SELECT CAST(:id AS bigint) AS id) asked
    LEFT JOIN stamps st ON st.id = asked.id
    LEFT JOIN stamp_runs r ON r.id = st.run_id
""")
CLAIM = text("""
    UPDATE stamps SET claimed_at = now(), updated_at = now()
    WHERE id = :id AND claimed_at IS NULL RETURNING claimed_at
""")


def _stand_in_key() -> bytes:
    """A key for stamps without one, so that every check computes a PIN."""
    return hashlib.sha256(b"no-pin/" + current_app.config["SECRET_KEY"].encode()).digest()


def check_pin(stamp_id: int, pin: str, who: Client) -> PinCheck:
    """Check a scratch-off PIN. The first correct entry claims the stamp (claimed_at is
    set atomically, so two people cannot both be first); later ones learn when it was
    claimed. A wrong PIN, an unknown code and a stamp without a PIN all answer
    "wrong", alike. Limited per client and per stamp: six digits are a million
    guesses, and many addresses must not add up to them."""
    with transaction() as s:
        refused = hit(s, "verify", who.hash) or hit(s, "pin", str(stamp_id))
        if refused is None:
            row = s.execute(PIN_LOOKUP, {"id": stamp_id}).one()
            key = row.pin_key if row.pin_enabled and row.pin_key else _stand_in_key()
            correct = hmac.compare_digest(codes.pin_for(key, stamp_id), pin) \
                and bool(row.pin_enabled)
            claimed = None
            if correct and row.status != RunStatus.VOID.value \
                    and row.run_status == RunStatus.ACTIVE.value:
                claimed = s.scalar(CLAIM, {"id": stamp_id})
    if refused is not None:
        raise refused
    if not correct:
        return PinCheck("wrong")
    if row.status == RunStatus.VOID.value or row.run_status != RunStatus.ACTIVE.value:
        return PinCheck("not_active")
    if claimed is not None:
        return PinCheck("claimed", claimed)
    return PinCheck("already_claimed", row.claimed_at)


# --- what the public reads of a batch ----------------------------------------------------

PUBLIC_AREA_STATUSES = (AreaStatus.ISSUED, AreaStatus.SUSPENDED, AreaStatus.REVOKED)


@dataclass(frozen=True)
class AreaShape:
    area: GrowingArea
    geojson: str              # simplified, 6 decimals: a small map, not a survey


@dataclass(frozen=True)
class Story:
    """A batch as the scan page tells it: product, producer, dates, growing areas,
    packing house and the public part of the farming diary, newest first."""
    batch: Batch
    areas: list[AreaShape]
    events: list[TraceEvent]
    earlier_events: int


def public_story(batch_id: int) -> Story:
    """Read the story of a batch that has an active stamp (callers know it does)."""
    s = session()
    batch = s.scalar(select(Batch).where(Batch.id == batch_id).options(
        selectinload(Batch.packing_facility),
        selectinload(Batch.product).selectinload(Product.certifications)))
    if batch is None:
        raise NotFound(_("Not found."))
    areas = [a for a in batch.areas if a.code and a.status in PUBLIC_AREA_STATUSES]
    shapes = dict(s.execute(select(
        GrowingArea.id, func.ST_AsGeoJSON(func.ST_SimplifyPreserveTopology(
            GrowingArea.geom, 0.00001), 6)).where(GrowingArea.id.in_([a.id for a in areas]))
    ).all()) if areas else {}
    history = in_history_of(batch)
    total = s.scalar(select(func.count()).select_from(TraceEvent).where(history))
    events = list(s.scalars(select(TraceEvent).where(history).order_by(
        TraceEvent.event_time.desc(), TraceEvent.id.desc()).limit(TIMELINE_LIMIT)))
    return Story(batch=batch, areas=[AreaShape(a, shapes[a.id]) for a in areas],
                 events=events, earlier_events=max(0, total - len(events)))


# A batch is public while one of its runs of stamps is active: before that its stamps
# scan as inactive, and a batch without stamps was never put on sale with our label.
PUBLISHED = select(StampRun.id).where(StampRun.batch_id == Batch.id,
                                      StampRun.status == RunStatus.ACTIVE).exists()


def product_by_link(gtin: str, lot: str | None) -> tuple[Product, int | None]:
    """A GS1 Digital Link without a serial (`/01/{gtin}[/10/{lot}]`): the product with
    that GTIN that has a published batch, and the batch of that lot if there is one."""
    s = session()
    product = s.scalar(select(Product).where(
        Product.gtin == gtin, select(Batch.id).where(
            Batch.product_id == Product.id, PUBLISHED).exists()))
    if product is None:
        raise NotFound(_("No product on AgriTrace has this GTIN."))
    batch_id = s.scalar(select(Batch.id).where(
        Batch.product_id == product.id, Batch.lot_code == lot, PUBLISHED)) if lot else None
    return product, batch_id
