"""Exporting the growing areas a person may see: GeoJSON, KML, zipped Shapefile,
GeoPackage, CSV and the EUDR geolocation file."""
from __future__ import annotations

from geoalchemy2.shape import to_shape
from sqlalchemy import select

from gis.export import EXPORT_FORMATS, ExportArea, export_areas
from gis.features import GisError

from .. import units
from ..clock import now
from ..db import session
from ..errors import Invalid
from ..models import GrowingArea, User
from ..problems import describe
from . import areas as areas_service

MAX_EXPORT = 20_000


def export(actor: User | None, fmt: str, *, points_below_4ha: bool = False,
           **filters) -> tuple[bytes, str, str]:
    """The file's bytes, media type and a download name. Only rows the actor may
    read are included, whatever ids were asked for; `filters` as for
    `areas.visible`."""
    rows = session().scalars(select(GrowingArea).where(*areas_service.visible(actor, **filters))
                             .order_by(*areas_service.ORDER).limit(MAX_EXPORT))
    areas = [ExportArea(code=a.code, name=a.name, crop=a.crop, status=a.status.value,
                        organization=a.organization.name,
                        province=units.province_name(a.province_code) or "",
                        ward=units.ward_name(a.ward_code), area_ha=float(a.area_ha),
                        perimeter_m=float(a.perimeter_m), geometry=to_shape(a.geom),
                        issued_at=a.issued_at.date().isoformat() if a.issued_at else None)
             for a in rows]
    options = {"points_below_4ha": points_below_4ha} if fmt == "eudr" else {}
    try:
        data = export_areas(areas, fmt, **options)
    except GisError as exc:
        raise Invalid(" ".join(describe(p) for p in exc.problems)) from exc
    spec = EXPORT_FORMATS[fmt]
    name = f"growing-areas-{now():%Y%m%d-%H%M}{'-eudr' if fmt == 'eudr' else ''}.{spec.extension}"
    return data, spec.media_type, name
