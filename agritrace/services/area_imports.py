"""Importing a file of plots: read it, check every plot, report, then create the
good plots as growing areas in one transaction.

The check is kept (`area_imports`) with the file, so the person can read the
report and then import the good plots, or fix the file and upload again. An
import re-checks everything against the areas that exist at that moment.
Bulk work goes through a temporary table filled with COPY: one indexed query
finds overlaps with existing areas and between plots of the same file.
"""
from __future__ import annotations

import gc
import secrets
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

import shapely
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gis.features import GisError, Problem, problem
from gis.readers import read_upload
from gis.validate import Checked, check_features

from .. import permissions
from ..clock import now
from ..db import session, transaction
from ..errors import Conflict, Invalid
from ..models import AreaImport, AreaStatus, CodeKind, ImportStatus, Role, User
from ..problems import as_dict, describe
from . import area_codes, audit
from .area_rules import ACTIVE, overlaps_within, rules_for, tolerance_sql
from .organizations import organization_for, place_for

CODE_KEYS = ("code", "CODE", "Code", "ma_so", "MA_SO", "maso", "MASO", "ma_vung", "MA_VUNG",
             "ma_so_vung_trong", "MSVT", "msvt")
CROP_KEYS = ("crop", "CROP", "Crop", "cay_trong", "CAY_TRONG", "cây trồng")


@dataclass
class Analysis:
    format: str
    source_crs: str
    checked: list[Checked]
    file_problems: list[Problem]
    crops: dict[int, str] = field(default_factory=dict)
    codes: dict[int, str] = field(default_factory=dict)
    extra: dict[int, list[Problem]] = field(default_factory=dict)   # overlaps, codes
    staged: str | None = None      # the temporary table holding the valid plots
    filename: str = ""

    def ok(self, c: Checked) -> bool:
        return c.ok and not self.extra.get(c.feature.index)

    @property
    def good(self) -> list[Checked]:
        return [c for c in self.checked if self.ok(c)]

    def report(self) -> dict:
        features = []
        for c in self.checked:
            i = c.feature.index
            features.append({
                "index": i, "name": c.feature.name, "ok": self.ok(c),
                "crop": self.crops.get(i), "code": self.codes.get(i),
                "area_ha": round(c.area_ha, 4) if c.area_ha is not None else None,
                "perimeter_m": round(c.perimeter_m, 1) if c.perimeter_m is not None else None,
                "problems": [as_dict(p) for p in c.problems + self.extra.get(i, [])],
                "notes": [as_dict(p) for p in c.notes]})
        good = sum(1 for f in features if f["ok"])
        return {"format": self.format, "source_crs": self.source_crs,
                "file_problems": [as_dict(p) for p in self.file_problems],
                "features": features, "total": len(features), "ok": good,
                "refused": len(features) - good}


def _refuse_file(filename: str, exc: GisError) -> Invalid:
    messages = [describe(p) for p in exc.problems]
    field_name = "crs" if any(p.code.startswith("crs_") for p in exc.problems) else "file"
    return Invalid(_("%(file)s cannot be read: %(problems)s", file=filename,
                     problems=" ".join(messages)),
                   {field_name: messages, "problems": [as_dict(p) for p in exc.problems]})


def _analyse(s: Session, user: User, data: bytes, filename: str, *, crs: str | None,
             crop: str, province_code: int, repair: bool) -> Analysis:
    config = current_app.config
    try:
        layer = read_upload(data, filename, crs=crs, max_features=config["AREA_MAX_FEATURES"])
    except GisError as exc:
        raise _refuse_file(filename, exc) from exc
    rules = rules_for(s, province_code, repair=repair)
    crops = {f.index: _first(f.properties, CROP_KEYS) or crop for f in layer.features}
    # Area limits depend on the crop, so plots are checked per crop.
    checked: dict[int, Checked] = {}
    file_problems: list[Problem] = []
    for crop_name in sorted(set(crops.values())):
        features = [f for f in layer.features if crops[f.index] == crop_name]
        results, problems = check_features(features, rules, crop=crop_name)
        checked.update({c.feature.index: c for c in results})
        file_problems += [p for p in problems if p not in file_problems]
    analysis = Analysis(layer.format, layer.source_crs,
                        [checked[f.index] for f in layer.features], file_problems, crops,
                        filename=filename)
    if user.role != Role.PRODUCER:
        _adopt_codes(s, analysis, province_code)
    _find_overlaps(s, analysis)
    return analysis


def _ewkb(geometries) -> list[str]:
    """Hex EWKB with SRID 4326, the text form COPY accepts for a geometry column."""
    return list(shapely.to_wkb(shapely.set_srid(geometries, 4326), hex=True, include_srid=True))


def _first(properties, keys) -> str | None:
    for key in keys:
        value = properties.get(key)
        if value not in (None, "") and str(value).strip():
            return str(value).strip()
    return None


