"""CSV with the shapes as WKT in a column named wkt, geometry or geom (any case), or
points as lon/lat columns; every other column becomes a property, as text (numbers are
not guessed, so codes like "007" keep their zeros). GDAL finds the separator (, ; tab |).

Problem codes raised here (params in parentheses, `filename` always unless per feature):
- csv_no_geometry_column: "%(filename)s has no geometry column. Put the shapes as WKT in a
  column named "wkt" (or "geometry" or "geom"), or points in "lon" and "lat" columns."
- csv_wkt_invalid (per feature, i.e. data row; column, value): "The %(column)s value is not
  valid WKT: %(value)s"
"""
from __future__ import annotations

import re

from gis.features import Feature, GisError, problem
from gis.readers.base import RawLayer, Reader, Upload, is_text, text_start
from gis.readers.ogr import STEM, on_disk, read_all

WKT_NAMES = ("wkt", "geometry", "geom")
LON_NAMES = ("lon", "lng", "long", "longitude", "kinh_do")
LAT_NAMES = ("lat", "latitude", "vi_do")
OPTIONS = {"GEOM_POSSIBLE_NAMES": ",".join(WKT_NAMES), "X_POSSIBLE_NAMES": ",".join(LON_NAMES),
           "Y_POSSIBLE_NAMES": ",".join(LAT_NAMES), "KEEP_GEOM_COLUMNS": "YES",
           "EMPTY_STRING_AS_NULL": "YES"}


def _columns(line: str) -> set[str]:
    return {c.strip().strip('"').strip().lower() for c in re.split(r"[,;\t|]", line)}


def _has_geometry(columns: set[str]) -> bool:
    points = columns & set(LON_NAMES) and columns & set(LAT_NAMES)
    return bool(columns & set(WKT_NAMES) or points)


class CSVReader(Reader):
    name = "csv"
    label = "CSV"
    extensions = (".csv", ".txt")
    by_extension_only = True

    def sniff(self, head: bytes) -> bool:
        if not is_text(head):
            return False
        first = text_start(head).split(b"\n", 1)[0].decode("utf-8", "replace")
        return _has_geometry(_columns(first))

    def read(self, upload: Upload) -> list[RawLayer]:
        with on_disk(upload.data, ".csv") as path:
            [layer] = read_all(self, upload, lambda: [(path, STEM)], **OPTIONS)
        names = layer.fields
        if not _has_geometry({n.lower() for n in names}):
            raise GisError(problem(
                "csv_no_geometry_column", '%(filename)s has no geometry column. Put the shapes as '
                'WKT in a column named "wkt" (or "geometry" or "geom"), or points in "lon" and '
                '"lat" columns.', filename=upload.filename))
        wkt = next((n for n in names if n.lower() in WKT_NAMES), None)
        problems, rows = [], []
        for index, (geom, props) in enumerate(layer.rows, start=1):
            text = props.pop(wkt, None) if wkt else None
            if geom is None and text and text.strip():
                problems.append(problem("csv_wkt_invalid", "The %(column)s value is not valid "
                                        "WKT: %(value)s", Feature(index, None, props),
                                        column=wkt, value=text.strip()[:80]))
            rows.append((geom, props))
        if problems:
            raise GisError(problems)
        layer.rows = rows
        return [layer]


CSV = CSVReader()
