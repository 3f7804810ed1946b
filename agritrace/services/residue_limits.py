"""The maximum residue limits table (giới hạn dư lượng tối đa, MRL) a province uploads as
CSV, and the markets' rules that export lots need a recent passing residue test.

The CSV has the columns market, crop, ingredient, mrl, unit and source (lines starting
with # are comments); agritrace/seed/residue_limits_sample.csv is a real sample. Units
are checked: limits are kept in mg/kg, and ppm is the same number; any other unit, an
active ingredient we do not know, or a market that is not a country code (or EU) is
refused with its row and column, and nothing of the file is written."""
from __future__ import annotations

import csv
import io
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from .. import permissions
from ..countries import is_country
from ..db import session, transaction
from ..errors import Invalid
from ..models import ResidueLimit, ResidueRule, Role, User
from . import audit

PLATFORM = 0                       # the platform's own table, under every province's
COLUMNS = ("market", "crop", "ingredient", "mrl", "unit", "source")
UNITS = {"mg/kg": Decimal(1), "ppm": Decimal(1)}   # both are milligrams per kilogram
MAX_ROWS = 20_000
MAX_MRL = Decimal("99999999")
# The member states of the European Union: an EU limit or rule covers a lot to any.
EU_MEMBERS = frozenset("AT BE BG HR CY CZ DK EE FI FR DE GR IE IT LV LT LU MT NL PL PT RO SK "
                       "SI ES SE HU".split())


