"""The public code registry (danh sách mã số công khai): every growing-area and
packing-house code that was issued, with its owner, place, crop, area, centroid,
export markets and status; for anyone, as a page and as CSV or XLSX.

The columns follow the lists of codes the Plant Protection Department (Cục Bảo vệ
thực vật) announces for each market — code, name of the area or packing house, owner,
commune and province, crop, area in hectares, households — with the province letters
the code was issued under, its centroid, its markets and today's status added.
Suspended and revoked codes stay listed: whoever checks a code must see that.

The CSV is written by PostgreSQL (`COPY … TO STDOUT`) and passed on as it arrives; the
XLSX reads through a server-side cursor, a few thousand rows at a time: memory stays
flat whatever the number of codes.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import text

from .. import units
from ..db import session

COLUMNS = ("code", "issued_province", "kind", "scope", "name", "owner", "ward", "province",
           "crop", "area_ha", "households", "latitude", "longitude", "markets", "status",
           "issued_on", "valid_until")
PAGE_SIZE = 50
FETCH_ROWS = 5000
KINDS = ("growing_area", "packing_house")
AREA_STATUSES = ("issued", "suspended", "revoked")
FACILITY_STATUSES = ("active", "suspended", "closed")

# Each code's markets as "CN approved, US suspended", one correlated look-up on the
# (code, market) unique index.
_MARKETS = ("(SELECT string_agg(m.market || ' ' || m.state, ', ' ORDER BY m.market) "
            "FROM code_markets m WHERE m.{key} = {row}.id)")

REGISTRY = f"""
SELECT 'growing_area' AS kind, a.code, a.issued_province, a.code_scope AS scope, a.name,
       o.name AS owner, a.ward_code, a.province_code, a.crop, a.area_ha, a.households,
       round(ST_Y(c.centre)::numeric, 6) AS latitude,
       round(ST_X(c.centre)::numeric, 6) AS longitude,
       {_MARKETS.format(key="area_id", row="a")} AS markets, a.status,
       (a.issued_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS issued_on, a.valid_until
FROM growing_areas a JOIN organizations o ON o.id = a.organization_id
CROSS JOIN LATERAL (SELECT ST_PointOnSurface(a.geom) AS centre) c
WHERE a.code IS NOT NULL AND a.status IN {AREA_STATUSES}
UNION ALL
SELECT 'packing_house', f.code, f.issued_province, f.code_scope, f.name, o.name,
       f.ward_code, f.province_code, NULL, NULL, NULL,
       round(ST_Y(f.geom)::numeric, 6), round(ST_X(f.geom)::numeric, 6),
       {_MARKETS.format(key="facility_id", row="f")}, f.status, NULL, NULL
FROM facilities f JOIN organizations o ON o.id = f.organization_id
WHERE f.code IS NOT NULL AND f.kind = 'packing_house' AND f.status IN {FACILITY_STATUSES}
"""



@dataclass(frozen=True)
class Filters:
    """What the registry is narrowed to; every field optional."""
    province_code: int | None = None
    kind: str | None = None
    status: str | None = None
    crop: str | None = None
    q: str | None = None          # a code's beginning, or part of a name or owner

    def sql(self, bind: str = ":{}") -> tuple[str, dict]:
        """The WHERE clause over the registry `r` and its parameters; `bind` is how a
        parameter is written (":{}" for SQLAlchemy, "%({})s" for psycopg's COPY)."""
        where, params = [], {}
        for name in ("province_code", "kind", "status", "crop"):
            if getattr(self, name) not in (None, ""):
                where.append(f"r.{name} = {bind.format(name)}")
                params[name] = getattr(self, name)
        if self.q:
            where.append(f"(r.code ILIKE {bind.format('prefix')} OR r.name ILIKE "
                         f"{bind.format('part')} OR r.owner ILIKE {bind.format('part')})")
            params["prefix"] = _like(self.q) + "%"
            params["part"] = "%" + _like(self.q) + "%"
        return (" WHERE " + " AND ".join(where)) if where else "", params


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")


def _select(filters: Filters, tail: str = "") -> tuple[str, dict]:
    where, params = filters.sql()
    return f"SELECT * FROM ({REGISTRY}) r{where} ORDER BY r.code{tail}", params


def _row(r) -> tuple:
    """A registry row as the columns give it: places by today's names."""
    return (r.code, r.issued_province, r.kind, r.scope, r.name, r.owner,
            units.ward_name(r.ward_code), units.province_name(r.province_code), r.crop,
            r.area_ha, r.households, r.latitude, r.longitude, r.markets or "", r.status,
            r.issued_on, r.valid_until)


def page(filters: Filters, number: int = 1) -> tuple[list[tuple], int]:
    """One page of the registry (PAGE_SIZE rows) and the number of codes in all."""
    s = session()
    sql, params = _select(filters, " LIMIT :limit OFFSET :offset")
    rows = s.execute(text(sql), {**params, "limit": PAGE_SIZE,
                                 "offset": (max(number, 1) - 1) * PAGE_SIZE})
    where, count_params = filters.sql()
    total = s.scalar(text(f"SELECT count(*) FROM ({REGISTRY}) r{where}"), count_params)
    return [_row(r) for r in rows], total


def rows(filters: Filters) -> Iterator[tuple]:
    """Every code of the registry, read through a server-side cursor (for the XLSX)."""
    sql, params = _select(filters)
    result = session().execute(
        text(sql).execution_options(stream_results=True, yield_per=FETCH_ROWS), params)
    for r in result:
        yield _row(r)


# A leading =, +, - or @ is a formula to a spreadsheet program: text that producers
# typed gets an apostrophe in front (CSV injection).
_SAFE = "CASE WHEN r.{0} ~ '^[-=+@]' THEN chr(39) || r.{0} ELSE r.{0} END AS {0}"
COPY = f"""COPY (
WITH wards AS (SELECT * FROM unnest(%(ward_codes)s::int[], %(ward_names)s::text[]) w(code, name)),
     provinces AS (SELECT * FROM unnest(%(province_codes)s::int[], %(province_names)s::text[])
                   p(code, name))
SELECT r.code, r.issued_province, r.kind, r.scope, {_SAFE.format("name")},
       {_SAFE.format("owner")}, w.name AS ward, p.name AS province, {_SAFE.format("crop")},
       r.area_ha, r.households, r.latitude, r.longitude, coalesce(r.markets, '') AS markets,
       r.status, r.issued_on, r.valid_until
FROM ({REGISTRY}) r LEFT JOIN wards w ON w.code = r.ward_code
LEFT JOIN provinces p ON p.code = r.province_code{{where}} ORDER BY r.code
) TO STDOUT WITH (FORMAT csv, HEADER)"""
CHUNK_BYTES = 256 * 1024


@lru_cache(maxsize=1)
def _unit_names() -> dict:
    """Today's names of the provinces and wards, as the arrays the COPY joins to."""
    provinces = units.provinces()
    wards = [w for p in provinces for w in units.wards(p.code)]
    return {"province_codes": [p.code for p in provinces],
            "province_names": [p.name for p in provinces],
            "ward_codes": [w.code for w in wards], "ward_names": [w.name for w in wards]}


def csv_chunks(filters: Filters) -> Iterator[bytes]:
    """The registry as CSV (UTF-8 with a BOM, the header first), written by PostgreSQL
    and passed on in pieces of about CHUNK_BYTES as `COPY … TO STDOUT` sends it."""
    where, params = filters.sql("%({})s")
    raw = session().connection().connection.driver_connection
    buffer = bytearray("\ufeff".encode())
    with raw.cursor().copy(COPY.format(where=where), {**params, **_unit_names()}) as copy:
        for data in copy:
            buffer += data
            if len(buffer) >= CHUNK_BYTES:
                yield bytes(buffer)
                buffer.clear()
    yield bytes(buffer)


def crops() -> list[str]:
    """The crops of issued codes, for the page's filter."""
    return list(session().scalars(text(
        "SELECT DISTINCT crop FROM growing_areas WHERE code IS NOT NULL "
        f"AND status IN {AREA_STATUSES} ORDER BY crop")))
