"""The maps: the officials' WebGIS at `/gis/map` and the public open map at `/map`."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("webgis", __name__)
