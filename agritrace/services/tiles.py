"""Vector tiles (MVT) of the map layers, each tile cut by PostGIS in one query.

How the query finds its rows: geometries are stored in WGS84 (SRID 4326) with a GiST
index on `geom`, while a tile's envelope is Web Mercator. `ST_Transform(geom, 3857) &&
envelope` would transform every row and leave the index unused, so rows are picked
with `geom && ST_Expand(ST_Transform(ST_TileEnvelope(z, x, y), 4326), margin)` instead. A
Mercator rectangle is a longitude/latitude rectangle, so that transformed envelope is
exact, and the index answers it (tests/agritrace/test_tiles.py checks the plan). The
margin is the MVT buffer (256 of 4096 units), so that features just outside the tile,
which ST_AsMVTGeom keeps in the buffer, are found too. No expression index on the 3857
geometry, and so no migration, is needed. Only the rows found are transformed to 3857
and clipped and quantised to the tile's 4096 × 4096 grid by ST_AsMVTGeom.

Low zooms: below zoom 12 polygons are first simplified to one tile unit (ST_Simplify
in degrees, keeping collapsed rings), which drops vertices no one can see. An area
smaller than one unit, which ST_AsMVTGeom would drop, is drawn as a square of two
units around a point on its surface, so every area stays visible at every zoom.

Who sees what: the public sees issued growing areas and active facilities; a
logged-in user sees those too, plus whatever else `areas.visible` (for facilities the
same `permissions.owner_filter`) lets them read: producers their organisation's rows,
officials their province's, admins all.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import ColumnElement, Float, Select, Text, cast, func, literal_column, or_, select
from sqlalchemy.orm import Session

from .. import permissions
from ..db import read_session, session
from ..models import (AreaStatus, Facility, FacilityStatus, GrowingArea, MapVersion,
                      Organization, User)
from ..replica import on_replica
from . import areas, tile_cache

EXTENT = 4096             # tile units across a tile, the MVT default
BUFFER = 256              # units kept around the tile, so lines and fills join seamlessly
MAX_ZOOM = 22
SIMPLIFY_BELOW = 12       # zoom below which polygons are simplified before clipping
SERIAL_FROM = 12          # zoom from which a tile's query runs without parallel workers
WORLD_M = 40_075_016.685578488  # width of the Web Mercator world, in metres


@dataclass(frozen=True)
class Layer:
    """One tile layer: its rows, their properties, who may see which, and the
    columns its query filters address."""
    name: str
    model: type
    properties: Callable[[], list]
    rights: Callable[[User | None], ColumnElement[bool]]
    filters: dict[str, ColumnElement]
    polygons: bool


def _area_properties() -> list:
    return [GrowingArea.id, GrowingArea.code, GrowingArea.name, GrowingArea.crop,
            cast(GrowingArea.status, Text).label("status"),
            cast(GrowingArea.area_ha, Float).label("hectares"),
            Organization.name.label("organization"), GrowingArea.organization_id,
            GrowingArea.province_code, GrowingArea.ward_code]


def _area_rights(actor: User | None) -> ColumnElement[bool]:
    public = GrowingArea.status == AreaStatus.ISSUED
    return public if actor is None else or_(public, *areas.visible(actor))


def _facility_properties() -> list:
    return [Facility.id, Facility.code, Facility.name, cast(Facility.kind, Text).label("kind"),
            cast(Facility.status, Text).label("status"), Organization.name.label("organization")]


def _facility_rights(actor: User | None) -> ColumnElement[bool]:
    public = Facility.status == FacilityStatus.ACTIVE
    if actor is None:
        return public
    return or_(public, permissions.owner_filter(actor, Facility.organization_id,
                                                Facility.province_code))


LAYERS = {
    "growing-areas": Layer(
        "growing-areas", GrowingArea, _area_properties, _area_rights,
        {"crop": GrowingArea.crop, "status": GrowingArea.status,
         "organization_id": GrowingArea.organization_id,
         "province": GrowingArea.province_code, "ward": GrowingArea.ward_code},
        polygons=True),
    # Facilities have no crop: a `crop` filter, accepted so that one filter string fits
    # both layers, leaves them all in.
    "facilities": Layer(
        "facilities", Facility, _facility_properties, _facility_rights,
        {"status": Facility.status, "organization_id": Facility.organization_id,
         "province": Facility.province_code, "ward": Facility.ward_code},
        polygons=False),
}


def tile_statement(actor: User | None, layer: str, z: int, x: int, y: int,
                   **filters) -> Select:
    """The one statement that makes tile z/x/y of `layer` for `actor`, with the
    filters (crop, status, organization_id, province, ward) that are not None."""
    spec = LAYERS[layer]
    model = spec.model
    envelope = func.ST_TileEnvelope(z, x, y)
    # The buffer added in degrees after the transform: ST_TileEnvelope's own margin runs
    # past ±180° at the antimeridian, where ST_Transform wraps it round to the other side.
    # A degree of latitude spans more Mercator metres than a degree of longitude, so a
    # margin of longitude degrees covers the buffer both ways.
    reach = func.ST_Expand(func.ST_Transform(envelope, 4326), 360 / 2 ** z * BUFFER / EXTENT)
    unit_m = WORLD_M / 2 ** z / EXTENT

    def mvt(geom):
        return func.ST_AsMVTGeom(func.ST_Transform(geom, 3857), envelope, EXTENT, BUFFER, True)

    shape = mvt(model.geom)
    if spec.polygons:
        if z < SIMPLIFY_BELOW:
            shape = mvt(func.ST_Simplify(model.geom, 360 / 2 ** z / EXTENT, True))
        # Areas smaller than a unit collapse in ST_AsMVTGeom; COALESCE draws them as a
        # small square instead (and costs nothing for the others).
        point = func.ST_Transform(func.ST_PointOnSurface(model.geom), 3857)
        shape = func.coalesce(shape, func.ST_AsMVTGeom(func.ST_Expand(point, unit_m), envelope,
                                                       EXTENT, BUFFER, True))
    where = [model.geom.op("&&")(reach), spec.rights(actor)]
    where += [spec.filters[name] == value for name, value in filters.items()
              if value is not None and name in spec.filters]
    rows = (select(model.id.label("fid"), *spec.properties(), shape.label("geom"))
            .join(Organization, Organization.id == model.organization_id)
            .where(*where).subquery("tile"))
    # `fid` becomes each feature's id (and is not repeated as a property).
    return select(func.ST_AsMVT(literal_column("tile"), layer, EXTENT, "geom", "fid")) \
        .select_from(rows)


def render_tile(actor: User | None, layer: str, z: int, x: int, y: int, **filters) -> bytes:
    """Tile z/x/y of `layer` as MVT bytes (b"" when no feature falls in it); z/x/y and
    the filters are already checked (web/tiles.py). Public tiles come from the tile
    cache while their layer's data has not changed."""
    if actor is None:
        return tile_cache.cached_tile(layer, (z, x, y), filters,
                                      lambda: _cut(actor, layer, z, x, y, **filters))
    return _cut(actor, layer, z, x, y, **filters)


def _cut(actor: User | None, layer: str, z: int, x: int, y: int, **filters) -> bytes:
    s = _reader(layer)
    if z >= SERIAL_FROM:
        # Parallel workers are new processes, each setting up PROJ for ST_Transform
        # (about 10 ms): a quarter of what a dense zoom-13 tile takes on one core. Below
        # zoom 12 a tile can hold tens of thousands of areas and workers do pay off.
        # The setting ends with the request's transaction.
        s.connection().exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
    # A Core statement: run on the connection it skips the ORM's compile step, which
    # takes longer than a small tile's query.
    data = s.connection().scalar(tile_statement(actor, layer, z, x, y, **filters))
    return bytes(data or b"")


def _reader(layer: str) -> Session:
    """The replica's session when it already holds every change to the layer that the
    primary has committed (its map version is no older), else the primary's: a tile is
    never older than the version the cache keys it by, and a user sees the area they
    just saved."""
    s = read_session()
    if not on_replica():
        return s
    replayed = s.connection().scalar(select(MapVersion.version).where(
        MapVersion.layer == layer)) or 0
    return s if replayed >= tile_cache.version(layer) else session()
