"""The database session: one plain SQLAlchemy 2 sessionmaker per app.

Views never touch the session; service functions do, inside `transaction()`,
so that a request either commits completely or changes nothing.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

from flask import Flask, current_app, g
from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from . import replica
from .replica import read_session  # noqa: F401  (services import it from here)

EXTENSION = "agritrace.db"
log = logging.getLogger(__name__)


def make_engine(url: str, *, connect_timeout: int | None = None):
    # JIT compilation costs PostgreSQL 100–200 ms on queries whose estimated cost is
    # high (a spatial join over an unanalysed temporary table), and our queries are
    # short: it is off for the app's connections. A statement's parameters stay out of
    # error messages, and so out of the logs: they carry password and token hashes,
    # PINs and personal data.
    connect_args = {"application_name": "agritrace", "options": "-c jit=off"}
    if connect_timeout:
        connect_args["connect_timeout"] = connect_timeout
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10,
                         hide_parameters=True, connect_args=connect_args)


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions[EXTENSION] = sessionmaker(bind=engine, expire_on_commit=False)
    replica.init_app(app, engine, make_engine)
    app.teardown_appcontext(close_session)


def engine():
    return current_app.extensions[EXTENSION].kw["bind"]


def session() -> Session:
    """The session of the current application context, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions[EXTENSION]()
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    replica.close_read_session()
    s = g.pop("db_session", None)
    if s is None:
        return
    try:
        s.close()  # rolls back anything a failed request left uncommitted
    except DBAPIError as exc:
        # The server went away (a restart, a cut connection): the transaction died with
        # the connection, so there is nothing to roll back. The answer is already made;
        # drop the connection rather than fail the request over it.
        log.warning("database connection lost while closing a session: %s", exc.orig)
        s.invalidate()


@contextmanager
def transaction() -> Iterator[Session]:
    """All or nothing: commit when the outermost block ends, roll back when it raises.

    Nested blocks (a service called by another, or by the demo loader) join the
    outer one, so a use case made of several still commits once.
    """
    s = session()
    depth = g.get("db_tx_depth", 0)
    g.db_tx_depth = depth + 1
    try:
        yield s
        if depth == 0:
            s.commit()
    except BaseException:
        if depth == 0:
            s.rollback()
        raise
    finally:
        g.db_tx_depth = depth
