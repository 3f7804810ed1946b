"""KML and KMZ as Google Earth writes them: every Placemark of every Folder (each
Folder is a layer to GDAL), its name kept as the property `name`.

A KMZ is a ZIP holding one KML (doc.kml by convention) and perhaps images; like Google
Earth we read doc.kml, else the first KML at the top, else the first KML anywhere.
"""
from __future__ import annotations

from gis.archive import Archive
from gis.readers.base import RawLayer, Reader, Upload, xml_root
from gis.readers.ogr import feature_layers, on_disk, read_all

# Fields GDAL's LIBKML driver adds to every Placemark for drawing it, not about the plot.
DRAWING = {"altitudeMode", "tessellate", "extrude", "visibility", "drawOrder", "icon",
           "snippet", "begin", "end", "timestamp"}


def _tidy(props: dict) -> dict:
    tidy = {}
    for key, value in props.items():
        if key in DRAWING or value is None:
            continue
        tidy["name" if key == "Name" else "description" if key == "Description" else key] = value
    return tidy


class KMLReader(Reader):
    name = "kml"
    label = "KML"
    extensions = (".kml",)

    def sniff(self, head: bytes) -> bool:
        return xml_root(head) == "kml"

    def read(self, upload: Upload) -> list[RawLayer]:
        return self.read_kml(upload, upload.data)

    def read_kml(self, upload: Upload, data: bytes) -> list[RawLayer]:
        with on_disk(data, ".kml") as path:
            layers = read_all(self, upload, lambda: feature_layers(path))
        for layer in layers:
            layer.rows = [(geom, _tidy(props)) for geom, props in layer.rows]
        return layers


def document(archive: Archive) -> str | None:
    kml = [n for n in archive.names if n.lower().endswith(".kml")]
    top = [n for n in kml if "/" not in n]
    for name in top:
        if name.lower() == "doc.kml":
            return name
    return (top or kml or [None])[0]


class KMZReader(KMLReader):
    name = "kmz"
    label = "KMZ"
    extensions = (".kmz",)

    def sniff(self, head: bytes) -> bool:
        return False  # a ZIP: recognised by its entries

    def find_in(self, archive: Archive) -> bool:
        return document(archive) is not None

    def read(self, upload: Upload) -> list[RawLayer]:
        return self.read_kml(upload, upload.archive.read(document(upload.archive)))


KML = KMLReader()
KMZ = KMZReader()
