"""OGC API – Features, Part 1: Core, at /ogc: the open data of the platform
(issued growing areas, active facilities) for GIS software such as QGIS and
GDAL, in GeoJSON and HTML.

`collections` says what is published, `query` loads the parameters, `features`
reads the database, `openapi` describes it all, `views` serves it.
"""
from .views import bp

__all__ = ["bp"]