def _adopt_codes(s: Session, analysis: Analysis, province_code: int) -> None:
    """Codes issued by another system, carried in the file, are kept verbatim."""
    seen: dict[str, int] = {}
    for c in analysis.checked:
        code = _first(c.feature.properties, CODE_KEYS)
        if not code:
            continue
        i = c.feature.index
        try:
            with s.begin_nested():
                code = area_codes.adopt_code(s, province_code, CodeKind.GROWING_AREA, code)
        except Invalid as exc:
            analysis.extra.setdefault(i, []).append(
                problem("code_unknown", "%(detail)s", c.feature, detail=exc.detail))
            continue
        if code in seen:
            analysis.extra.setdefault(i, []).append(problem(
                "code_repeated", "code %(code)s is also on feature %(other)s", c.feature,
                code=code, other=seen[code]))
            continue
        seen[code] = i
        analysis.codes[i] = code
    taken = set(s.scalars(text("SELECT code FROM growing_areas WHERE code = ANY(:codes)"),
                          {"codes": list(analysis.codes.values())}))
    for c in analysis.checked:
        i = c.feature.index
        if analysis.codes.get(i) in taken:
            analysis.extra.setdefault(i, []).append(problem(
                "code_taken", "code %(code)s is already held by another area", c.feature,
                code=analysis.codes.pop(i)))


def _find_overlaps(s: Session, analysis: Analysis) -> None:
    """Stage the valid plots in a temporary table with one COPY (the import inserts
    from it later) and find overlaps: with active areas in one query on their GiST
    index, and between plots of the file with an STR-tree here."""
    candidates = [c for c in analysis.checked if c.ok]
    if not candidates:
        return
    by_index = {c.feature.index: c.feature for c in candidates}
    table = analysis.staged = f"staged_plots_{secrets.token_hex(6)}"
    s.execute(text(f"CREATE TEMP TABLE {table} (idx integer, geom geometry(MultiPolygon, "
                   "4326), m2 float8, area_ha numeric, perimeter_m numeric, crop text, "
                   "name text, code text) ON COMMIT DROP"))
    hexes = _ewkb([c.geometry for c in candidates])
    raw = s.connection().connection.driver_connection
    with raw.cursor().copy(f"COPY {table} FROM STDIN") as copy:
        for c, wkb in zip(candidates, hexes):
            i = c.feature.index
            copy.write_row((i, wkb, c.area_ha * 10_000, round(c.area_ha, 4),
                            round(c.perimeter_m, 2), analysis.crops[i][:100],
                            (c.feature.name or f"{analysis.filename} #{i}")[:200],
                            analysis.codes.get(i)))
    condition, params = tolerance_sql()
    rows = s.execute(text(f"""
        SELECT idx, code, name, status, overlap_m2 FROM (
            SELECT p.idx, a.code, a.name, a.status, p.m2 AS new_m2,
                   ST_Area(a.geom::geography) AS other_m2,
                   ST_Area(ST_CollectionExtract(ST_Intersection(a.geom, p.geom), 3)::geography)
                       AS overlap_m2
            FROM {table} p JOIN growing_areas a ON ST_Intersects(a.geom, p.geom)
            WHERE a.status = ANY(:active)) hits
        WHERE {condition}"""), {"active": list(ACTIVE), **params})
    for idx, code, name, status, m2 in rows:
        analysis.extra.setdefault(idx, []).append(problem(
            "overlap", "overlaps growing area %(other)s by %(m2)s m²", by_index[idx],
            other=code or f"“{name}” ({status})", m2=round(m2)))
    for later, earlier, m2 in overlaps_within(candidates):
        analysis.extra.setdefault(later.feature.index, []).append(problem(
            "overlap_in_file", "overlaps feature %(other)s of the same file by %(m2)s m²",
            later.feature, other=earlier.feature.index, m2=round(m2)))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A file of 10,000 plots makes some hundred thousand short-lived objects, and
    Python's cycle collector would sweep them over and over (a quarter of an
    import's time). They hold no cycles, so the collector waits until the end."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def check_import(actor: User | None, data: bytes, filename: str, *,
                 organization_id: int | None = None,
                 crop: str, province_code: int | None = None, ward_code: int | None = None,
                 crs: str | None = None, repair: bool = False, commit: bool = False,
                 skip_invalid: bool = False, submit: bool = False) -> AreaImport:
    """Check an uploaded file and keep its report; with commit=True also create the
    areas at once (see commit_import). A file that cannot be read is refused and
    nothing is kept."""
    user = permissions.require_write(actor)
    if not data:
        raise Invalid(_("%(file)s is empty.", file=filename), {"file": [_("The file is empty.")]})
    with _collector_paused(), transaction() as s:
        org = organization_for(s, user, organization_id)
        province, ward = place_for(org, user, province_code, ward_code)
        analysis = _analyse(s, user, data, filename, crs=crs, crop=crop,
                            province_code=province, repair=repair)
        record = AreaImport(organization_id=org.id, province_code=province, created_by=user.id,
                            filename=filename[:255], format=analysis.format,
                            source_crs=analysis.source_crs, crop=crop, repair=repair,
                            data=None if commit else data, report=analysis.report(),
                            feature_count=len(analysis.checked), ok_count=len(analysis.good))
        s.add(record)
        s.flush()
        if commit:
            _create_areas(s, user, record, analysis, ward=ward, skip_invalid=skip_invalid,
                          submit=submit)
    return record


