"""Deciding which coordinate system an upload's numbers are in, and moving them to WGS84.

The person's choice wins over the file's; a file that says nothing is WGS84 when its
numbers can be degrees (a Shapefile without .prj from a GPS tool) and refused, with the
likely zones named, when they are plainly metres. A declared system that cannot hold the
numbers (degrees in a metre system, metres in GeoJSON's implied WGS84) is refused too:
reading it would put the plots in the sea or off the planet.

Problem codes raised here (params in parentheses, `filename` always):
- crs_missing_projected (likely, likely_labels, bounds): "The coordinates in %(filename)s
  are in metres, not degrees, and the file does not say which coordinate system they are
  in. Choose it from the list; likely: %(likely_labels)s."
- crs_missing (bounds): "The coordinates in %(filename)s are not longitude/latitude
  degrees, and the file does not say which coordinate system they are in. Choose it from
  the list."
- crs_expects_degrees (crs, crs_label, likely, likely_labels, bounds): "The coordinates in
  %(filename)s are in metres, so they cannot be longitude/latitude in %(crs_label)s. Choose
  the projected coordinate system they were drawn in."
- crs_expects_metres (crs, crs_label, bounds): "The coordinates in %(filename)s
  look like longitude/latitude degrees, but %(crs_label)s is measured in metres. Choose
  WGS 84 if they came from a GPS."
- crs_reprojection_failed (crs, crs_label): "Some coordinates in %(filename)s could not be
  converted from %(crs_label)s to longitude/latitude. Check that this is the right
  coordinate system."
and crs_unknown from `gis.crs`.
"""
from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gis.crs import (
    CHOICES,
    WGS84_ID,
    choice_label,
    degrees_minutes,
    identify,
    likely_zones,
    looks_like_degrees,
    looks_like_swapped_degrees,
    parse,
    resolve,
    to_wgs84,
)
from gis.features import GisError, Problem, problem
from gis.readers.base import RawLayer

CHOICE_IDS = {choice.id for choice in CHOICES}


def _bounds(layer: RawLayer) -> tuple[float, ...] | None:
    bounds = tuple(float(b) for b in shapely.total_bounds([g for g, _ in layer.rows]))
    return None if any(math.isnan(b) for b in bounds) else bounds


def _likely(bounds) -> dict:
    """The likely zones as ids (all, best first) and as words: the TM-3 zones that rank
    before any UTM one, by meridian only (the list shows their provinces), then the UTM
    zones."""
    zones = likely_zones(bounds)
    first_utm = next((i for i, z in enumerate(zones) if z.meridian is None), len(zones))
    tm3 = sorted(z.meridian for z in zones[:first_utm])
    words = [z.label for z in zones if z.meridian is None]
    if tm3:
        words.insert(0, "VN-2000 / TM-3 " + ", ".join(degrees_minutes(m) for m in tm3))
    labels = "; ".join(words)
    return {"likely": [z.id for z in zones], "likely_labels": labels}


def _missing(filename: str, bounds) -> Problem:
    likely = _likely(bounds)
    if likely["likely"]:
        return problem(
            "crs_missing_projected", "The coordinates in %(filename)s are in metres, not degrees, "
            "and the file does not say which coordinate system they are in. Choose it from the "
            "list; likely: %(likely_labels)s.", filename=filename, bounds=bounds, **likely)
    return problem(
        "crs_missing", "The coordinates in %(filename)s are not longitude/latitude degrees, and "
        "the file does not say which coordinate system they are in. Choose it from the list.",
        filename=filename, bounds=bounds)


def _checked(crs_id: str, bounds, filename: str, chosen: bool) -> str:
    """`crs_id` when the numbers can be in it; otherwise refused saying why not."""
    if bounds is None:
        return crs_id
    crs = resolve(crs_id)
    degrees = looks_like_degrees(bounds) or looks_like_swapped_degrees(bounds)
    if crs.is_geographic and not degrees:
        if not chosen:  # GeoJSON and KML imply WGS84 without saying so
            raise GisError(_missing(filename, bounds))
        raise GisError(problem(
            "crs_expects_degrees", "The coordinates in %(filename)s are in metres, so they cannot "
            "be longitude/latitude in %(crs_label)s. Choose the projected coordinate system they "
            "were drawn in.", filename=filename, crs=crs_id, crs_label=choice_label(crs_id),
            bounds=bounds, **_likely(bounds)))
    if crs.is_projected and degrees:
        raise GisError(problem(
            "crs_expects_metres", "The coordinates in %(filename)s look like "
            "longitude/latitude degrees, but %(crs_label)s is measured in metres. Choose WGS 84 "
            "if they came from a GPS.", filename=filename, crs=crs_id,
            crs_label=choice_label(crs_id), bounds=bounds))
    return crs_id


def _layer_crs(layer: RawLayer, chosen: str | None, filename: str) -> str:
    bounds = _bounds(layer)
    if chosen is not None:
        return _checked(chosen, bounds, filename, chosen=True)
    if layer.crs is None:
        if bounds is None or looks_like_degrees(bounds) or looks_like_swapped_degrees(bounds):
            return WGS84_ID
        raise GisError(_missing(filename, bounds))
    return _checked(identify(parse(layer.crs)), bounds, filename, chosen=False)


def _moved(geom: BaseGeometry | None, crs_id: str, filename: str) -> BaseGeometry | None:
    if crs_id == WGS84_ID:
        return geom
    moved = to_wgs84(geom, crs_id)
    if moved is not None and not np.isfinite(shapely.get_coordinates(moved)).all():
        raise GisError(problem(
            "crs_reprojection_failed", "Some coordinates in %(filename)s could not be converted "
            "from %(crs_label)s to longitude/latitude. Check that this is the right coordinate "
            "system.",
            filename=filename, crs=crs_id, crs_label=choice_label(crs_id)))
    return moved


def place(layers: list[RawLayer], crs: str | None,
          filename: str) -> tuple[str, list[BaseGeometry | None]]:
    """The CRS id the upload was read in (the first layer's with features, when layers
    differ) and every geometry, in layer order, moved to WGS84."""
    chosen = None
    if crs is not None:
        resolve(crs)  # an unknown id is refused before anything else
        chosen = _normalised(crs)
    ids, geometries = [], []
    for layer in layers:
        if not layer.rows:
            continue
        crs_id = _layer_crs(layer, chosen, filename)
        ids.append(crs_id)
        geometries.extend(_moved(geom, crs_id, filename) for geom, _ in layer.rows)
    return ids[0], geometries


def _normalised(crs: str) -> str:
    """A chosen id as we report it: choice ids as they are, codes of our choices as the
    choice's id ("EPSG:9210" -> "VN2000:TM3:105.75"), others as given."""
    if crs in CHOICE_IDS:
        return crs
    identified = identify(parse(crs))
    return identified if identified in CHOICE_IDS else crs
