"""Scans of QR stamps (quét tem): recording each one, the verdict on the stamp, the
scratch-PIN claim, per-client rate limits, and what the public may read of a batch.

A scan is one short transaction of one statement: it counts the client's request,
bumps the stamp's scan_count and first_scan_at, decides the verdict and appends
the scan row. A code that matches no stamp runs the same statement (the UPDATE
finds no row, the scan is stored without a stamp), so the time of an answer does
not tell whether a code exists.

Clients are known only by HMAC(daily key, IP address): the key is derived from
SECRET_KEY and the date in Vietnam, never stored, so yesterday's hashes cannot be
linked to an address or to today's.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, text
from sqlalchemy.orm import selectinload

from labels import codes

from ..clock import today
from ..db import session, transaction
from ..errors import NotFound
from ..models import (AreaStatus, Batch, GrowingArea, Product, RunStatus, StampRun,
                      TraceEvent, Verdict)
from .diary import in_history_of
# The counters live in rate_limits.py, shared with the login's lockout; Throttled and
# hit stay importable from here.
from .rate_limits import COUNT, Throttled, hit  # noqa: F401
from .rate_limits import maybe_sweep as _maybe_sweep

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


def client(ip: str, user_agent: str | None = None, *, day: date | None = None) -> Client:
    """Who is asking, as the scans store it."""
    digest = hmac.new(_daily_key(day or today()), ip.encode(), hashlib.sha256).hexdigest()
    return Client(hash=digest, ua_family=ua_family(user_agent))


def throttle(kind: str, who: Client) -> None:
    """Count a request that touches nothing else (a mistyped code): raise Throttled
    when the client is over its limit."""
    with transaction() as s:
        refused = hit(s, kind, who.hash)
    if refused is not None:
        raise refused


# --- recording a scan ------------------------------------------------------------------

# One statement: the client's counter, the stamp's counters, the facts the page needs,
# the verdict, and the scan row. A client over its limit gets its counter bumped and
# nothing else. Sub-queries read the scans as they were before this one (a statement
# sees one snapshot), which is what "other clients before" means. The verdict rules,
# in order:
#   unknown       no stamp has this id
#   void          the stamp or its run was voided
#   inactive      its run is not active yet (minted, not yet released)
#   recalled      its batch was recalled (thu hồi)
#   suspect_copy  a scan of it was already judged a copy; or, with this client, more
#                 distinct clients than SCAN_COPY_CLIENTS; or this scan's consented
#                 location is further from a recent located scan than SCAN_MAX_SPEED_KMH
#                 allows in the time between (less SCAN_TRAVEL_SLACK_KM for coarseness)
#   expired       its batch's expiry date is before today in Vietnam
#   repeat        another client scanned it before ("scanned N times since …")
#   genuine       the first scans: nobody but this client has scanned it
SCAN = text("""
WITH hit AS (""" + COUNT + """), stamp AS (
    UPDATE stamps SET scan_count = scan_count + 1,
                      first_scan_at = coalesce(first_scan_at, now())
    WHERE id = :id AND (SELECT allowed FROM hit)
    RETURNING id, run_id, status, scan_count, first_scan_at, claimed_at
), found AS (
    SELECT st.id, st.status, st.scan_count, st.first_scan_at, st.claimed_at,
           r.status AS run_status, r.pin_enabled, b.id AS batch_id,
           b.status AS batch_status, b.recall_reason, b.recalled_at, b.expiry_date,
           b.lot_code, b.updated_at AS batch_version, p.gtin
    FROM stamp st
    JOIN stamp_runs r ON r.id = st.run_id
    JOIN batches b ON b.id = r.batch_id
    JOIN products p ON p.id = b.product_id
), others AS (
    SELECT count(*) AS n FROM (
        SELECT DISTINCT client_hash FROM scans
        WHERE stamp_id = :id AND client_hash <> :client LIMIT :copy_clients) d
), flagged AS (
    SELECT EXISTS (SELECT 1 FROM scans WHERE stamp_id = :id
                   AND verdict = 'suspect_copy') AS yes
), travel AS (
    SELECT coalesce(bool_or(
        greatest(ST_DistanceSphere(ST_MakePoint(lon, lat),
                                   ST_MakePoint(CAST(:lon AS float8), CAST(:lat AS float8)))
                 / 1000.0 - :slack_km, 0)
        / greatest(extract(epoch FROM now() - scanned_at) / 3600.0, 1.0 / 3600)
        > :max_kmh), false) AS yes
    FROM (SELECT lat, lon, scanned_at FROM scans
          WHERE stamp_id = :id AND lat IS NOT NULL
          ORDER BY scanned_at DESC LIMIT :recent) located
    WHERE CAST(:lat AS float8) IS NOT NULL
), judged AS (
    SELECT CASE
        WHEN f.id IS NULL THEN 'unknown'
        WHEN f.status = 'void' OR f.run_status = 'void' THEN 'void'
        WHEN f.run_status <> 'active' THEN 'inactive'
        WHEN f.batch_status = 'recalled' THEN 'recalled'
        WHEN (SELECT yes FROM flagged) OR (SELECT n FROM others) >= :copy_clients
             OR (SELECT yes FROM travel) THEN 'suspect_copy'
        WHEN f.expiry_date < :today THEN 'expired'
        WHEN (SELECT n FROM others) > 0 THEN 'repeat'
        ELSE 'genuine' END AS verdict
    FROM (SELECT 1) one LEFT JOIN found f ON true
), saved AS (
    INSERT INTO scans (stamp_id, client_hash, ua_family, lat, lon, verdict)
    SELECT (SELECT id FROM stamp), :client, :ua, :lat, :lon, verdict FROM judged
    WHERE (SELECT allowed FROM hit)
    RETURNING scanned_at
)
SELECT h.allowed, h.retry_after, j.verdict, sv.scanned_at, f.scan_count, f.first_scan_at,
       f.claimed_at, f.pin_enabled, f.batch_id, f.recall_reason, f.recalled_at,
       f.expiry_date, f.lot_code, f.batch_version, f.gtin
FROM hit h CROSS JOIN judged j LEFT JOIN saved sv ON true LEFT JOIN found f ON true
""")


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

    Raises Throttled, after counting the request, when the client is over its
    limit; nothing else is written then. `lat`/`lon` are a location the person chose
    to share; only a coarse version is kept."""
    config = current_app.config
    lat, lon = (coarse(lat), coarse(lon)) if lat is not None and lon is not None \
        else (None, None)
    limit, window = config["RATE_LIMITS"]["scan"]
    with transaction() as s:
        # Core, not the ORM: nothing here is an entity, and this runs on every scan.
        row = s.connection().execute(SCAN, {
            "bucket": f"scan:{who.hash}"[:100], "limit": limit, "window": window,
            "id": stamp_id, "client": who.hash, "ua": who.ua_family, "lat": lat, "lon": lon,
            "today": today(), "copy_clients": config["SCAN_COPY_CLIENTS"],
            "max_kmh": config["SCAN_MAX_SPEED_KMH"],
            "slack_km": config["SCAN_TRAVEL_SLACK_KM"], "recent": RECENT_LOCATIONS,
        }).one()
        _maybe_sweep(s)
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
