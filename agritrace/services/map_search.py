"""What the maps ask of the growing areas beside their tiles: where to look first,
which area a typed code names, which crops there are. The public sees issued areas
only, read from the replica when there is one; a logged-in actor what `areas.visible`
allows (the same rule as the tiles), from the primary, so that an area just saved shows."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..db import read_session, session
from ..models import AreaStatus, GrowingArea, User
from .areas import visible

Bbox = tuple[float, float, float, float]   # west, south, east, north (WGS84)


@dataclass(frozen=True)
class Found:
    id: int
    code: str | None
    name: str
    status: AreaStatus
    bbox: Bbox


def _where(actor: User | None, **filters) -> list:
    if actor is None:
        return [GrowingArea.status == AreaStatus.ISSUED]
    return visible(actor, **filters)


def _session(actor: User | None):
    return read_session() if actor is None else session()


def _bounds(geom):
    return (func.ST_XMin(geom), func.ST_YMin(geom), func.ST_XMax(geom), func.ST_YMax(geom))


def extent(actor: User | None, **filters) -> Bbox | None:
    """The box around every area the actor may see (None when there is none)."""
    box = func.ST_Extent(GrowingArea.geom)
    row = _session(actor).execute(select(*_bounds(box)).where(*_where(actor, **filters))).one()
    return None if row[0] is None else tuple(float(v) for v in row)


def find(actor: User | None, text: str, *, limit: int = 10) -> list[Found]:
    """Areas whose code (or name) contains `text`, an exact code first, with the box
    to zoom to. Codes are stored upper case; people type them any way."""
    text = text.strip()
    exact = GrowingArea.code == text.upper()
    rows = _session(actor).execute(
        select(GrowingArea.id, GrowingArea.code, GrowingArea.name, GrowingArea.status,
               *_bounds(func.Box2D(GrowingArea.geom)))
        .where(*_where(actor), _matching(text))
        .order_by(exact.desc(), GrowingArea.code.nulls_last(), GrowingArea.id).limit(limit))
    return [Found(r[0], r[1], r[2], r[3], tuple(float(v) for v in r[4:])) for r in rows]


def _matching(text: str):
    """Code or name contains `text`; `%` and `_` are taken literally (a code is typed,
    not a pattern), unlike `visible(q=…)`."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return GrowingArea.code.ilike(pattern, escape="\\") \
        | GrowingArea.name.ilike(pattern, escape="\\")


def crops(actor: User | None, *, limit: int = 200) -> list[str]:
    """The crops of the areas the actor may see, for the map's crop filter."""
    return list(_session(actor).scalars(select(GrowingArea.crop).where(*_where(actor))
                                  .group_by(GrowingArea.crop).order_by(GrowingArea.crop)
                                  .limit(limit)))
