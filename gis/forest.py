"""Forest cover of plots on a forest map of 31 December 2020, for the EU deforestation
regulation's (EUDR, Regulation (EU) 2023/1115) cut-off date.

The map is a GeoTIFF forest mask, as the JRC Global Forest Cover 2020 map is published:
one band, 1 where there was forest, 0 or "no data" where there was none. The forest
share of a plot is the area-weighted mean of the mask over the plot, with partly
covered cells counted by the fraction of them inside the plot (exactextract), so a
small plot across a few 10 m cells is measured as closely as a large one.

Plots come in WGS84 and are reprojected to the map's CRS first; exactextract does not
reproject. A map without a CRS, or one that does not cover every plot, is refused:
an unknown place or a silent "0 % forest" outside the map would make the verdict a
guess.

Problem codes raised (as GisError):

====================  ===================================================================
raster_unreadable     "%(filename)s is not a GeoTIFF we can read" (filename)
raster_no_crs         "%(filename)s has no coordinate reference system: export it again
                      with its CRS (for example EPSG:4326)" (filename)
raster_bands          "%(filename)s has %(bands)s bands; a forest map has one (1 =
                      forest)" (filename, bands)
raster_not_covering   "the forest map does not cover %(count)s plot(s): %(plots)s"
                      (count, plots: the plots' names, comma-separated)
====================  ===================================================================
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
import rasterio
import shapely
from exactextract import exact_extract
from pyproj import CRS, Transformer
from rasterio.errors import RasterioIOError
from rasterio.io import MemoryFile
from shapely.geometry.base import BaseGeometry

from .features import GisError, problem

WGS84 = CRS.from_epsg(4326)
# More names than this in one message help nobody; the count says the rest.
NAMES_SHOWN = 10


@dataclass(frozen=True)
class ForestMap:
    """What a forest map is, once read: its CRS (as WKT, or an "EPSG:n" id), its
    bounds in that CRS, size in cells and the cell size in the CRS's units."""
    crs: str
    bounds: tuple[float, float, float, float]
    width: int
    height: int
    cell_size: tuple[float, float]


@contextlib.contextmanager
def opened(data: bytes, filename: str = "forest.tif") -> Iterator[rasterio.DatasetReader]:
    """The GeoTIFF `data` open for reading, once it is one band with a CRS."""
    with MemoryFile(data) as memory:
        try:
            dataset = memory.open()
        except RasterioIOError as exc:
            raise GisError(problem("raster_unreadable", "%(filename)s is not a GeoTIFF we can "
                                   "read", filename=filename)) from exc
        with dataset:
            if dataset.crs is None:
                raise GisError(problem(
                    "raster_no_crs", "%(filename)s has no coordinate reference system: export "
                    "it again with its CRS (for example EPSG:4326)", filename=filename))
            if dataset.count != 1:
                raise GisError(problem("raster_bands", "%(filename)s has %(bands)s bands; a "
                                       "forest map has one (1 = forest)", filename=filename,
                                       bands=dataset.count))
            yield dataset


def describe(data: bytes, filename: str = "forest.tif") -> ForestMap:
    """Read `data`'s header: refuses what `opened` refuses."""
    with opened(data, filename) as dataset:
        epsg = dataset.crs.to_epsg()
        return ForestMap(crs=f"EPSG:{epsg}" if epsg else dataset.crs.to_wkt(),
                         bounds=tuple(dataset.bounds), width=dataset.width,
                         height=dataset.height, cell_size=tuple(abs(v) for v in dataset.res))


def forest_shares(dataset: rasterio.DatasetReader, plots: Sequence[BaseGeometry],
                  names: Sequence[str]) -> np.ndarray:
    """The forest share (0 … 1) of each of `plots` (WGS84 polygons or points; a point
    reads the one cell it falls in) on the open forest map `dataset`. Refuses with
    every plot (named by `names`) that the map does not cover."""
    crs = CRS.from_user_input(dataset.crs.to_wkt())
    local = _to_crs(plots, crs)
    _require_cover(dataset, local, names)
    shares = np.zeros(len(local), dtype=float)
    polygons = [i for i, g in enumerate(local) if g.area > 0]
    if polygons:
        features = [{"type": "Feature", "id": n, "properties": {"i": i},
                     "geometry": shapely.geometry.mapping(local[i])}
                    for n, i in enumerate(polygons)]
        found = exact_extract(dataset, features, ["mean(default_value=0)"],
                              include_cols=["i"], output="geojson")
        for row in found:
            value = row["properties"]["mean"]
            shares[row["properties"]["i"]] = 0.0 if value is None or math.isnan(value) \
                else min(max(float(value), 0.0), 1.0)
    for i, g in enumerate(local):
        if g.area == 0:
            shares[i] = _cell_value(dataset, g)
    return shares


def _to_crs(plots: Sequence[BaseGeometry], crs: CRS) -> list[BaseGeometry]:
    if crs.equals(WGS84):
        return list(plots)
    transformer = Transformer.from_crs(WGS84, crs, always_xy=True)
    return [shapely.transform(g, lambda xy: np.column_stack(
        transformer.transform(xy[:, 0], xy[:, 1]))) for g in plots]


def _require_cover(dataset, plots: list[BaseGeometry], names: Sequence[str]) -> None:
    """Every plot's bounding box inside the map's: nothing outside the map is read as
    "no forest"."""
    west, south, east, north = dataset.bounds
    bounds = shapely.bounds(np.array(plots, dtype=object))
    outside = ((bounds[:, 0] < west) | (bounds[:, 1] < south) | (bounds[:, 2] > east)
               | (bounds[:, 3] > north))
    missing = [names[i] for i in np.flatnonzero(outside)]
    if missing:
        shown = ", ".join(missing[:NAMES_SHOWN]) + ("…" if len(missing) > NAMES_SHOWN else "")
        raise GisError(problem("raster_not_covering", "the forest map does not cover "
                               "%(count)s plot(s): %(plots)s", count=len(missing), plots=shown))


def _cell_value(dataset, point: BaseGeometry) -> float:
    """The mask at a point: 1.0 in a forest cell, else 0.0 (no data is no forest)."""
    (value,) = next(dataset.sample([(point.x, point.y)], masked=True))
    return 0.0 if np.ma.is_masked(value) else float(value >= 1)
