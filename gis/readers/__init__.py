"""Reading an uploaded file into features in WGS84, whatever format it came in.

The format is decided by the content first (ZIP entries, SQLite header, XML root
element, JSON) and by the file name's extension only for formats with no signature
(CSV), so a mislabelled file is read as what it is or refused saying what it is.
Adding a format is adding a module with a `Reader` and listing it in READERS.

Problem codes raised here (params in parentheses, `filename` always):
- file_empty: "%(filename)s is empty."
- format_unknown (extension): "%(filename)s is not a map file we can read. We accept ..."
- format_mismatch (claimed, found): "%(filename)s is named as %(claimed)s but holds
  %(found)s. We accept ..."
- archive_no_data: "%(filename)s holds no file we can read. Inside a ZIP we accept a
  Shapefile (.shp with its .shx and .dbf), a KML (.kml) or a GeoPackage (.gpkg)."
- no_features: "%(filename)s contains no features."
where "We accept ..." is ACCEPTED below. Coordinate system problems: see
`gis.readers.placement`; format-specific ones: each reader's module.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, replace

from gis.archive import Archive, is_zip
from gis.features import Feature, GisError, problem
from gis.readers.base import Limits, RawLayer, Reader, Upload, describe, is_text
from gis.readers.csv import CSV
from gis.readers.geojson import GEOJSON
from gis.readers.geopackage import GEOPACKAGE
from gis.readers.gpx import GPX
from gis.readers.kml import KML, KMZ
from gis.readers.placement import place
from gis.readers.shapefile import SHAPEFILE

__all__ = ["FORMATS", "Layer", "READERS", "read_upload"]

# Sniffing order: the first reader that recognises the content (or a ZIP's entries) wins.
READERS: tuple[Reader, ...] = (SHAPEFILE, KMZ, GEOPACKAGE, KML, GPX, GEOJSON, CSV)
FORMATS: dict[str, Reader] = {reader.name: reader for reader in READERS}

ACCEPTED = ("We accept GeoJSON, KML, KMZ, GPX, GeoPackage, CSV with a WKT column, and a "
            "Shapefile zipped with its .shx, .dbf and .prj files.")
HEAD = 4096


@dataclass(frozen=True)
class Layer:
    """What an upload holds: its features in WGS84 (Z/M as read), the format it was read
    as (a FORMATS key), the CRS id its coordinates were in (see `gis.crs.resolve`), and
    the name of its layer when there was exactly one layer with features."""
    features: list[Feature]
    format: str
    source_crs: str
    layer_name: str | None


def _extension(filename: str) -> str:
    return posixpath.splitext(filename.replace("\\", "/"))[1].lower()


def _choose(upload: Upload) -> tuple[Reader, Upload]:
    data, filename = upload.data, upload.filename
    if is_zip(data):
        archive = Archive(data, filename,
                          max_uncompressed_bytes=upload.limits.max_uncompressed_bytes)
        for reader in READERS:
            if reader.find_in(archive):
                return reader, replace(upload, archive=archive)
        raise GisError(problem(
            "archive_no_data", "%(filename)s holds no file we can read. Inside a ZIP we accept a "
            "Shapefile (.shp with its .shx and .dbf), a KML (.kml) or a GeoPackage (.gpkg).",
            filename=filename))
    head, extension = data[:HEAD], _extension(filename)
    for reader in READERS:
        if reader.sniff(head):
            return reader, upload
    for reader in READERS:
        if reader.by_extension_only and extension in reader.extensions and is_text(head):
            return reader, upload
    claimed = "ZIP" if extension == ".zip" else next(
        (r.label for r in READERS if extension in r.extensions), None)
    if claimed is not None:
        raise GisError(problem(
            "format_mismatch", "%(filename)s is named as %(claimed)s but holds %(found)s. "
            + ACCEPTED, filename=filename, claimed=claimed, found=describe(head)))
    raise GisError(problem("format_unknown", "%(filename)s is not a map file we can read. "
                           + ACCEPTED, filename=filename, extension=extension))


def read_upload(data: bytes, filename: str, *, crs: str | None = None,
                max_features: int = 20_000, max_uncompressed_bytes: int = 200 * 2**20) -> Layer:
    """Every feature of an uploaded file, in WGS84. `crs` (a `gis.crs` choice id or any
    "EPSG:nnnn") overrides or supplies the file's coordinate system. Geometry types are
    not judged here, and a feature without geometry keeps None. Raises GisError with
    file-level Problems (and per-feature ones where a format can tell, e.g. GPX tracks
    that are not closed) for anything unusable."""
    if not data or data.isspace():
        raise GisError(problem("file_empty", "%(filename)s is empty.", filename=filename))
    upload = Upload(data, filename, Limits(max_features, max_uncompressed_bytes))
    reader, upload = _choose(upload)
    layers: list[RawLayer] = reader.read(upload)
    if not any(layer.rows for layer in layers):
        raise GisError(problem("no_features", "%(filename)s contains no features.",
                               filename=filename))
    source_crs, geometries = place(layers, crs, filename)
    features = []
    rows = [row for layer in layers for row in layer.rows]
    for (_, props), geometry in zip(rows, geometries, strict=True):
        features.append(Feature(len(features) + 1, geometry, props))
    named = [layer.name for layer in layers if layer.rows]
    return Layer(features=features, format=reader.name, source_crs=source_crs,
                 layer_name=named[0] if len(named) == 1 else None)