@lru_cache(maxsize=1)
def known_ingredients() -> frozenset[str]:
    text = resources.files("agritrace.seed").joinpath("active_ingredients.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def normal(name: str) -> str:
    """Crop and ingredient names as the table keeps them: trimmed, single-spaced, lower."""
    return re.sub(r"\s+", " ", name or "").strip().lower()


def markets_covering(market: str) -> tuple[str, ...]:
    """The table's markets whose limits apply to a lot for `market`: its own, and the
    EU's for a member state."""
    return (market, "EU") if market in EU_MEMBERS else (market,)


def _official(actor: User | None) -> User:
    user = permissions.require_write(actor)
    return permissions.require_role(user, Role.OFFICIAL, Role.ADMIN)


def _province(user: User) -> int:
    """An official's province; an administrator keeps the platform's table."""
    return user.province_code if user.role == Role.OFFICIAL else PLATFORM


def upload_limits(actor: User | None, data: bytes, filename: str = "limits.csv") -> int:
    """Load a CSV of limits into the actor's province's table (an administrator: the
    platform's), replacing the rows it names; returns how many rows it held."""
    user = _official(actor)
    rows = parse_limits(data, filename)
    province = _province(user)
    with transaction() as s:
        for row in rows:
            values = {**row, "province_code": province, "updated_by": user.id}
            s.execute(insert(ResidueLimit).values(**values).on_conflict_do_update(
                constraint="uq_residue_limits_province_market_crop_ingredient",
                set_={"mrl_mg_kg": values["mrl_mg_kg"], "source": values["source"],
                      "updated_by": user.id}))
        audit.record(s, user, "residue_limits", province, "upload",
                     after={"filename": filename, "rows": len(rows)})
    return len(rows)


def parse_limits(data: bytes, filename: str) -> list[dict]:
    """The file's rows as clean values, or Invalid naming every bad row and column."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(_("%(filename)s is not a UTF-8 CSV file.", filename=filename),
                      {"file": [_("Not UTF-8 text.")]}) from exc
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1)
             if line.strip() and not line.lstrip().startswith("#")]
    reader = csv.reader([line for _n, line in lines])
    header = [normal(h) for h in next(reader, [])]
    missing = [c for c in COLUMNS[:5] if c not in header]
    if missing:
        raise Invalid(_("%(filename)s lacks the column(s) %(columns)s; the columns are "
                        "market, crop, ingredient, mrl, unit and source.", filename=filename,
                        columns=", ".join(missing)), {"file": [_("Columns missing.")]})
    if len(lines) - 1 > MAX_ROWS:
        raise Invalid(_("%(filename)s has more than %(limit)s rows.", filename=filename,
                        limit=MAX_ROWS), {"file": [_("Too many rows.")]})
    rows, problems, seen = [], [], {}
    for (number, _line), cells in zip(lines[1:], reader):
        record = dict(zip(header, cells))
        row, said = _limit_row(record)
        problems += [_("Row %(row)s, column %(column)s: %(problem)s", row=number,
                       column=column, problem=problem) for column, problem in said]
        if row is not None:
            key = (row["market"], row["crop"], row["ingredient"])
            if key in seen:
                problems.append(_("Row %(row)s repeats row %(other)s (%(market)s, %(crop)s, "
                                  "%(ingredient)s).", row=number, other=seen[key],
                                  market=key[0], crop=key[1], ingredient=key[2]))
            seen[key] = number
            rows.append(row)
    if problems:
        raise Invalid(" ".join(problems[:20]), {"file": problems})
    if not rows:
        raise Invalid(_("%(filename)s holds no limits.", filename=filename),
                      {"file": [_("No rows.")]})
    return rows


def _limit_row(record: dict) -> tuple[dict | None, list[tuple[str, str]]]:
    said = []
    market = (record.get("market") or "").strip().upper()
    if not (market == "EU" or is_country(market)):
        said.append(("market", _("%(value)s is not a two-letter country code or EU.",
                                 value=market or "—")))
    crop = normal(record.get("crop", ""))
    if not crop or len(crop) > 100:
        said.append(("crop", _("give the crop as growing areas name it.")))
    ingredient = normal(record.get("ingredient", ""))
    if ingredient not in known_ingredients():
        said.append(("ingredient", _("%(value)s is not an active ingredient we know.",
                                     value=ingredient or "—")))
    unit = normal(record.get("unit", ""))
    if unit not in UNITS:
        said.append(("unit", _("%(value)s is not a unit of residue limits; give mg/kg.",
                               value=unit or "—")))
    try:
        mrl = Decimal((record.get("mrl") or "").strip().replace(",", "."))
        if not (0 < mrl <= MAX_MRL):
            raise InvalidOperation
    except InvalidOperation:
        mrl = None
        said.append(("mrl", _("%(value)s is not a limit above 0.", value=record.get("mrl") or "—")))
    if said:
        return None, said
    return {"market": market, "crop": crop, "ingredient": ingredient,
            "mrl_mg_kg": mrl * UNITS[unit], "source": (record.get("source") or "").strip()}, []


def list_limits(actor: User | None, *, market: str | None = None,
                crop: str | None = None) -> list[ResidueLimit]:
    """The limits in force for the actor: its province's rows and the platform's."""
    user = permissions.require_login(actor)
    provinces = {PLATFORM} | ({user.province_code} if user.province_code else set())
    query = select(ResidueLimit).where(ResidueLimit.province_code.in_(provinces))
    if market:
        query = query.where(ResidueLimit.market.in_(markets_covering(market.upper())))
    if crop:
        query = query.where(ResidueLimit.crop == normal(crop))
    return list(session().scalars(query.order_by(
        ResidueLimit.market, ResidueLimit.crop, ResidueLimit.ingredient,
        ResidueLimit.province_code.desc())))


def set_rule(actor: User | None, market: str, within_days: int) -> ResidueRule:
    """A market's demand, for the actor's province's export lots: a passing residue
    test sampled at most `within_days` before the lot is made."""
    user = _official(actor)
    market = market.upper()
    if not (market == "EU" or is_country(market)):
        raise Invalid(_("%(value)s is not a two-letter country code or EU.", value=market),
                      {"market": [_("Unknown market.")]})
    province = _province(user)
    with transaction() as s:
        s.execute(insert(ResidueRule).values(
            province_code=province, market=market, within_days=within_days,
            updated_by=user.id).on_conflict_do_update(
            constraint="uq_residue_rules_province_market",
            set_={"within_days": within_days, "updated_by": user.id}))
        audit.record(s, user, "residue_rule", f"{province}:{market}", "set",
                     after={"within_days": within_days})
        rule = s.scalar(select(ResidueRule).where(ResidueRule.province_code == province,
                                                  ResidueRule.market == market))
    return rule
