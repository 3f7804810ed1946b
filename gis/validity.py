"""OGC validity of a plot's polygon in plain words, and its repair on request.

GEOS explains an invalid geometry as a terse English reason with a location, e.g.
"Self-intersection[106.1 11.3]"; each reason becomes a code and a sentence that
says where and what to do. GEOS's own words stay in the `reason` parameter.

Problems and notes raised here, with their English templates (every one has the
params reason, lon and lat; lon/lat rounded to 6 decimals):

=======================  ==============================================================
code                     template
=======================  ==============================================================
self_intersection        "its boundary crosses itself near %(lon)s, %(lat)s: redraw it
                         so that the edges do not cross, or ask for an automatic repair"
ring_self_intersection   "its boundary touches itself at %(lon)s, %(lat)s, pinching the
                         plot: redraw it so that it does not touch itself, or ask for an
                         automatic repair"
hole_outside_shell       "a hole (inner ring) lies outside the outer boundary near
                         %(lon)s, %(lat)s"
nested_holes             "a hole lies inside another hole near %(lon)s, %(lat)s"
interior_disconnected    "holes cut the plot into separate pieces near %(lon)s, %(lat)s"
nested_shells            "one part of the plot lies inside another part near %(lon)s,
                         %(lat)s"
too_few_points           "a ring has too few points near %(lon)s, %(lat)s"
invalid_geometry         "the polygon is not valid (%(reason)s) near %(lon)s, %(lat)s"
repair_failed            "the polygon is not valid (%(reason)s) and repairing it left no
                         area: redraw it"
=======================  ==============================================================

Notes after a repair (params before_ha, after_ha, change_pct, parts):

=======================  ==============================================================
repaired                 "the invalid boundary was repaired: area %(before_ha)s ha →
                         %(after_ha)s ha (%(change_pct)s %% change)"
repaired_area_changed    "the invalid boundary was repaired, but the repair changed the
                         area by %(change_pct)s %% (%(before_ha)s ha → %(after_ha)s ha):
                         check the result on the map before using it"
repaired_split           "the invalid boundary was repaired into %(parts)s separate
                         polygons (%(before_ha)s ha → %(after_ha)s ha, %(change_pct)s %%
                         change): check the result on the map before using it"
=======================  ==============================================================
"""
from __future__ import annotations

import re

import shapely
from shapely.geometry import MultiPolygon

from .features import Feature, Problem, problem
from .geometry import polygonal_parts
from .measure import area_ha

_REASONS = {
    "Self-intersection": (
        "self_intersection", "its boundary crosses itself near %(lon)s, %(lat)s: redraw it so "
        "that the edges do not cross, or ask for an automatic repair"),
    "Ring Self-intersection": (
        "ring_self_intersection", "its boundary touches itself at %(lon)s, %(lat)s, pinching "
        "the plot: redraw it so that it does not touch itself, or ask for an automatic repair"),
    "Hole lies outside shell": (
        "hole_outside_shell",
        "a hole (inner ring) lies outside the outer boundary near %(lon)s, %(lat)s"),
    "Nested holes": ("nested_holes", "a hole lies inside another hole near %(lon)s, %(lat)s"),
    "Interior is disconnected": (
        "interior_disconnected", "holes cut the plot into separate pieces near %(lon)s, %(lat)s"),
    "Nested shells": (
        "nested_shells", "one part of the plot lies inside another part near %(lon)s, %(lat)s"),
    "Too few points in geometry component": (
        "too_few_points", "a ring has too few points near %(lon)s, %(lat)s"),
}
_OTHER = ("invalid_geometry", "the polygon is not valid (%(reason)s) near %(lon)s, %(lat)s")
_EXPLANATION = re.compile(r"^\s*(?P<reason>[^\[]*?)\s*(?:\[(?P<x>[^\s\]]+)\s+(?P<y>[^\s\]]+)"
                          r"[^\]]*\])?\s*$")

# A repair that changes the area by more than this is accepted but flagged.
REPAIR_WARN_PCT = 1.0


def explain(geom: MultiPolygon, feature: Feature | None = None) -> Problem | None:
    """Why `geom` is not OGC-valid, as a Problem; None when it is valid."""
    text = shapely.is_valid_reason(geom)
    if text == "Valid Geometry":
        return None
    match = _EXPLANATION.match(text)
    reason = match["reason"] if match and match["reason"] else text
    try:
        lon, lat = float(match["x"]), float(match["y"])
    except (TypeError, ValueError):
        lon, lat = shapely.get_coordinates(geom)[0]
    code, template = _REASONS.get(reason, _OTHER)
    return problem(code, template, feature, reason=reason, lon=round(float(lon), 6),
                   lat=round(float(lat), 6))


def repair(geom: MultiPolygon, why: Problem,
           feature: Feature | None = None) -> tuple[MultiPolygon | None, Problem]:
    """`geom` made valid with its polygonal parts only, and the note that says what
    the repair did to the area; or None and the problem when nothing polygonal is
    left. The area before is the geodesic area of the invalid rings as drawn, which
    is only indicative (a figure-eight's two loops partly cancel out)."""
    parts = polygonal_parts(shapely.make_valid(geom))
    if not parts:
        return None, problem("repair_failed", "the polygon is not valid (%(reason)s) and "
                             "repairing it left no area: redraw it", feature,
                             reason=why.params.get("reason", why.code))
    fixed = MultiPolygon(parts)
    before, after = area_ha(geom), area_ha(fixed)
    change_pct = abs(after - before) / before * 100 if before > 0 else 100.0
    params = dict(before_ha=round(before, 4), after_ha=round(after, 4),
                  change_pct=round(change_pct, 2), parts=len(parts))
    if len(parts) > 1:
        note = problem("repaired_split", "the invalid boundary was repaired into %(parts)s "
                       "separate polygons (%(before_ha)s ha → %(after_ha)s ha, %(change_pct)s %% "
                       "change): check the result on the map before using it", feature, **params)
    elif change_pct > REPAIR_WARN_PCT:
        note = problem("repaired_area_changed", "the invalid boundary was repaired, but the "
                       "repair changed the area by %(change_pct)s %% (%(before_ha)s ha → "
                       "%(after_ha)s ha): check the result on the map before using it",
                       feature, **params)
    else:
        note = problem("repaired", "the invalid boundary was repaired: area %(before_ha)s ha → "
                       "%(after_ha)s ha (%(change_pct)s %% change)", feature, **params)
    return fixed, note
