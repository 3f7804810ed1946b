"""Counters of requests per kind and key in fixed windows, shared by every worker
process through PostgreSQL (an UNLOGGED table): the scan page's limits and the
login's lockout use the same ones."""
from __future__ import annotations

import random

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import text

from ..errors import DomainError


class Throttled(DomainError):
    """Too many requests from one client (or on one stamp's PIN) in a window."""
    status = 429

    def __init__(self, retry_after: int):
        super().__init__(_("Too many requests in a short time. Please wait %(n)s seconds "
                           "and try again.", n=retry_after))
        self.retry_after = retry_after


# One request counted in its fixed window; whether it is within the limit, and the
# seconds until the window ends.
COUNT = """
    INSERT INTO rate_limits (bucket, window_start, hits)
    VALUES (:bucket, date_bin(make_interval(secs => :window), now(), TIMESTAMPTZ 'epoch'), 1)
    ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1
    RETURNING hits <= :limit AS allowed,
              ceil(extract(epoch FROM window_start - now()) + :window)::int AS retry_after
"""
HIT = text(COUNT)
SWEEP = text("DELETE FROM rate_limits WHERE window_start < now() - make_interval(secs => :age)")
SWEEP_CHANCE = 0.002
FORGET = text("DELETE FROM rate_limits WHERE bucket = :bucket")
GIVE_BACK = text("""
    UPDATE rate_limits SET hits = greatest(hits - 1, 0)
    WHERE bucket = :bucket
      AND window_start = date_bin(make_interval(secs => :window), now(), TIMESTAMPTZ 'epoch')
""")


def _bucket(kind: str, key: str) -> str:
    return f"{kind}:{key}"[:100]


def hit(s, kind: str, key: str) -> Throttled | None:
    """Count one request of `kind` for `key` in the current window, in the caller's
    transaction; the refusal to raise once it commits, or None.

    A request that is refused is counted too, so hammering does not reopen the
    window early."""
    limit, window = current_app.config["RATE_LIMITS"][kind]
    allowed, retry_after = s.execute(HIT, {"bucket": _bucket(kind, key),
                                           "limit": limit, "window": window}).one()
    maybe_sweep(s)
    return None if allowed else Throttled(max(1, retry_after))


def forget(s, kind: str, key: str) -> None:
    """Start `key`'s count of `kind` afresh (a successful login clears its failures)."""
    s.execute(FORGET, {"bucket": _bucket(kind, key)})


def give_back(s, kind: str, key: str) -> None:
    """Uncount one request of the current window (one that turned out legitimate)."""
    _limit, window = current_app.config["RATE_LIMITS"][kind]
    s.execute(GIVE_BACK, {"bucket": _bucket(kind, key), "window": window})


def maybe_sweep(s) -> None:
    """Now and then, drop the counters of windows long past."""
    if random.random() < SWEEP_CHANCE:
        sweep(s)


def sweep(s) -> None:
    longest = max(w for _n, w in current_app.config["RATE_LIMITS"].values())
    s.execute(SWEEP, {"age": 2 * longest})
