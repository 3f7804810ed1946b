"""Growing areas out of the platform, in the formats people open them with: GeoJSON
(web maps, QGIS), KML (Google Earth), zipped Shapefile and GeoPackage (desktop GIS),
CSV with WKT (spreadsheets), and the EU deforestation regulation's GeoJSON (see
gis.eudr). Everything is WGS84 longitude/latitude.

The files are built whole in memory or in a temporary directory and returned as
bytes: an export is at most a province's areas, so its size is bounded.

Problem codes raised (as GisError): export_format_unknown "unknown export format
%(format)s" (format), and those of gis.eudr.
"""
from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterable
from xml.sax.saxutils import escape

import numpy as np
import pyogrio.raw
import shapely
from shapely.geometry import MultiPolygon, Polygon

from .eudr import eudr_geojson
from .features import GisError, problem
from .geometry import oriented

DECIMALS = 7   # about 1 cm: more than any survey of a plot can claim


@dataclass(frozen=True)
class ExportArea:
    """One growing area as exported. `area_ha` in hectares and `perimeter_m` in
    metres (geodesic, as stored); `geometry` in WGS84; `issued_at` an ISO date."""
    code: str | None
    name: str
    crop: str
    status: str
    organization: str
    province: str
    ward: str | None
    area_ha: float
    perimeter_m: float
    geometry: MultiPolygon
    issued_at: str | None = None

    def properties(self) -> dict[str, Any]:
        """The attributes every format carries, under their snake_case names."""
        return {"code": self.code, "name": self.name, "crop": self.crop, "status": self.status,
                "organization": self.organization, "province": self.province, "ward": self.ward,
                "area_ha": round(float(self.area_ha), 4),
                "perimeter_m": round(float(self.perimeter_m), 2), "issued_at": self.issued_at}


@dataclass(frozen=True)
class ExportFormat:
    key: str
    label: str
    media_type: str
    extension: str


EXPORT_FORMATS: dict[str, ExportFormat] = {f.key: f for f in (
    ExportFormat("geojson", "GeoJSON", "application/geo+json", "geojson"),
    ExportFormat("kml", "KML (Google Earth)", "application/vnd.google-earth.kml+xml", "kml"),
    ExportFormat("shapefile", "Shapefile (zip)", "application/zip", "zip"),
    ExportFormat("geopackage", "GeoPackage", "application/geopackage+sqlite3", "gpkg"),
    ExportFormat("csv", "CSV (WKT)", "text/csv; charset=utf-8", "csv"),
    ExportFormat("eudr", "EUDR geolocation (GeoJSON)", "application/geo+json", "geojson"),
)}

# The attributes in file order, each with its Shapefile name: dBASE field names
# hold at most 10 characters.
FIELDS = {"code": "code", "name": "name", "crop": "crop", "status": "status",
                    "organization": "org", "province": "province", "ward": "ward",
                    "area_ha": "area_ha", "perimeter_m": "perim_m", "issued_at": "issued"}
_DBF_TEXT_BYTES = 254


def export_areas(areas: Iterable[ExportArea], fmt: str, *, layer_name: str = "growing_areas",
                 points_below_4ha: bool = False) -> bytes:
    """The file for `areas` in format `fmt` (a key of EXPORT_FORMATS), as bytes.
    `layer_name` names the layer (and the files inside the Shapefile zip);
    `points_below_4ha` applies to the EUDR format only (see gis.eudr)."""
    if fmt not in EXPORT_FORMATS:
        raise GisError(problem("export_format_unknown", "unknown export format %(format)s",
                               format=fmt))
    areas = list(areas)
    if fmt == "eudr":
        return eudr_geojson(areas, points_below_4ha=points_below_4ha)
    writer = {"geojson": _geojson, "kml": _kml, "shapefile": _shapefile,
              "geopackage": _geopackage, "csv": _csv}[fmt]
    return writer(areas, _layer(layer_name))


def _layer(name: str) -> str:
    """`name` as a plain ASCII identifier ("Vùng trồng" -> "Vung_trong"): it also
    names the files in the Shapefile zip, which old tools read in a legacy code page."""
    plain = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[^A-Za-z0-9_-]+", "_", plain).strip("_") or "growing_areas"


def geojson_geometry(geom: Polygon | MultiPolygon, decimals: int = DECIMALS) -> dict[str, Any]:
    """A polygonal geometry as an RFC 7946 geometry object, coordinates rounded."""
    polygons = [geom] if isinstance(geom, Polygon) else list(geom.geoms)
    coordinates = [[np.round(shapely.get_coordinates(ring), decimals).tolist()
                    for ring in (p.exterior, *p.interiors)] for p in polygons]
    if isinstance(geom, Polygon):
        return {"type": "Polygon", "coordinates": coordinates[0]}
    return {"type": "MultiPolygon", "coordinates": coordinates}


def _rfc7946(geom: MultiPolygon) -> MultiPolygon:
    return oriented(geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom]))[0]


