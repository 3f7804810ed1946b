"""Shapefiles, which are several files (.shp, .shx, .dbf, usually .prj and .cpg) and so
arrive zipped, at the top of the ZIP or in a folder. Every shapefile in the ZIP is read,
each as a layer with its own .prj; one without a .prj says nothing of its coordinate
system (the caller then decides from the numbers).

Problem codes raised here (params in parentheses, `filename` always):
- shapefile_not_zipped: "%(filename)s is only one part of a Shapefile. Put the .shp, .shx,
  .dbf and .prj files with the same name into one .zip and upload that."
- shapefile_incomplete (layer, missing): "The Shapefile %(layer)s in %(filename)s has no
  %(missing)s file. Zip the .shp, .shx, .dbf and .prj files together."
"""
from __future__ import annotations

import posixpath

from gis.archive import Archive
from gis.features import GisError, problem
from gis.readers.base import RawLayer, Reader, Upload
from gis.readers.ogr import read_all, workdir

SHP_MAGIC = b"\x00\x00\x27\x0a"  # file code 9994, big-endian, opening .shp and .shx
REQUIRED = (".shx", ".dbf")


def _stem(name: str) -> str:
    return posixpath.splitext(name)[0].lower()


def _shapefiles(archive: Archive) -> list[str]:
    return sorted(n for n in archive.names if n.lower().endswith(".shp"))


class ShapefileReader(Reader):
    name = "shapefile"
    label = "Shapefile"
    extensions = (".shp",)

    def sniff(self, head: bytes) -> bool:
        return head.startswith(SHP_MAGIC)  # a bare .shp or .shx: refused in `read`

    def find_in(self, archive: Archive) -> bool:
        return bool(_shapefiles(archive))

    def read(self, upload: Upload) -> list[RawLayer]:
        if upload.archive is None:
            raise GisError(problem(
                "shapefile_not_zipped", "%(filename)s is only one part of a Shapefile. Put the "
                ".shp, .shx, .dbf and .prj files with the same name into one .zip and upload "
                "that.", filename=upload.filename))
        archive = upload.archive
        shapefiles = _shapefiles(archive)
        parts = {shp: [n for n in archive.names if _stem(n) == _stem(shp)] for shp in shapefiles}
        for shp, names in parts.items():
            for extension in REQUIRED:
                if not any(n.lower().endswith(extension) for n in names):
                    raise GisError(problem(
                        "shapefile_incomplete", "The Shapefile %(layer)s in %(filename)s has no "
                        "%(missing)s file. Zip the .shp, .shx, .dbf and .prj files together.",
                        filename=upload.filename, layer=posixpath.basename(shp),
                        missing=extension))
        with workdir() as directory:
            paths = archive.extract([n for names in parts.values() for n in names], directory)

            def sources():
                return [(paths[shp], posixpath.splitext(posixpath.basename(shp))[0])
                        for shp in shapefiles]
            return read_all(self, upload, sources)


SHAPEFILE = ShapefileReader()
