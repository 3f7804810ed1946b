"""The forest maps of 31 December 2020 (bản đồ hiện trạng rừng) a province uploads for
the EUDR deforestation check: GeoTIFF forest masks, such as a tile of the JRC Global
Forest Cover 2020 map. The latest of a province is the one used."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from gis.features import GisError
from gis.forest import describe

from .. import permissions
from ..db import session, transaction
from ..errors import Invalid
from ..models import ForestMap, Role, User
from ..problems import describe as say
from . import audit


def upload_forest_map(actor: User | None, data: bytes, filename: str, *, source: str = "",
                      province_code: int | None = None) -> ForestMap:
    """Keep a forest map for the actor's province (an administrator names the province).
    Refuses a file that is not a one-band GeoTIFF with a CRS, naming the file."""
    user = permissions.require_role(permissions.require_write(actor), Role.OFFICIAL,
                                    Role.ADMIN)
    if user.role == Role.OFFICIAL:
        province_code = user.province_code
    elif province_code is None:
        raise Invalid(_("Name the province the forest map is for."),
                      {"province_code": [_("Required.")]})
    try:
        found = describe(data, filename)
    except GisError as exc:
        raise Invalid(" ".join(say(p) for p in exc.problems),
                      {"file": [say(p) for p in exc.problems]}) from exc
    with transaction() as s:
        west, south, east, north = found.bounds
        row = ForestMap(province_code=province_code, filename=filename, source=source,
                        crs=found.crs, west=west, south=south, east=east, north=north,
                        width=found.width, height=found.height, data=data,
                        uploaded_by=user.id)
        s.add(row)
        s.flush()
        audit.record(s, user, "forest_map", row.id, "upload", after={
            "province_code": province_code, "filename": filename, "crs": found.crs,
            "size": [found.width, found.height]})
    return row


def latest_map(s, province_code: int) -> ForestMap | None:
    return s.scalar(select(ForestMap).where(ForestMap.province_code == province_code)
                    .order_by(ForestMap.id.desc()).limit(1))


def list_maps(actor: User | None) -> list[ForestMap]:
    """The forest maps of the actor's province (an administrator: all), newest first."""
    user = permissions.require_role(permissions.require_login(actor), Role.OFFICIAL,
                                    Role.ADMIN)
    query = select(ForestMap).order_by(ForestMap.id.desc())
    if user.role == Role.OFFICIAL:
        query = query.where(ForestMap.province_code == user.province_code)
    return list(session().scalars(query))
