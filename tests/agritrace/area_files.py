"""Files of plots as officials and farmers bring them, built for the tests: KML as
Google Earth Pro saves it, zipped Shapefiles with and without .prj, and hostile
archives."""
from __future__ import annotations

import io
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pyogrio
import pyogrio.raw
import shapely
from pyproj import CRS, Transformer

KML_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2" \
xmlns:kml="http://www.opengis.net/kml/2.2" xmlns:atom="http://www.w3.org/2005/Atom">
<Document>
\t<name>Vùng trồng.kml</name>
\t<Style id="s_ylw-pushpin"><LineStyle><color>ff00ffff</color><width>2</width></LineStyle>\
<PolyStyle><color>4d00ff00</color></PolyStyle></Style>
\t<Folder>
\t\t<name>Vùng trồng</name>
\t\t<open>1</open>
"""
KML_TAIL = "\t</Folder>\n</Document>\n</kml>\n"


def kml(placemarks: list[tuple[str, object]]) -> bytes:
    """Placemarks (name, shapely Polygon or LineString) in Google Earth's layout:
    lon,lat,0 triples, tessellated, rings repeating their first vertex."""
    parts = [KML_HEAD]
    for name, geom in placemarks:
        parts.append(f"\t\t<Placemark>\n\t\t\t<name>{name}</name>\n"
                     "\t\t\t<styleUrl>#s_ylw-pushpin</styleUrl>\n")
        if geom.geom_type == "Polygon":
            coords = " ".join(f"{x:.9f},{y:.9f},0" for x, y in geom.exterior.coords)
            parts.append("\t\t\t<Polygon>\n\t\t\t\t<tessellate>1</tessellate>\n"
                         "\t\t\t\t<outerBoundaryIs>\n\t\t\t\t\t<LinearRing>\n"
                         f"\t\t\t\t\t\t<coordinates>\n\t\t\t\t\t\t\t{coords} \n"
                         "\t\t\t\t\t\t</coordinates>\n\t\t\t\t\t</LinearRing>\n"
                         "\t\t\t\t</outerBoundaryIs>\n\t\t\t</Polygon>\n")
        else:
            coords = " ".join(f"{x:.9f},{y:.9f},0" for x, y in geom.coords)
            parts.append("\t\t\t<LineString>\n\t\t\t\t<tessellate>1</tessellate>\n"
                         f"\t\t\t\t<coordinates>\n\t\t\t\t\t{coords} \n\t\t\t\t</coordinates>\n"
                         "\t\t\t</LineString>\n")
        parts.append("\t\t</Placemark>\n")
    parts.append(KML_TAIL)
    return "".join(parts).encode("utf-8")


def reproject(geoms, crs: str | CRS):
    """WGS84 shapes in another CRS (using the same transformation the reader uses
    backwards is not assumed: pyproj's own EPSG definitions)."""
    t = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    return [shapely.transform(g, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
            for g in geoms]


def shapefile_zip(geoms, names, *, crs: str | CRS | None, fields: dict | None = None) -> bytes:
    """A zipped Shapefile; crs=None writes no .prj."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lo_dat.shp"
        data = {"ten": np.array(names, dtype=object)}
        data.update({k: np.array(v, dtype=object) for k, v in (fields or {}).items()})
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "'crs' was not provided")  # on purpose
            pyogrio.raw.write(str(path), geometry=shapely.to_wkb(geoms),
                              geometry_type="Polygon", field_data=list(data.values()),
                              fields=list(data),
                              crs=CRS(crs).to_wkt("WKT1_ESRI") if crs else None,
                              encoding="UTF-8")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            for part in sorted(Path(tmp).iterdir()):
                if crs is None and part.suffix == ".prj":
                    continue
                z.write(part, part.name)
        return buffer.getvalue()


def zip_bomb(megabytes: int = 300) -> bytes:
    """A small zip declaring `megabytes` of zeros, streamed so the test stays fast."""
    buffer = io.BytesIO()
    chunk = bytes(1 << 20)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("plots.geojson", "w", force_zip64=True) as entry:
            for _ in range(megabytes):
                entry.write(chunk)
    return buffer.getvalue()


def zip_with(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in entries.items():
            z.writestr(zipfile.ZipInfo(name), data)
    return buffer.getvalue()
