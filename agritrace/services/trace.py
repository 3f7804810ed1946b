"""Tracing back and forward (truy xuất một bước trước – một bước sau) from a lot, an
SSCC, a stamp, a growing-area code or a packing-house code.

`trace(actor, start)` walks the lot graph in one recursive statement per direction
(trace_walk.py), then reads the hand-overs, holders and cartons of every lot found in
one statement each, and returns a `Trace` cut to what the actor may see:
- an administrator sees the whole chain;
- an official sees it whole when any organisation of the chain (a lot's, a hand-over's
  sender or receiver, a holder) is in the official's province, else it is not found;
- an organisation sees its own lots (made, sent, received or held), the lots one step
  back and one step forward of them (who supplied it, whom it supplied), the
  hand-overs where it is sender or receiver, and holders it dealt with; the deeper
  chain is cut and `hidden` says so.
`public_chain(batch_id)` is what a consumer's scan shows of the lots upstream:
growing-area codes, packing-house codes and dates, never quantities or partners.
The rule of who sees what is set-based over the whole chain, so it lives here rather
than in permissions.py, whose rules judge one row at a time.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property

from flask_babel import gettext as _
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from labels.codes import CodeError, parse_code
from labels.sscc import SsccError, validate_sscc

from .. import permissions
from ..db import session
from ..errors import Invalid, NotFound
from ..models import Batch, Role, User
from ..schemas.common import MAX_INT32
from . import trace_walk

MAX_DEPTH = 20
MAX_STARTS = 200   # an area or a packing house of many seasons: its newest lots


class StartKind(enum.StrEnum):
    LOT = "lot"
    SSCC = "sscc"
    STAMP = "stamp"
    AREA = "area"            # mã số vùng trồng
    FACILITY = "facility"    # mã số cơ sở đóng gói


@dataclass(frozen=True)
class Start:
    """What a trace starts from: a lot id, or a code of one of the other kinds."""
    kind: StartKind
    value: int | str


@dataclass(slots=True)
class LotNode:  # lô hàng
    id: int
    lot_code: str
    product_id: int
    product_name: str
    gtin: str | None
    organization_id: int
    organization_name: str
    province_code: int
    gln: str | None
    origin: str
    market: str | None
    harvest_date: date | None
    pack_date: date | None
    expiry_date: date | None
    quantity: Decimal | None
    unit: str
    status: str
    recall_id: int | None
    recall_reason: str | None
    recalled_at: datetime | None
    transformation_id: int | None
    transformation_kind: str | None
    made_on: date | None
    packing_house_code: str | None
    facility_id: int | None
    area_codes: list[str]
    diary_entries: int
    depth: int = 0   # steps from the start: < 0 back, > 0 forward


@dataclass(slots=True)
class Edge:
    """`quantity` of lot `input_id` went into the transformation that made `output_id`."""
    input_id: int
    output_id: int
    quantity: Decimal
    unit: str


@dataclass(slots=True)
class HandoverRow:  # giao nhận
    id: int
    batch_id: int
    sender_id: int
    sender_name: str
    sender_province: int
    sender_gln: str | None
    receiver_id: int | None
    receiver_name: str | None
    receiver_province: int | None
    receiver_gln: str | None
    external_party_id: int | None
    external_name: str | None
    external_country: str | None
    external_gln: str | None
    quantity: Decimal
    unit: str
    dispatched_on: date
    delivery_note: str
    vehicle: str
    status: str
    received_quantity: Decimal | None
    received_on: date | None
    refusal_reason: str | None

    @property
    def shortfall(self) -> Decimal | None:
        if self.received_quantity is None:
            return None
        return self.quantity - self.received_quantity


@dataclass(slots=True)
class HolderRow:
    batch_id: int
    organization_id: int
    organization_name: str
    province_code: int
    balance: Decimal
    unit: str


@dataclass(slots=True)
class CartonRow:  # thùng hàng, pallet
    sscc: str
    batch_id: int | None
    kind: str
    parent_sscc: str | None
    net_weight_kg: Decimal | None
    packed_on: date
    organization_id: int


@dataclass
class Trace:
    start_ids: list[int]
    direction: str
    max_depth: int
    lots: list[LotNode]
    edges: list[Edge]
    handovers: list[HandoverRow]
    holders: list[HolderRow]
    cartons: list[CartonRow]
    hidden: bool = False       # an organisation's view: the deeper chain was cut
    truncated: bool = False    # the walk stopped at max_depth
    more_starts: int = 0       # lots of the code beyond MAX_STARTS, not traced

    @cached_property
    def by_id(self) -> dict[int, LotNode]:
        return {lot.id: lot for lot in self.lots}

    def steps(self) -> list[tuple[int, list[LotNode]]]:
        """The lots by depth, the furthest back first."""
        return sorted(_grouped(self.lots, "depth").items())

    def inputs_of(self, lot_id: int) -> list[Edge]:
        return self._inputs.get(lot_id, [])

    def handovers_of(self, lot_id: int) -> list[HandoverRow]:
        return self._handovers.get(lot_id, [])

    def holders_of(self, lot_id: int) -> list[HolderRow]:
        return self._holders.get(lot_id, [])

    def cartons_of(self, lot_id: int) -> list[CartonRow]:
        return self._cartons.get(lot_id, [])

    @cached_property
    def _inputs(self) -> dict:
        return _grouped(self.edges, "output_id")

    @cached_property
    def _handovers(self) -> dict:
        return _grouped(self.handovers, "batch_id")

    @cached_property
    def _holders(self) -> dict:
        return _grouped(self.holders, "batch_id")

    @cached_property
    def _cartons(self) -> dict:
        return _grouped(self.cartons, "batch_id")


def _grouped(items: list, key: str) -> dict:
    out: dict = {}
    for item in items:
        out.setdefault(getattr(item, key), []).append(item)
    return out


# --- where a trace starts ---------------------------------------------------------------

_BY_STAMP = text("SELECT r.batch_id FROM stamps s JOIN stamp_runs r ON r.id = s.run_id "
                 "WHERE s.id = :v")
_BY_SSCC = text("SELECT DISTINCT batch_id FROM logistic_units "
                "WHERE (sscc = :v OR parent_sscc = :v) AND batch_id IS NOT NULL")
_BY_AREA = text("SELECT ba.batch_id FROM growing_areas a "
                "JOIN batch_areas ba ON ba.area_id = a.id WHERE a.code = :v "
                "ORDER BY ba.batch_id DESC")
_BY_FACILITY = text("""
SELECT b.id FROM facilities f JOIN batches b ON b.packing_facility_id = f.id WHERE f.code = :v
UNION
SELECT b.id FROM facilities f JOIN transformations t ON t.facility_id = f.id
JOIN batches b ON b.transformation_id = t.id WHERE f.code = :v
ORDER BY 1 DESC""")


def resolve(s: Session, start: Start) -> list[int]:
    """The lots a start stands for (newest first); an unreadable code is Invalid."""
    kind, value = StartKind(start.kind), start.value
    if kind == StartKind.LOT:
        if isinstance(value, int):
            return list(s.scalars(select(Batch.id).where(Batch.id == value)))
        # Typed on the trace page: a lot number, or a lot code (of any organisation).
        text_value = str(value).strip()
        if not text_value.isprintable() or len(text_value) > 20:
            return []
        match = Batch.lot_code == text_value
        if text_value.isdigit() and int(text_value) <= MAX_INT32:
            match = match | (Batch.id == int(text_value))
        return list(s.scalars(select(Batch.id).where(match).order_by(Batch.id.desc())))
    if kind == StartKind.STAMP:
        try:
            stamp_id = parse_code(str(value))
        except CodeError as exc:
            raise Invalid(_("This is not a stamp code."), {"stamp": [str(exc)]}) from exc
        return list(s.scalars(_BY_STAMP, {"v": stamp_id}))
    if kind == StartKind.SSCC:
        try:
            sscc = validate_sscc(str(value))
        except SsccError as exc:
            raise Invalid(_("This is not an SSCC: 18 digits with their check digit."),
                          {"sscc": [_("Not an SSCC.")]}) from exc
        return list(s.scalars(_BY_SSCC, {"v": sscc}))
    code = str(value).strip().upper()
    if not code.isprintable() or len(code) > 40:   # no such code (both are ≤ 40 long)
        return []
    return list(s.scalars(_BY_AREA if kind == StartKind.AREA else _BY_FACILITY, {"v": code}))


# --- the trace -----------------------------------------------------------------------------

def trace(actor: User | None, start: Start | int, direction: str = "both",
          max_depth: int = MAX_DEPTH) -> Trace:
    """The chain through the lots `start` stands for, `direction` back, forward or both,
    at most `max_depth` steps each way, cut to what `actor` may see. Read-only."""
    user = permissions.require_login(actor)
    if direction not in ("back", "forward", "both"):
        raise Invalid(_("Trace back, forward or both."), {"direction": [_("Unknown.")]})
    if not isinstance(start, Start):
        start = Start(StartKind.LOT, int(start))
    s = session()
    # A lot id needs no look-up of its own: a missing lot is a walk that finds nothing.
    found = [start.value] if start.kind == StartKind.LOT and isinstance(start.value, int) \
        else resolve(s, start)
    starts, more = found[:MAX_STARTS], max(0, len(found) - MAX_STARTS)
    chain = _read(s, starts, direction, max(1, min(max_depth, MAX_DEPTH)))
    if not chain.lots:
        raise NotFound(_("No lot was found for this code."))
    chain.more_starts = more
    return _cut(user, chain)


def _read(s: Session, starts: list[int], direction: str, max_depth: int,
          details: bool = True) -> Trace:
    """The chain as found, uncut; without `details`, its lots and edges only."""
    depth: dict[int, int] = {}
    pairs: dict[tuple[int, int], Decimal] = {}
    for lot_id, via_id, quantity, d in trace_walk.walk(s, starts, direction, max_depth):
        if lot_id not in depth or abs(d) < abs(depth[lot_id]):
            depth[lot_id] = d
        if via_id is not None:
            pairs[(lot_id, via_id) if d < 0 else (via_id, lot_id)] = quantity
    statements = [trace_walk.LOTS]
    if details:
        statements += [trace_walk.HANDOVERS, trace_walk.HOLDERS, trace_walk.CARTONS]
    lot_rows, *more = trace_walk.read(s, statements, sorted(depth))
    handovers, holders, cartons = more or ([], [], [])
    # Rows are read by position: the statements' columns are the dataclasses' fields in
    # order (a test holds them together), which spares a mapping per row.
    lots = sorted((LotNode(*r, depth=depth[r[0]]) for r in lot_rows),
                  key=lambda lot: (lot.depth, lot.organization_name, lot.lot_code))
    units = {lot.id: lot.unit for lot in lots}
    edges = [Edge(i, o, q, units.get(i, "")) for (i, o), q in sorted(pairs.items())]
    return Trace(
        start_ids=list(starts), direction=direction, max_depth=max_depth, lots=lots,
        edges=edges, handovers=[HandoverRow(*r) for r in handovers],
        holders=[HolderRow(*r) for r in holders], cartons=[CartonRow(*r) for r in cartons],
        truncated=any(abs(d) >= max_depth for d in depth.values()))


def _cut(user: User, chain: Trace) -> Trace:
    if user.role == Role.ADMIN:
        return chain
    if user.role == Role.OFFICIAL:
        provinces = {lot.province_code for lot in chain.lots} \
            | {h.sender_province for h in chain.handovers} \
            | {h.receiver_province for h in chain.handovers if h.receiver_id} \
            | {h.province_code for h in chain.holders}
        if user.province_code not in provinces:
            raise NotFound(_("Not found."))
        return chain
    return _one_step(user.organization_id, chain)


def _one_step(org_id: int | None, chain: Trace) -> Trace:
    """An organisation's view: its own lots and one step either side of them."""
    handovers = [h for h in chain.handovers if org_id in (h.sender_id, h.receiver_id)]
    own = {lot.id for lot in chain.lots if lot.organization_id == org_id} \
        | {h.batch_id for h in handovers} \
        | {h.batch_id for h in chain.holders if h.organization_id == org_id}
    seen = own | {e.input_id for e in chain.edges if e.output_id in own} \
        | {e.output_id for e in chain.edges if e.input_id in own}
    if not seen.intersection(chain.start_ids):
        raise NotFound(_("Not found."))
    partners = {org_id} | {h.sender_id for h in handovers} | {h.receiver_id for h in handovers}
    lots = [lot for lot in chain.lots if lot.id in seen]
    edges = [e for e in chain.edges if e.input_id in seen and e.output_id in seen]
    holders = [h for h in chain.holders if h.batch_id in seen
               and h.organization_id in partners]
    cartons = [c for c in chain.cartons if c.organization_id == org_id
               or c.batch_id in own]
    hidden = (len(lots), len(edges), len(handovers), len(holders), len(cartons)) != (
        len(chain.lots), len(chain.edges), len(chain.handovers), len(chain.holders),
        len(chain.cartons))
    return Trace(start_ids=[i for i in chain.start_ids if i in seen],
                 direction=chain.direction, max_depth=chain.max_depth, lots=lots,
                 edges=edges, handovers=handovers, holders=holders, cartons=cartons,
                 hidden=hidden, truncated=chain.truncated and not hidden,
                 more_starts=chain.more_starts)


