"""GeoPackage: every layer holding geometries, each in its own coordinate system.
Accepted bare or as the one .gpkg inside a ZIP."""
from __future__ import annotations

from gis.archive import Archive
from gis.readers.base import RawLayer, Reader, Upload
from gis.readers.ogr import feature_layers, on_disk, read_all

SQLITE_MAGIC = b"SQLite format 3\x00"


def _member(archive: Archive) -> str | None:
    return next((n for n in archive.names if n.lower().endswith(".gpkg")), None)


class GeoPackageReader(Reader):
    name = "geopackage"
    label = "GeoPackage"
    extensions = (".gpkg",)

    def sniff(self, head: bytes) -> bool:
        # Any SQLite file: one that is no GeoPackage is then reported as unreadable as one.
        return head.startswith(SQLITE_MAGIC)

    def find_in(self, archive: Archive) -> bool:
        return _member(archive) is not None

    def read(self, upload: Upload) -> list[RawLayer]:
        data = upload.archive.read(_member(upload.archive)) if upload.archive else upload.data
        with on_disk(data, ".gpkg") as path:
            return read_all(self, upload, lambda: feature_layers(path))


GEOPACKAGE = GeoPackageReader()
