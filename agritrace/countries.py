"""Countries by ISO 3166-1 alpha-2 code (mã quốc gia), named in Vietnamese and English
from Babel's CLDR data: the destination markets of export lots."""
from __future__ import annotations

from functools import lru_cache

from babel import Locale

# CLDR names these two-letter regions too, but ISO 3166-1 assigns them to no country.
_NOT_COUNTRIES = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN",
                            "XA", "XB", "XK", "ZZ"})


@lru_cache(maxsize=4)
def _names(locale: str) -> dict[str, str]:
    return {code: name for code, name in Locale.parse(locale).territories.items()
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES}


def is_country(code: str) -> bool:
    return code in _names("en")


def country_name(code: str, locale: str = "vi") -> str:
    """The country's name in `locale` ("vi" or "en"), or the code itself when unknown."""
    return _names(str(locale)).get(code, code)


@lru_cache(maxsize=4)
def countries(locale: str = "vi") -> tuple[tuple[str, str], ...]:
    """(code, name) of every country, in the order of their names in `locale`."""
    return tuple(sorted(_names(str(locale)).items(), key=lambda item: item[1].casefold()))
