"""The lot graph (đồ thị lô hàng): which lots a lot was made from, and which lots were
made from it, through the transformations' edges (transformation_inputs: input lot →
transformation; batches.transformation_id: transformation → output lot). Hand-overs
move custody, never identity, so they are no part of this graph.

Every walk is one recursive statement, whatever the depth. The recursion joins with
UNION, not UNION ALL: PostgreSQL then keeps each (start, lot) pair once and stops when
a step finds no new lot, which guards against a cycle and also against a lot reached
by many paths (one harvest split over several packing lots that meet again in one
export lot). A `CYCLE` clause would guard against cycles only: its path column makes
every path a distinct row, and such diamonds would multiply the rows at each level.
Both walks are served by indexes: batches.transformation_id and
transformation_inputs.batch_id (and its primary key for the other end).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import Integer

from ..models import Facility, GrowingArea

# (root, id): every lot upstream of each start lot, the start itself included.
_UP = """
    WITH RECURSIVE up(root, id) AS (
        SELECT b.id, b.id FROM batches b WHERE b.id = ANY(:ids)
      UNION
        SELECT up.root, ti.batch_id
        FROM up
        JOIN batches b ON b.id = up.id
        JOIN transformation_inputs ti ON ti.transformation_id = b.transformation_id
    )
"""

# (root, id): every lot downstream of each start lot, the start itself included.
_DOWN = """
    WITH RECURSIVE down(root, id) AS (
        SELECT b.id, b.id FROM batches b WHERE b.id = ANY(:ids)
      UNION
        SELECT down.root, out.id
        FROM down
        JOIN transformation_inputs ti ON ti.batch_id = down.id
        JOIN batches out ON out.transformation_id = ti.transformation_id
    )
"""


def _ids(ids: Iterable[int]) -> dict:
    return {"ids": sorted({int(i) for i in ids})}


def _bind(sql: str):
    return text(sql).bindparams(bindparam("ids", type_=ARRAY(Integer)))


def upstream_lot_ids(s: Session, ids: Iterable[int]) -> set[int]:
    """The lots `ids` and every lot they were made from, however many steps back."""
    return set(s.scalars(_bind(_UP + "SELECT DISTINCT id FROM up"), _ids(ids)))


def downstream_lot_ids(s: Session, ids: Iterable[int]) -> set[int]:
    """The lots `ids` and every lot made from them, however many steps forward."""
    return set(s.scalars(_bind(_DOWN + "SELECT DISTINCT id FROM down"), _ids(ids)))


def upstream_areas(s: Session, ids: Iterable[int]) -> dict[int, list[GrowingArea]]:
    """For each lot of `ids`, the growing areas (vùng trồng) its fruit was harvested on:
    those of every harvest lot upstream of it, its own included; ordered by code."""
    pairs = s.execute(_bind(_UP + """
        SELECT DISTINCT up.root, ba.area_id FROM up
        JOIN batch_areas ba ON ba.batch_id = up.id
    """), _ids(ids)).all()
    return _grouped(s, GrowingArea, pairs)


def upstream_packing_houses(s: Session, ids: Iterable[int]) -> dict[int, list[Facility]]:
    """For each lot of `ids`, the packing houses (cơ sở đóng gói) it passed through: the
    packing house named on it or on any lot upstream, and the packing-house facility
    of every transformation that made one of them; ordered by code."""
    pairs = s.execute(_bind(_UP + """
        SELECT DISTINCT up.root, f.id FROM up
        JOIN batches b ON b.id = up.id
        LEFT JOIN transformations t ON t.id = b.transformation_id
        JOIN facilities f ON f.id IN (b.packing_facility_id, t.facility_id)
        WHERE f.kind = 'packing_house'
    """), _ids(ids)).all()
    return _grouped(s, Facility, pairs)


def _grouped(s: Session, model, pairs) -> dict[int, list]:
    """(root, row id) pairs as {root: [rows]}, the rows loaded at once, ordered by code."""
    rows = {r.id: r for r in s.scalars(select(model).where(
        model.id.in_({row_id for _root, row_id in pairs})))}
    found: dict[int, list] = defaultdict(list)
    for root, row_id in pairs:
        found[root].append(rows[row_id])
    return {root: sorted(items, key=lambda r: (r.code or "", r.id))
            for root, items in found.items()}
