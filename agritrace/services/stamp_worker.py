"""The stamp worker (`flask stamps worker`, started by `make run`): it mints the orders
too large for a web request, one at a time, each in one transaction, and reports its
progress on the order beside that transaction.

A worker that dies mid-run (killed, or cut off from the database) has its transaction
rolled back, so nothing of the run is written; its order stops beating and is taken
up again by the next worker.
"""
from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable

import psycopg
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import text, update
from sqlalchemy.exc import OperationalError

from ..clock import now
from ..db import close_session, engine, session, transaction
from ..errors import Conflict, Invalid
from ..models import Batch, OrderStatus, StampOrder, User
from . import epcis_delivery, mailer, market_reminders
from .stamps import IdSource, Progress, check_mintable, mint_order

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3

# Without an id: the oldest waiting order, or one whose worker stopped beating. With
# one: that order, if it is waiting. SKIP LOCKED lets workers claim side by side.
CLAIM = text("""
    UPDATE stamp_orders SET status = 'minting', attempts = attempts + 1,
           worker = :worker, started_at = now(), heartbeat_at = now(), minted = 0,
           updated_at = now()
    WHERE id = (SELECT id FROM stamp_orders
                WHERE (CAST(:id AS bigint) IS NULL OR id = :id)
                  AND (status = 'queued'
                       OR (CAST(:id AS bigint) IS NULL AND status = 'minting'
                           AND heartbeat_at < now() - make_interval(secs => :stale)))
                ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING id""")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def claim_order(order_id: int | None = None) -> int | None:
    """Claim an order for this worker and return its id, or None when none is waiting.

    Given an id (the CLI mints its own order in-process), that order, or Conflict if
    it is not waiting. Otherwise the oldest waiting order, or one whose worker
    stopped beating (killed or cut off: its transaction was rolled back, so nothing
    of it was written)."""
    with transaction() as s:
        claimed = s.scalar(CLAIM, {
            "worker": worker_name(), "id": order_id,
            "stale": int(current_app.config["STAMP_JOB_STALE_SECONDS"])})
    if claimed is None and order_id is not None:
        raise Conflict(_("Order %(id)s is not waiting to be minted.", id=order_id))
    return claimed


def run_order(order_id: int, *, progress: Progress | None = None,
              new_ids: IdSource | None = None) -> StampOrder:
    """Mint a claimed order. A failure marks the order failed with the reason (or, for
    a passing fault, leaves it to be tried again) and writes no stamp."""
    beat = _heartbeat(order_id, progress)
    s = session()
    try:
        with transaction() as s:
            order = s.get(StampOrder, order_id)
            if order.attempts > MAX_ATTEMPTS:
                raise Conflict(_("Minting failed %(n)s times; order again.", n=MAX_ATTEMPTS))
            batch = s.get(Batch, order.batch_id)
            check_mintable(batch)
            user = s.get(User, order.requested_by) if order.requested_by else None
            mint_order(s, order, user, progress=beat, new_ids=new_ids)
    except (Conflict, Invalid) as exc:
        _fail(order_id, exc.detail)
    except (psycopg.OperationalError, OperationalError):
        raise      # the database went away: the order stays claimed and is retried
    except Exception as exc:
        log.exception("minting order %s failed", order_id)
        _fail(order_id, str(exc)[:500])
    finally:
        beat.close()
    s.expire_all()
    return s.get(StampOrder, order_id)


def _fail(order_id: int, reason: str) -> None:
    with transaction() as s:
        s.execute(update(StampOrder).where(StampOrder.id == order_id).values(
            status=OrderStatus.FAILED, error=reason, finished_at=now()))


class _heartbeat:
    """Progress written on its own connection, outside the minting transaction, so that
    the order page sees it and a dead worker's order can be told from a slow one."""

    def __init__(self, order_id: int, progress: Progress | None):
        self.order_id, self.progress = order_id, progress
        self.connection = engine().connect().execution_options(isolation_level="AUTOCOMMIT")

    def __call__(self, minted: int) -> None:
        self.connection.execute(text(
            "UPDATE stamp_orders SET minted = :minted, heartbeat_at = now() WHERE id = :id"),
            {"minted": minted, "id": self.order_id})
        if self.progress is not None:
            self.progress(minted)

    def close(self) -> None:
        self.connection.close()


def work(*, once: bool = False, poll_seconds: float = 2.0,
         should_stop: Callable[[], bool] = lambda: False) -> int:
    """Mint waiting orders until stopped (or, with once, until none is waiting).
    Returns how many orders were handled."""
    handled = 0
    while not should_stop():
        try:
            order_id = claim_order()
            if order_id is None:
                # Between orders the worker also writes the renewal reminders of codes'
                # export markets and sends the e-mail outbox (a recall's notices, those
                # reminders): `make run` starts no other worker.
                market_reminders.send_renewal_reminders()
                mailer.send_due()
                epcis_delivery.deliver()   # EPCIS subscriptions' webhooks
                if once:
                    break
                time.sleep(poll_seconds)
                continue
            order = run_order(order_id)
        except (OperationalError, psycopg.OperationalError) as exc:
            if once:
                raise
            # The database went away (a restart, a cut connection): a run being minted
            # rolled back with the connection, and its order is taken up again once its
            # heartbeat is stale. The worker waits for the database instead of exiting.
            log.warning("database unreachable, trying again in %g s: %s", poll_seconds,
                        getattr(exc, "orig", None) or exc)
            close_session()
            time.sleep(poll_seconds)
            continue
        handled += 1
        log.info("order %s: %s (%s stamps)", order_id, order.status.value, order.minted)
    return handled