def _geojson(areas: list[ExportArea], layer: str) -> bytes:
    features = [{"type": "Feature", "properties": a.properties(),
                 "geometry": geojson_geometry(_rfc7946(a.geometry))} for a in areas]
    collection = {"type": "FeatureCollection", "name": layer, "features": features}
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _kml(areas: list[ExportArea], layer: str) -> bytes:
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>',
           f"<name>{escape(layer)}</name>",
           '<Style id="area"><LineStyle><color>ff0055ff</color><width>2</width></LineStyle>'
           "<PolyStyle><color>400055ff</color></PolyStyle></Style>"]
    for a in areas:
        # KML's own <name> holds the label shown on the map; readers treat it and a
        # data field "name" as the same field, so the area's name goes as area_name.
        props = {("area_name" if k == "name" else k): v for k, v in a.properties().items()}
        data = "".join(f'<Data name="{key}"><value>{escape(str(value))}</value></Data>'
                       for key, value in props.items() if value is not None)
        out.append(f"<Placemark><name>{escape(a.code or a.name)}</name><styleUrl>#area</styleUrl>"
                   f"<ExtendedData>{data}</ExtendedData>{_kml_geometry(a.geometry)}</Placemark>")
    out.append("</Document></kml>")
    return "\n".join(out).encode("utf-8")


def _kml_geometry(geom: MultiPolygon) -> str:
    def ring(r) -> str:
        xy = np.round(shapely.get_coordinates(r), DECIMALS)
        return ("<LinearRing><coordinates>" + " ".join(f"{x:.{DECIMALS}f},{y:.{DECIMALS}f}"
                                                         for x, y in xy)
                + "</coordinates></LinearRing>")

    polygons = "".join(
        "<Polygon><outerBoundaryIs>" + ring(p.exterior) + "</outerBoundaryIs>"
        + "".join(f"<innerBoundaryIs>{ring(h)}</innerBoundaryIs>" for h in p.interiors)
        + "</Polygon>" for p in _rfc7946(geom).geoms)
    return f"<MultiGeometry>{polygons}</MultiGeometry>"


def _columns(areas: list[ExportArea], shapefile: bool) -> tuple[list[str], list[np.ndarray]]:
    """Field names and one array per field, for pyogrio."""
    names = list(FIELDS.values()) if shapefile else list(FIELDS)
    rows = [a.properties() for a in areas]
    arrays = []
    for key in FIELDS:
        values = [r[key] for r in rows]
        if key in ("area_ha", "perimeter_m"):
            arrays.append(np.array(values, dtype=float))
        elif key == "issued_at":
            arrays.append(np.array([_date(v) for v in values], dtype="datetime64[D]"))
        else:
            arrays.append(np.array([_dbf_text(v) if shapefile else v for v in values],
                                   dtype=object))
    return names, arrays


def _date(value: str | None) -> np.datetime64:
    return np.datetime64(date.fromisoformat(value[:10])) if value else np.datetime64("NaT")


def _dbf_text(value: str | None) -> str | None:
    # A dBASE text field holds 254 bytes: cut on a character boundary, not in the
    # middle of a Vietnamese letter's UTF-8 bytes.
    if value is None:
        return None
    return value.encode("utf-8")[:_DBF_TEXT_BYTES].decode("utf-8", errors="ignore")


def _write_ogr(path: Path, areas: list[ExportArea], layer: str, driver: str,
               shapefile: bool = False) -> None:
    names, arrays = _columns(areas, shapefile)
    geometry = np.array([shapely.to_wkb(_rfc7946(a.geometry)) for a in areas], dtype=object)
    pyogrio.raw.write(str(path), geometry, arrays, names, layer=layer, driver=driver,
                      geometry_type="MultiPolygon", crs="EPSG:4326",
                      encoding="UTF-8" if shapefile else None)


def _shapefile(areas: list[ExportArea], layer: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        _write_ogr(Path(tmp) / f"{layer}.shp", areas, layer, "ESRI Shapefile", shapefile=True)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for part in sorted(Path(tmp).iterdir()):
                zf.write(part, part.name)
        return buffer.getvalue()


def _geopackage(areas: list[ExportArea], layer: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{layer}.gpkg"
        _write_ogr(path, areas, layer, "GPKG")
        return path.read_bytes()


def _csv(areas: list[ExportArea], layer: str) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    keys = list(FIELDS)
    writer.writerow([*keys, "WKT"])
    for a in areas:
        props = a.properties()
        wkt = shapely.to_wkt(_rfc7946(a.geometry), rounding_precision=DECIMALS, trim=True)
        writer.writerow([*("" if props[k] is None else props[k] for k in keys), wkt])
    # Excel reads a CSV without a byte-order mark in the PC's legacy code page, which
    # garbles Vietnamese letters; the UTF-8 BOM makes it read UTF-8. GDAL and
    # Python's "utf-8-sig" skip it.
    return text.getvalue().encode("utf-8-sig")
