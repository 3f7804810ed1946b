"""Vector tiles (MVT) of the platform's layers: `/tiles/<layer>/<z>/<x>/<y>.pbf`."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("tiles", __name__)
