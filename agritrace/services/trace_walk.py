"""The statements behind a trace: the walk along the lot graph, then set-based reads of
what the lots found carry (hand-overs, holders, cartons), each one statement for all
the lots at once.

The lot graph: an output lot names the transformation that made it
(`batches.transformation_id`), and `transformation_inputs` the lots that went in.
Walking back joins a lot's transformation to its inputs (primary key of
transformation_inputs); walking forward joins a lot to the transformations it went
into (index on transformation_inputs.batch_id) and to their outputs (index on
batches.transformation_id). Hand-overs move custody of a lot but never make a new
one, so they are read for the lots found, not walked.

Each direction is one recursive query with a depth limit and a cycle guard; both run in
one statement, so a trace costs one round trip for the graph however deep it goes.
A row is one step taken: the lot reached, the lot it was reached from and the quantity
of the edge between them (depth < 0 back, > 0 forward, 0 for the lots started from).
"""
from __future__ import annotations

from collections.abc import Sequence

import psycopg
from sqlalchemy import Row, text
from sqlalchemy.orm import Session

# Back: from a lot to the inputs of the transformation that made it.
_BACK = """back(lot_id, via_id, quantity, depth) AS (
    SELECT id, NULL::integer, NULL::numeric, 0 FROM unnest(CAST(:starts AS integer[])) AS id
  UNION ALL
    SELECT ti.batch_id, w.lot_id, ti.quantity, w.depth + 1
    FROM back w
    JOIN batches b ON b.id = w.lot_id
    JOIN transformation_inputs ti ON ti.transformation_id = b.transformation_id
    WHERE w.depth < :max_depth
) CYCLE lot_id SET is_cycle USING path"""

# Forward: from a lot to the outputs of the transformations it went into.
_FORWARD = """forward(lot_id, via_id, quantity, depth) AS (
    SELECT id, NULL::integer, NULL::numeric, 0 FROM unnest(CAST(:starts AS integer[])) AS id
  UNION ALL
    SELECT o.id, w.lot_id, ti.quantity, w.depth + 1
    FROM forward w
    JOIN transformation_inputs ti ON ti.batch_id = w.lot_id
    JOIN batches o ON o.transformation_id = ti.transformation_id
    WHERE w.depth < :max_depth
) CYCLE lot_id SET is_cycle USING path"""

_PICK = {"back": "SELECT lot_id, via_id, quantity, -depth AS depth FROM back",
         "forward": "SELECT lot_id, via_id, quantity, depth FROM forward"}


def walk_sql(direction: str) -> str:
    """The one statement walking `direction` (back, forward or both)."""
    ways = ("back", "forward") if direction == "both" else (direction,)
    parts = {"back": _BACK, "forward": _FORWARD}
    return ("WITH RECURSIVE " + ",\n".join(parts[w] for w in ways) + "\n"
            + "\nUNION ALL\n".join(_PICK[w] for w in ways))


def walk(s: Session, starts: Sequence[int], direction: str, max_depth: int) -> list[Row]:
    """Every step of the walk: (lot_id, via_id, quantity, depth)."""
    return list(s.execute(text(walk_sql(direction)),
                          {"starts": list(starts), "max_depth": max_depth}))


LOTS = """
SELECT b.id, b.lot_code, b.product_id, p.name AS product_name, p.gtin,
       b.organization_id, o.name AS organization_name, o.province_code, o.gln,
       b.origin, b.market, b.harvest_date, b.pack_date, b.expiry_date, b.quantity, b.unit,
       b.status, b.recall_id, b.recall_reason, b.recalled_at,
       b.transformation_id, t.kind AS transformation_kind, t.happened_on AS made_on,
       coalesce(tf.code, pf.code) AS packing_house_code,
       coalesce(tf.id, pf.id) AS facility_id,
       ARRAY(SELECT a.code FROM batch_areas ba JOIN growing_areas a ON a.id = ba.area_id
             WHERE ba.batch_id = b.id AND a.code IS NOT NULL ORDER BY a.code) AS area_codes,
       (SELECT count(*) FROM trace_events e WHERE e.batch_id = b.id) AS diary_entries
FROM batches b
JOIN products p ON p.id = b.product_id
JOIN organizations o ON o.id = b.organization_id
LEFT JOIN transformations t ON t.id = b.transformation_id
LEFT JOIN facilities tf ON tf.id = t.facility_id
LEFT JOIN facilities pf ON pf.id = b.packing_facility_id
WHERE b.id = ANY(%(ids)s)
"""

HANDOVERS = """
SELECT h.id, h.batch_id, h.sender_id, s.name AS sender_name, s.province_code AS sender_province,
       s.gln AS sender_gln, h.receiver_id, r.name AS receiver_name,
       r.province_code AS receiver_province, r.gln AS receiver_gln,
       h.external_party_id, x.name AS external_name, x.country AS external_country,
       x.gln AS external_gln, h.quantity, h.unit, h.dispatched_on, h.delivery_note,
       h.vehicle, h.status, h.received_quantity, h.received_on, h.refusal_reason
FROM handovers h
JOIN organizations s ON s.id = h.sender_id
LEFT JOIN organizations r ON r.id = h.receiver_id
LEFT JOIN external_parties x ON x.id = h.external_party_id
WHERE h.batch_id = ANY(%(ids)s)
ORDER BY h.dispatched_on, h.id
"""

HOLDERS = """
SELECT h.batch_id, h.organization_id, o.name AS organization_name, o.province_code,
       h.balance, b.unit
FROM holdings h
JOIN organizations o ON o.id = h.organization_id
JOIN batches b ON b.id = h.batch_id
WHERE h.batch_id = ANY(%(ids)s) AND h.balance > 0
ORDER BY h.batch_id, h.balance DESC
"""

# The cartons of the lots, and the pallets they sit on.
CARTONS = """
WITH cartons AS (
    SELECT * FROM logistic_units WHERE batch_id = ANY(%(ids)s)
)
SELECT sscc, batch_id, kind, parent_sscc, net_weight_kg, packed_on, organization_id
FROM cartons
UNION
SELECT u.sscc, u.batch_id, u.kind, u.parent_sscc, u.net_weight_kg, u.packed_on,
       u.organization_id
FROM logistic_units u WHERE u.sscc IN (SELECT parent_sscc FROM cartons)
ORDER BY sscc
"""


def read(s: Session, statements: Sequence[str], ids: Sequence[int]) -> list[list[tuple]]:
    """The rows of each statement for the lots `ids`, in the session's transaction.

    The statements go to the server together in one pipeline, so the reads of a trace
    cost one round trip, not one each: under load every round trip also waits for the
    scheduler twice. Rows are plain tuples in the statements' column order."""
    if not ids:
        return [[] for _ in statements]
    raw = s.connection().connection.driver_connection
    params = {"ids": list(ids)}
    if not psycopg.Pipeline.is_supported():   # a libpq older than 14
        return [raw.execute(sql, params).fetchall() for sql in statements]
    with raw.pipeline():
        cursors = [raw.execute(sql, params) for sql in statements]
    return [cursor.fetchall() for cursor in cursors]
