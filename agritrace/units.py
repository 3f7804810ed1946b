"""Administrative units (đơn vị hành chính) after the 2025 reform: 34 provinces and
their wards and communes, from the `vietnam-provinces` package."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from vietnam_provinces import Province, Ward


@dataclass(frozen=True)
class Unit:
    code: int
    name: str


@lru_cache(maxsize=1)
def provinces() -> tuple[Unit, ...]:
    return tuple(sorted((Unit(int(p.code), p.name) for p in Province.iter_all()),
                        key=lambda u: u.code))


@lru_cache(maxsize=1)
def _province_names() -> dict[int, str]:
    return {u.code: u.name for u in provinces()}


@lru_cache(maxsize=1)
def _ward_index() -> dict[int, tuple[str, int]]:
    return {int(w.code): (w.name, int(w.province_code)) for w in Ward.iter_all()}


@lru_cache(maxsize=64)
def wards(province_code: int) -> tuple[Unit, ...]:
    return tuple(sorted((Unit(code, name) for code, (name, prov) in _ward_index().items()
                         if prov == province_code), key=lambda u: u.name))


def province_name(code: int | None) -> str:
    return _province_names().get(code, "") if code is not None else ""


def ward_name(code: int | None) -> str:
    entry = _ward_index().get(code) if code is not None else None
    return entry[0] if entry else ""


def is_province(code: int) -> bool:
    return code in _province_names()


def ward_province(code: int) -> int | None:
    """The province a ward belongs to, or None when the ward code is unknown."""
    entry = _ward_index().get(code)
    return entry[1] if entry else None


def find_ward(province_code: int, name: str) -> Unit:
    """The ward of that exact name in the province (used by demo data and imports)."""
    for unit in wards(province_code):
        if unit.name == name:
            return unit
    raise KeyError(f"no ward {name!r} in province {province_code}")
