"""Reads from a streaming replica: with DATABASE_REPLICA_URL set, read-only work that
may be a few seconds behind (tiles, the OGC API, the public map and registry,
statistics) asks `read_session()` and gets a session on the replica; everything else,
writes and scans above all, stays on the primary through `db.session()`.

The lag guard: at most every REPLICA_CHECK_S seconds a worker compares the primary's
current WAL position with the replica's replayed one. Caught up, the replica is used;
behind, it is used while its last replayed commit is at most REPLICA_MAX_LAG_S old;
beyond that, or unreachable, reads go to the primary until the next check finds it
caught up again. A replica URL that reaches nothing at start-up, or reaches a primary
(`pg_is_in_recovery()` false), is reported in one sentence and not used.
"""
from __future__ import annotations

import logging
import math
import threading
import time

from flask import Flask, current_app, g
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

EXTENSION = "agritrace.replica"
log = logging.getLogger(__name__)

# NULL lag when the replica has replayed nothing yet; a primary answers false first.
LAG_SQL = text("""
    SELECT pg_is_in_recovery(),
           pg_last_wal_replay_lsn() >= CAST(:primary_lsn AS pg_lsn),
           extract(epoch FROM now() - pg_last_xact_replay_timestamp())""")


class Replica:
    """A replica's engine and its last lag check, shared by the threads of a worker."""

    def __init__(self, app: Flask, engine, primary):
        self.app = app
        self.engine = engine
        self.primary = primary
        self.factory = sessionmaker(bind=engine, expire_on_commit=False)
        self.max_lag_s = float(app.config["REPLICA_MAX_LAG_S"])
        self.check_every_s = float(app.config["REPLICA_CHECK_S"])
        self.lock = threading.Lock()
        self.checked_at = -math.inf
        self.usable = False
        self.lag_s: float | None = None

    def usable_now(self) -> bool:
        if time.monotonic() - self.checked_at < self.check_every_s:
            return self.usable
        with self.lock:
            if time.monotonic() - self.checked_at >= self.check_every_s:
                self.usable, self.lag_s = self.check()
                self.checked_at = time.monotonic()
        return self.usable

    def check(self) -> tuple[bool, float | None]:
        """(usable, lag in seconds: 0 when caught up with the primary, None unknown)."""
        try:
            with self.primary.connect() as primary:
                lsn = primary.scalar(text("SELECT pg_current_wal_lsn()"))
            with self.engine.connect() as replica:
                in_recovery, caught_up, behind_s = replica.execute(
                    LAG_SQL, {"primary_lsn": str(lsn)}).one()
        except DBAPIError as exc:
            log.warning("the replica is not reachable, reads go to the primary: %s",
                        exc.orig)
            return False, None
        if not in_recovery:
            log.warning("the replica was promoted to a primary; reads go to the primary")
            return False, None
        lag = 0.0 if caught_up else (float(behind_s) if behind_s is not None else None)
        usable = lag is not None and lag <= self.max_lag_s
        if not usable:
            log.info("the replica is %s s behind, reads go to the primary", lag)
        return usable, lag


def init_app(app: Flask, primary, make_engine) -> None:
    """Connect to DATABASE_REPLICA_URL when it is set, and say in one sentence when it
    cannot serve: then every read stays on the primary."""
    url = app.config.get("DATABASE_REPLICA_URL")
    app.extensions[EXTENSION] = None
    if not url:
        return
    engine = make_engine(url, connect_timeout=int(app.config["REPLICA_CONNECT_TIMEOUT_S"]))
    sentence = _unusable(engine)
    if sentence:
        engine.dispose()
        app.logger.warning(sentence)
        app.extensions[EXTENSION + ".problem"] = sentence
        return
    app.extensions[EXTENSION] = Replica(app, engine, primary)
    app.logger.info("Read-only work goes to the replica while it is at most %s s behind "
                    "the primary.", app.config["REPLICA_MAX_LAG_S"])


def _unusable(engine) -> str | None:
    try:
        with engine.connect() as c:
            in_recovery = c.scalar(text("SELECT pg_is_in_recovery()"))
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        return (f"DATABASE_REPLICA_URL reaches no database ({reason}), so every read is "
                "served from the primary.")
    if not in_recovery:
        return ("DATABASE_REPLICA_URL points at a primary, not a streaming replica "
                "(pg_is_in_recovery() is false), so every read is served from the primary "
                "(DATABASE_URL).")
    return None


def read_session() -> Session:
    """The session for read-only work that may lag by up to REPLICA_MAX_LAG_S: the
    replica's when one is set up and caught up enough, else the primary's. The choice
    holds for the rest of the request, so its reads see one database."""
    if "db_read_session" in g:
        return g.db_read_session
    from .db import session
    replica = current_app.extensions.get(EXTENSION)
    if replica is None or g.get("db_read_primary") or not replica.usable_now():
        g.db_read_primary = True
        return session()
    g.db_read_session = replica.factory()
    return g.db_read_session


def on_replica() -> bool:
    """Whether this request's reads went to the replica."""
    return "db_read_session" in g


def close_read_session() -> None:
    g.pop("db_read_primary", None)
    s = g.pop("db_read_session", None)
    if s is None:
        return
    try:
        s.close()
    except DBAPIError as exc:
        log.warning("replica connection lost while closing a session: %s", exc.orig)
        s.invalidate()
