"""Reading any GDAL vector source through pyogrio into plain layers: the part every
format shares.

Problem codes raised here (params in parentheses, `filename` always):
- too_many_features (count, limit): "%(filename)s has %(count)s features; at most
  %(limit)s can be imported at once. Split it into smaller files."
"""
from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pyogrio.raw
import shapely
from pyogrio.errors import DataLayerError, DataSourceError

from gis.features import GisError, problem
from gis.readers.base import RawLayer, Reader, Upload

OGR_ERRORS = (DataSourceError, DataLayerError)  # the second covers field, geometry, CRS
_INTEGER = ("OFTInteger", "OFTInteger64")


@contextmanager
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="gis-upload-") as name:
        yield Path(name)


# The stem of the file `on_disk` writes: drivers that name a layer after the file (KML
# without a Document, CSV) give this name, which says nothing to the person.
STEM = "gis-upload"


@contextmanager
def on_disk(data: bytes, suffix: str) -> Iterator[Path]:
    """`data` as a file with that suffix (GDAL picks drivers by it), removed afterwards."""
    with workdir() as directory:
        path = directory / f"{STEM}{suffix}"
        path.write_bytes(data)
        yield path


def plain(value: Any, ogr_type: str = "", subtype: str = "") -> Any:
    """A property value as a JSON-friendly Python value: numpy scalars unwrapped, NaN as
    None, nullable integers back to int, GDAL's JSON and boolean subtypes decoded."""
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        if ogr_type in _INTEGER and value.is_integer():
            value = int(value)
    if subtype == "OFSTBoolean" and value is not None:
        return bool(value)
    if subtype == "OFSTJSON" and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, bytes):
        return value.hex()
    return value


def count_features(path: Path, layer: str, **options: str) -> int:
    return pyogrio.read_info(path, layer=layer, force_feature_count=True, **options)["features"]


def check_count(upload: Upload, count: int) -> None:
    limit = upload.limits.max_features
    if count > limit:
        raise GisError(problem(
            "too_many_features", "%(filename)s has %(count)s features; at most %(limit)s can be "
            "imported at once. Split it into smaller files.",
            filename=upload.filename, count=count, limit=limit))


def read_layer(path: Path, layer: str, **options: str) -> RawLayer:
    """Every feature of one layer, geometry as Shapely (or None), properties plain."""
    # GDAL skips values it cannot read (e.g. bad WKT in a CSV) with a RuntimeWarning;
    # readers that care compare the result with the source instead.
    meta, fids, wkb, columns = pyogrio.raw.read(path, layer=layer, datetime_as_string=True,
                                                return_fids=True, **options)
    geoms = shapely.from_wkb(wkb) if wkb is not None else [None] * len(fids)
    kinds = list(zip(meta["fields"], meta["ogr_types"], meta["ogr_subtypes"], strict=True))
    rows = []
    for i, geom in enumerate(geoms):
        props = {name: plain(column[i], kind, sub)
                 for (name, kind, sub), column in zip(kinds, columns, strict=True)}
        rows.append((geom, props))
    return RawLayer(name=None if layer == STEM else layer, crs=meta["crs"], rows=rows,
                    fields=[str(name) for name in meta["fields"]])


def feature_layers(path: Path) -> list[tuple[Path, str]]:
    """The layers of `path` that hold geometries (GeoPackage attribute tables do not)."""
    return [(path, str(name)) for name, kind in pyogrio.list_layers(path) if kind is not None]


def read_all(reader: Reader, upload: Upload, sources: Callable[[], Iterable[tuple[Path, str]]],
             **options: str) -> list[RawLayer]:
    """Every feature of the (path, layer) pairs `sources()` lists, refused as a whole when
    together they hold more features than the upload may. GDAL's errors, including those
    listing the layers, mean the file is damaged."""
    try:
        pairs = list(sources())
        check_count(upload, sum(count_features(path, name, **options) for path, name in pairs))
        return [read_layer(path, name, **options) for path, name in pairs]
    except OGR_ERRORS:
        raise reader.damaged(upload) from None