def get_import(actor: User | None, import_id: int) -> AreaImport:
    return permissions.fetch(session(), actor, AreaImport, import_id, "area")


def list_imports(actor: User | None, *, offset: int = 0, limit: int = 20
                 ) -> tuple[list[AreaImport], int]:
    permissions.require_login(actor)
    where = permissions.owner_filter(actor, AreaImport.organization_id, AreaImport.province_code)
    s = session()
    total = s.scalar(select(text("count(*)")).select_from(AreaImport).where(where))
    rows = s.scalars(select(AreaImport).where(where).order_by(AreaImport.id.desc())
                     .offset(offset).limit(limit))
    return list(rows), total


def commit_import(actor: User | None, import_id: int, *, skip_invalid: bool = False,
                  submit: bool = False, ward_code: int | None = None) -> AreaImport:
    """Create the checked file's plots as draft areas (or submitted, with submit=True;
    issued verbatim where an official's file carries a known code). Everything is
    checked again first. If any plot is refused, nothing is created unless
    skip_invalid=True, which creates the good plots only. One transaction."""
    with _collector_paused(), transaction() as s:
        record = permissions.fetch(s, actor, AreaImport, import_id, "area", write=True,
                                   lock=True)
        if record.status != ImportStatus.CHECKED:
            raise Conflict(_("This file was already %(status)s.", status=_(record.status.value)))
        analysis = _analyse(s, actor, record.data, record.filename, crs=record.source_crs,
                            crop=record.crop, province_code=record.province_code,
                            repair=record.repair)
        record.report = analysis.report()
        record.feature_count, record.ok_count = len(analysis.checked), len(analysis.good)
        _create_areas(s, actor, record, analysis, ward=ward_code, skip_invalid=skip_invalid,
                      submit=submit)
    return record


def discard_import(actor: User | None, import_id: int) -> AreaImport:
    with transaction() as s:
        record = permissions.fetch(s, actor, AreaImport, import_id, "area", write=True,
                                   lock=True)
        if record.status != ImportStatus.CHECKED:
            raise Conflict(_("This file was already %(status)s.", status=_(record.status.value)))
        record.status, record.data = ImportStatus.DISCARDED, None
    return record


def _create_areas(s: Session, user: User, record: AreaImport, analysis: Analysis, *,
                  ward: int | None, skip_invalid: bool, submit: bool) -> None:
    good = analysis.good
    refused = len(analysis.checked) - len(good)
    if not good:
        raise Invalid(_("No plot of %(file)s can be imported: %(problems)s",
                        file=record.filename, problems=_summary(analysis)),
                      {"file": [_summary(analysis)], "report": analysis.report()})
    if refused and not skip_invalid:
        raise Invalid(_("%(n)s of %(total)s plots were refused, so nothing was imported. "
                        "Fix them, or import only the good plots.", n=refused,
                        total=len(analysis.checked)),
                      {"file": [_summary(analysis)], "report": analysis.report()})
    status = AreaStatus.SUBMITTED if submit else AreaStatus.DRAFT
    # Plots refused after staging (an overlap, a code) leave the staged table first.
    s.execute(text(f"DELETE FROM {analysis.staged} WHERE idx = ANY(:gone)"),
              {"gone": sorted(analysis.extra)})
    # The areas and their audit rows (one per area, as for an area drafted by hand)
    # in one statement.
    ids = s.scalars(text(f"""
        WITH created AS (
            INSERT INTO growing_areas (code, name, crop, organization_id, geom, area_ha,
                perimeter_m, province_code, ward_code, status, target_markets, issued_at,
                version, import_id)
            SELECT code, name, crop, :org, geom, area_ha, perimeter_m, :prov, :ward,
                   CASE WHEN code IS NULL THEN :status ELSE 'issued' END, '{{}}',
                   CASE WHEN code IS NULL THEN NULL ELSE now() END, 1, :imp
            FROM {analysis.staged} ORDER BY idx
            RETURNING id, code, name, crop, status, area_ha, import_id)
        INSERT INTO audit_log (actor_id, actor_label, entity, entity_id, action, after)
        SELECT :user, :label, 'growing_area', id::text, 'import',
               jsonb_build_object('code', code, 'name', name, 'crop', crop, 'status', status,
                                  'area_ha', area_ha, 'import_id', import_id)
        FROM created RETURNING entity_id::int"""),
        {"org": record.organization_id, "prov": record.province_code, "ward": ward,
         "imp": record.id, "status": status.value, "user": user.id,
         "label": user.email}).all()
    record.status, record.imported_at, record.data = ImportStatus.IMPORTED, now(), None
    s.flush()
    audit.record(s, user, "area_import", record.id, "import",
                 after={"file": record.filename, "created": len(ids), "refused": refused,
                        "status": status.value})


def _summary(analysis: Analysis) -> str:
    lines = [describe(p) for p in analysis.file_problems]
    for c in analysis.checked:
        for p in c.problems + analysis.extra.get(c.feature.index, []):
            lines.append(describe(p))
            if len(lines) >= 20:
                return " ".join(lines) + " …"
    return " ".join(lines)
