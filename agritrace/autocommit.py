"""One-statement transactions: the statement is its own transaction, on a connection
of the app's pool in autocommit mode.

The scan page runs one statement per request. Through the ORM session that cost four
round trips (the pool's pre-ping, BEGIN, the statement, COMMIT) and the session's own
work; here it is two (the pre-ping, kept so that a restarted database costs no
request, and the statement), and the statement is committed, as durably as
synchronous_commit says, when it returns.

When the session is already in a transaction, or bound to an outer connection (the
tests, which roll everything back), the statement joins it through the session
instead: all or nothing still holds for whoever opened it.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, g
from sqlalchemy import TextClause, text
from sqlalchemy.engine import Engine

from .db import EXTENSION, transaction

ENGINE_KEY = "agritrace.autocommit"


def _joins_session() -> bool:
    bound = current_app.extensions[EXTENSION].kw["bind"]
    return g.get("db_tx_depth", 0) > 0 or not isinstance(bound, Engine)


def _autocommit_engine() -> Engine:
    """The app's engine (its pool, its pre-ping) with connections in autocommit; made
    once, as making it sets up its events anew."""
    engine = current_app.extensions[EXTENSION].kw["bind"]
    made = current_app.extensions.get(ENGINE_KEY)
    if made is None or made[0] is not engine:
        made = current_app.extensions[ENGINE_KEY] = (
            engine, engine.execution_options(isolation_level="AUTOCOMMIT"))
    return made[1]


def execute(statement: TextClause | str, params: dict[str, Any]):
    """Run `statement` as its own transaction and return its one row, or None."""
    clause = text(statement) if isinstance(statement, str) else statement
    if _joins_session():
        with transaction() as s:
            return s.connection().execute(clause, params).one_or_none()
    with _autocommit_engine().connect() as conn:
        return conn.execute(clause, params).one_or_none()
