"""GeoJSON: RFC 7946, and the 2008 form whose `crs` member names another coordinate
system (e.g. "urn:ogc:def:crs:EPSG::3405"), which GDAL honours and so do we.

Problem codes raised here (params in parentheses, `filename` always):
- geojson_invalid: "%(filename)s is JSON but not GeoJSON: it needs a "type" of
  FeatureCollection, Feature or a geometry."
"""
from __future__ import annotations

import json

from gis.features import GisError, problem
from gis.readers.base import RawLayer, Reader, Upload, text_start
from gis.readers.ogr import feature_layers, on_disk, read_all

TYPES = {"FeatureCollection", "Feature", "Point", "MultiPoint", "LineString",
         "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"}


class GeoJSONReader(Reader):
    name = "geojson"
    label = "GeoJSON"
    extensions = (".geojson", ".json")

    def sniff(self, head: bytes) -> bool:
        return text_start(head).startswith(b"{")

    def read(self, upload: Upload) -> list[RawLayer]:
        # Parsed here first: GDAL's message for a file cut short is no use to a person,
        # and JSON that is not GeoJSON deserves its own answer.
        try:
            document = json.loads(upload.data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            raise self.damaged(upload) from None
        if not isinstance(document, dict) or document.get("type") not in TYPES:
            raise GisError(problem(
                "geojson_invalid", '%(filename)s is JSON but not GeoJSON: it needs a "type" of '
                "FeatureCollection, Feature or a geometry.", filename=upload.filename))
        with on_disk(upload.data, ".geojson") as path:
            return read_all(self, upload, lambda: feature_layers(path))


GEOJSON = GeoJSONReader()
