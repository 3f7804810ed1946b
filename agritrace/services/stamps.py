"""QR traceability stamps (tem truy xuất nguồn gốc): ordering and minting runs,
activating them once printed, voiding them.

A run of stamps is minted in one transaction with COPY: either every stamp of it
exists or none does. Small orders are minted inside the request; larger ones by
the stamp worker (stamp_worker.py).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

import psycopg
from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import func, select

from labels import ai_syntax, codes

from .. import permissions
from ..clock import now
from ..db import session, transaction
from ..errors import Conflict, Invalid, NotFound
from ..models import (Batch, BatchStatus, Organization, OrderStatus, RunStatus, StampOrder,
                      StampRun, User)
from ..schemas.batches import LOT_AI, LOT_CODE_RULE
from . import audit

log = logging.getLogger(__name__)

# Stamps are written in chunks so that progress can be shown and a collision on a
# random id costs one chunk again, not the run.
CHUNK = 100_000
RUN_FIELDS = ("status", "activated_at", "voided_at", "void_reason")
Progress = Callable[[int], None]
IdSource = Callable[[int], Iterable[int]]


def _config(name: str) -> int:
    return int(current_app.config[name])


# --- ordering --------------------------------------------------------------------------

def _fetch_batch(s, actor: User | None, batch_id: int) -> Batch:
    """The batch, if the actor may order its stamps: its own organisation, or an
    official of its province."""
    return permissions.fetch(s, actor, Batch, batch_id, "batch.stamps", write=True, lock=True)


def check_mintable(batch: Batch) -> None:
    """Stamps are minted for an open batch whose lot can go into a GS1 Digital Link."""
    if batch.status == BatchStatus.RECALLED:
        raise Conflict(_("Batch %(lot)s was recalled; no new stamps can be made for it.",
                         lot=batch.lot_code))
    if batch.status == BatchStatus.CLOSED:
        raise Conflict(_("Batch %(lot)s is closed; no new stamps can be made for it.",
                         lot=batch.lot_code))
    try:
        ai_syntax.validate(LOT_AI, batch.lot_code)
    except ai_syntax.AiError as exc:
        why = str(LOT_CODE_RULE)
        raise Invalid(_("The lot code %(lot)s cannot be printed in a GS1 Digital Link: %(why)s",
                        lot=batch.lot_code, why=why), {"lot_code": [why]}) from exc


def order_stamps(actor: User | None, batch_id: int, quantity: int, *, pin: bool = False,
                 defer: bool | None = None, system: bool = False,
                 new_ids: IdSource | None = None) -> StampOrder:
    """Order `quantity` stamps for a batch.

    Up to STAMP_SYNC_LIMIT stamps are minted at once, in the same transaction as the
    order; more are left to the worker (defer=True forces that, False forbids it).
    """
    limit = _config("STAMP_RUN_LIMIT")
    if not 1 <= quantity <= limit:
        raise Invalid(_("A run holds 1 to %(limit)s stamps.", limit=format_decimal(limit)),
                      {"quantity": [_("Between 1 and %(limit)s.", limit=format_decimal(limit))]})
    if defer is None:
        defer = quantity > _config("STAMP_SYNC_LIMIT")
    with transaction() as s:
        if system:
            batch = s.get(Batch, batch_id, with_for_update={"of": Batch})
            if batch is None:
                raise Invalid(_("Batch %(id)s does not exist.", id=batch_id))
            user = None
        else:
            batch = _fetch_batch(s, actor, batch_id)
            user = actor
        check_mintable(batch)
        order = StampOrder(batch_id=batch.id, quantity=quantity, pin_enabled=pin,
                           requested_by=user.id if user else None, status=OrderStatus.QUEUED)
        s.add(order)
        s.flush()
        audit.record(s, user, "stamp_order", order.id, "create",
                     after={"batch_id": batch.id, "quantity": quantity, "pin": pin})
        if not defer:
            mint_order(s, order, user, new_ids=new_ids)
    return order


def get_order(actor: User | None, order_id: int) -> StampOrder:
    s = session()
    order = s.get(StampOrder, order_id)
    if order is None:
        raise NotFound(_("Not found."))
    permissions.check(actor, "batch", order.batch)
    return order


def list_orders(actor: User | None, batch_id: int) -> list[StampOrder]:
    s = session()
    permissions.fetch(s, actor, Batch, batch_id, "batch")
    return list(s.scalars(select(StampOrder).where(StampOrder.batch_id == batch_id)
                          .order_by(StampOrder.id.desc())))


# --- minting ---------------------------------------------------------------------------

def mint_order(s, order: StampOrder, user: User | None, *, progress: Progress | None = None,
               new_ids: IdSource | None = None) -> StampRun:
    """Create the order's run and its stamps in the caller's transaction."""
    new_ids = new_ids or codes.new_stamp_ids
    run = StampRun(batch_id=order.batch_id, quantity=order.quantity,
                   requested_by=order.requested_by, status=RunStatus.ISSUED,
                   pin_enabled=order.pin_enabled,
                   pin_key=codes.new_run_key() if order.pin_enabled else None,
                   print_formats=[])
    s.add(run)
    s.flush()
    cursor = s.connection().connection.driver_connection.cursor()
    # The check that each chunk's stamps have their run (migration 0007) holds the
    # chunk's rows in memory; with the default work_mem they would spill to disk.
    cursor.execute("SET LOCAL work_mem = '64MB'")
    done = 0
    while done < order.quantity:
        wanted = min(CHUNK, order.quantity - done)
        _copy_chunk(cursor, run.id, list(new_ids(wanted)), new_ids)
        done += wanted
        if progress is not None:
            progress(done)
    order.status, order.run_id, order.minted = OrderStatus.DONE, run.id, order.quantity
    order.finished_at, order.error = now(), None
    s.flush()
    audit.record(s, user, "stamp_run", run.id, "mint",
                 after={"batch_id": order.batch_id, "quantity": order.quantity,
                        "order_id": order.id, "pin": order.pin_enabled})
    return run


def _copy_chunk(cursor, run_id: int, ids: list[int], new_ids: IdSource) -> None:
    """COPY one chunk of stamps; on a collision with an existing id, draw new ids for
    the colliding ones only and copy the chunk again."""
    ids = _distinct(ids, new_ids)
    while True:
        cursor.execute("SAVEPOINT stamp_chunk")
        try:
            with cursor.copy("COPY stamps (id, run_id, status) FROM STDIN") as copy:
                copy.write("".join(f"{i}\t{run_id}\tissued\n" for i in ids).encode())
        except psycopg.errors.UniqueViolation:
            cursor.execute("ROLLBACK TO SAVEPOINT stamp_chunk")
            taken = {row[0] for row in cursor.execute(
                "SELECT id FROM stamps WHERE id = ANY(%s)", (ids,))}
            log.warning("stamp id collision: %d of %d ids drawn again", len(taken), len(ids))
            kept = [i for i in ids if i not in taken]
            ids = _distinct(kept + list(new_ids(len(ids) - len(kept))), new_ids)
            continue
        cursor.execute("RELEASE SAVEPOINT stamp_chunk")
        return


def _distinct(ids: list[int], new_ids: IdSource) -> list[int]:
    """`ids` without repeats, topped up to the same length with new ones."""
    unique = dict.fromkeys(ids)
    while len(unique) < len(ids):
        unique.update(dict.fromkeys(new_ids(len(ids) - len(unique))))
    return list(unique)


# --- runs ------------------------------------------------------------------------------

def _fetch_run(s, actor: User | None, run_id: int, *, write: bool = False,
               lock: bool = False) -> StampRun:
    run = s.get(StampRun, run_id, with_for_update={"of": StampRun} if lock else None)
    if run is None:
        raise NotFound(_("Not found."))
    permissions.check(actor, "batch.stamps" if write else "batch", run.batch, write=write)
    return run


def get_run(actor: User | None, run_id: int) -> StampRun:
    return _fetch_run(session(), actor, run_id)


def list_runs(actor: User | None, *, batch_id: int | None = None,
              status: RunStatus | None = None, offset: int = 0,
              limit: int = 20) -> tuple[list[StampRun], int]:
    permissions.require_login(actor)
    where = [permissions.owner_filter(actor, Batch.organization_id,
                                      Organization.province_code)]
    if batch_id:
        where.append(StampRun.batch_id == batch_id)
    if status:
        where.append(StampRun.status == status)
    base = select(StampRun).join(Batch, Batch.id == StampRun.batch_id) \
        .join(Organization, Organization.id == Batch.organization_id).where(*where)
    s = session()
    total = s.scalar(select(func.count()).select_from(base.subquery()))
    rows = s.scalars(base.order_by(StampRun.id.desc()).offset(offset).limit(limit))
    return list(rows.unique()), total


def activate_run(actor: User | None, run_id: int) -> StampRun:
    """Once printed, the run goes live: its stamps scan as genuine from now on."""
    with transaction() as s:
        run = _fetch_run(s, actor, run_id, write=True, lock=True)
        if run.status != RunStatus.ISSUED:
            raise Conflict(_("Only a run that is issued and not yet active can be activated "
                             "(this one is %(status)s).", status=_(run.status.value)))
        batch = run.batch
        if batch.status == BatchStatus.RECALLED:
            raise Conflict(_("Batch %(lot)s was recalled; its stamps cannot be activated.",
                             lot=batch.lot_code))
        if batch.on_hold:
            raise Conflict(_("Batch %(lot)s is on hold (%(reason)s); an official must clear "
                             "it before its stamps can be activated.", lot=batch.lot_code,
                             reason=batch.hold_reason))
        before = audit.snapshot(run, RUN_FIELDS)
        run.status, run.activated_at = RunStatus.ACTIVE, now()
        s.flush()
        audit.record(s, actor, "stamp_run", run.id, "activate", before,
                     audit.snapshot(run, RUN_FIELDS))
    return run


def void_run(actor: User | None, run_id: int, reason: str) -> StampRun:
    """Void a run (lost at the printer, misprinted): its stamps scan as void."""
    with transaction() as s:
        run = _fetch_run(s, actor, run_id, write=True, lock=True)
        if run.status == RunStatus.VOID:
            raise Conflict(_("This run is already void."))
        before = audit.snapshot(run, RUN_FIELDS)
        run.status, run.voided_at, run.void_reason = RunStatus.VOID, now(), reason
        s.flush()
        audit.record(s, actor, "stamp_run", run.id, "void", before,
                     audit.snapshot(run, RUN_FIELDS))
    return run