# --- what the public sees -------------------------------------------------------------------

@dataclass(frozen=True)
class PublicStep:
    """One lot upstream of a scanned one, as the public sees it."""
    depth: int
    origin: str
    harvest_date: date | None
    pack_date: date | None
    made_on: date | None
    area_codes: tuple[str, ...]
    packing_house_code: str | None


@dataclass(frozen=True)
class PublicChain:
    steps: list[PublicStep]       # the lot itself (depth 0) and those it was made from
    area_codes: list[str]         # every growing-area code upstream
    packing_house_codes: list[str]

    @property
    def upstream(self) -> bool:
        """Whether the lot was made from others (else its own story says it all)."""
        return any(step.depth < 0 for step in self.steps)


def public_lots(batch_id: int, max_depth: int = MAX_DEPTH) -> list[LotNode]:
    """The lot and those it was made from: the scan page shows codes and dates only."""
    return _read(session(), [batch_id], "back", max_depth, details=False).lots


def public_chain(batch_id: int, max_depth: int = MAX_DEPTH) -> PublicChain:
    """The growing-area codes, packing-house codes and dates of the lot and of the lots
    it was made from; for the scan page and the carton page, no login."""
    s = session()
    chain = _read(s, [batch_id], "back", max_depth, details=False)
    steps = sorted({PublicStep(lot.depth, lot.origin, lot.harvest_date, lot.pack_date,
                               lot.made_on, tuple(lot.area_codes), lot.packing_house_code)
                    for lot in chain.lots},
                   key=lambda p: (p.depth, p.made_on or p.harvest_date or date.min,
                                  p.area_codes))
    return PublicChain(
        steps=steps,
        area_codes=sorted({c for lot in chain.lots for c in lot.area_codes}),
        packing_house_codes=sorted({lot.packing_house_code for lot in chain.lots
                                    if lot.packing_house_code}))
