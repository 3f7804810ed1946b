"""The spatial library's problems, in the user's language.

`gis/` says what is wrong with a file or a polygon as a stable code, English text
and parameters; this module holds the translatable sentence for each code, so a
page in Vietnamese says it in Vietnamese. An unknown code falls back to the
library's English sentence rather than hiding the problem.
"""
from __future__ import annotations

from typing import Any, Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gis.features import Problem

MESSAGES: dict[str, Any] = {
    # the platform's own checks
    "overlap": _l("overlaps growing area %(other)s by %(m2)s m²"),
    "overlap_in_file": _l("overlaps feature %(other)s of the same file by %(m2)s m²"),
    "code_repeated": _l("code %(code)s is also on feature %(other)s"),
    "code_taken": _l("code %(code)s is already held by another area"),
    # gis.readers and gis.archive: the file as a whole
    "file_empty": _l("%(filename)s is empty."),
    "format_unknown": _l("%(filename)s is not a map file we can read. We accept GeoJSON, KML, "
                         "KMZ, GPX, GeoPackage, CSV with a WKT column, and a Shapefile zipped "
                         "with its .shx, .dbf and .prj files."),
    "format_mismatch": _l("%(filename)s is named as %(claimed)s but holds %(found)s. We accept "
                          "GeoJSON, KML, KMZ, GPX, GeoPackage, CSV with a WKT column, and a "
                          "Shapefile zipped with its .shx, .dbf and .prj files."),
    "archive_no_data": _l("%(filename)s holds no file we can read. Inside a ZIP we accept a "
                          "Shapefile (.shp with its .shx and .dbf), a KML (.kml) or a "
                          "GeoPackage (.gpkg)."),
    "file_damaged": _l("%(filename)s could not be read as %(format)s: it may be damaged or "
                       "incomplete (cut short during upload). Export it again and retry."),
    "too_many_features": _l("%(filename)s has %(count)s features; at most %(limit)s can be "
                            "imported at once. Split it into smaller files."),
    "archive_damaged": _l("%(filename)s is a damaged or incomplete ZIP archive (it may have "
                          "been cut short during upload)."),
    "archive_unsafe_path": _l("%(filename)s contains an entry with an unsafe path (%(entry)s): "
                              "absolute paths, '..' and links are not allowed."),
    "archive_nested": _l("%(filename)s contains another archive (%(entry)s). Unpack it and "
                         "upload the files directly."),
    "archive_encrypted": _l("%(filename)s is password-protected (%(entry)s). Upload it without "
                            "a password."),
    "archive_compression": _l("%(filename)s uses a compression method we cannot unpack "
                              "(%(entry)s). Zip the files again with the usual (Deflate) "
                              "compression."),
    "archive_too_many_entries": _l("%(filename)s contains %(count)s files; at most %(limit)s "
                                   "are allowed."),
    "archive_too_large": _l("%(filename)s would unpack to %(size_mb)s MB; at most "
                            "%(limit_mb)s MB is allowed."),
    "archive_bomb": _l("%(filename)s looks like a ZIP bomb: %(entry)s would unpack to "
                       "%(ratio)s times its stored size."),
    "geojson_invalid": _l("%(filename)s is JSON but not GeoJSON: it needs a \"type\" of "
                          "FeatureCollection, Feature or a geometry."),
    "shapefile_not_zipped": _l("%(filename)s is only one part of a Shapefile. Put the .shp, "
                               ".shx, .dbf and .prj files with the same name into one .zip and "
                               "upload that."),
    "shapefile_incomplete": _l("The Shapefile %(layer)s in %(filename)s has no %(missing)s "
                               "file. Zip the .shp, .shx, .dbf and .prj files together."),
    "gpx_no_tracks": _l("%(filename)s has no track or route, only %(waypoints)s waypoints. "
                        "Record a track while walking around the field and upload that."),
    "gpx_track_open": _l("The track is not closed: it ends %(gap_m)s m from where it started "
                         "(at most %(limit_m)s m). Walk back to the starting point, or close "
                         "the outline in a map editor."),
    "gpx_track_too_short": _l("The track has only %(points)s points; at least 3 are needed to "
                              "outline a field."),
    "csv_no_geometry_column": _l("%(filename)s has no geometry column. Put the shapes as WKT "
                                "in a column named \"wkt\" (or \"geometry\" or \"geom\"), "
                                "or points in \"lon\" and \"lat\" columns."),
    "csv_wkt_invalid": _l("The %(column)s value is not valid WKT: %(value)s"),
    "crs_unknown": _l("%(crs)s is not a coordinate system we know."),
    "crs_missing_projected": _l("The coordinates in %(filename)s are in metres, not degrees, "
                                "and the file does not say which coordinate system they are "
                                "in. Choose it from the list; likely: %(likely_labels)s."),
    "crs_missing": _l("The coordinates in %(filename)s are not longitude/latitude degrees, and "
                      "the file does not say which coordinate system they are in. Choose it "
                      "from the list."),
    "crs_expects_degrees": _l("The coordinates in %(filename)s are in metres, so they cannot "
                              "be longitude/latitude in %(crs_label)s. Choose the projected "
                              "coordinate system they were drawn in."),
    "crs_expects_metres": _l("The coordinates in %(filename)s look like longitude/latitude "
                             "degrees, but %(crs_label)s is measured in metres. Choose WGS 84 "
                             "if they came from a GPS."),
    "crs_reprojection_failed": _l("Some coordinates in %(filename)s could not be converted "
                                  "from %(crs_label)s to longitude/latitude. Check that this is "
                                  "the right coordinate system."),
    # gis.validate: refusals
    "no_geometry": _l("has no geometry"),
    "empty_geometry": _l("has an empty geometry"),
    "point_not_polygon": _l("is a point, not a polygon: draw or export the plot's boundary as "
                            "a polygon"),
    "line_not_polygon": _l("is a line, not a polygon: draw or export the plot's boundary as a "
                           "polygon"),
    "collection_not_polygon": _l("mixes polygons with points or lines: keep only the plot's "
                                 "boundary polygon"),
    "bad_coordinates": _l("has coordinates that are not numbers"),
    "too_few_corners": _l("a ring has fewer than 3 distinct corners (%(corners)s), so it "
                          "encloses no area"),
    "no_area": _l("its corners lie on one line, so it encloses no area"),
    "self_intersection": _l("its boundary crosses itself near %(lon)s, %(lat)s: redraw it so "
                            "that the edges do not cross, or ask for an automatic repair"),
    "ring_self_intersection": _l("its boundary touches itself at %(lon)s, %(lat)s, pinching "
                                 "the plot: redraw it so that it does not touch itself, or "
                                 "ask for an automatic repair"),
    "hole_outside_shell": _l("a hole (inner ring) lies outside the outer boundary near "
                             "%(lon)s, %(lat)s"),
    "nested_holes": _l("a hole lies inside another hole near %(lon)s, %(lat)s"),
    "interior_disconnected": _l("holes cut the plot into separate pieces near %(lon)s, "
                                "%(lat)s"),
    "nested_shells": _l("one part of the plot lies inside another part near %(lon)s, %(lat)s"),
    "too_few_points": _l("a ring has too few points near %(lon)s, %(lat)s"),
    "invalid_geometry": _l("the polygon is not valid (%(reason)s) near %(lon)s, %(lat)s"),
    "repair_failed": _l("the polygon is not valid (%(reason)s) and repairing it left no area: "
                        "redraw it"),
    "coordinates_swapped": _l("coordinates look like latitude, longitude in the wrong order "
                              "(%(x)s, %(y)s): longitude comes first in GeoJSON and most GIS "
                              "files; swap them and upload again"),
    "coordinates_projected": _l("coordinates such as %(x)s, %(y)s are not longitude and "
                                "latitude in degrees: the file looks projected (for example "
                                "VN-2000 or UTM, in metres); choose its coordinate system when "
                                "uploading or export it in WGS84"),
    "outside_vietnam": _l("lies outside Viet Nam (its centre is at longitude %(lon)s, latitude "
                          "%(lat)s): check the coordinates and the coordinate system of the "
                          "file"),
    "outside_province": _l("%(outside_pct)s %% of the plot (%(outside_ha)s ha) lies outside "
                           "the boundary of %(province)s: check the province declared for it"),
    "too_many_vertices": _l("has %(count)s corners, more than the %(limit)s allowed: simplify "
                            "the boundary before uploading"),
    "area_too_small": _l("its area, %(area_ha)s ha, is below the smallest allowed for "
                         "%(crop)s (%(limit_ha)s ha)"),
    "area_too_large": _l("its area, %(area_ha)s ha, is above the largest allowed for %(crop)s "
                         "(%(limit_ha)s ha): split it or check its units"),
    # gis.validate: notes
    "z_dropped": _l("heights (Z) and measures (M) were removed: plots are stored in 2-D"),
    "duplicate_vertices_removed": _l("%(count)s repeated corner(s) removed"),
    "ring_closed": _l("%(count)s ring(s) were not closed and have been closed"),
    "orientation_fixed": _l("ring orientation corrected: outer boundaries counterclockwise, "
                            "holes clockwise (RFC 7946)"),
    "repaired": _l("the invalid boundary was repaired: area %(before_ha)s ha → %(after_ha)s ha "
                   "(%(change_pct)s %% change)"),
    "repaired_area_changed": _l("the invalid boundary was repaired, but the repair changed the "
                                "area by %(change_pct)s %% (%(before_ha)s ha → %(after_ha)s "
                                "ha): check the result on the map before using it"),
    "repaired_split": _l("the invalid boundary was repaired into %(parts)s separate polygons "
                         "(%(before_ha)s ha → %(after_ha)s ha, %(change_pct)s %% change): "
                         "check the result on the map before using it"),
    "no_features": _l("the file contains no features"),
    "mixed_geometry_types": _l("the file mixes geometry types (%(types)s): only polygons can "
                               "become growing areas"),
    # gis.export / gis.eudr
    "export_format_unknown": _l("unknown export format %(format)s"),
    "eudr_too_large": _l("the EUDR file would be %(size_mb)s MB, more than the %(limit_mb)s MB "
                         "the EU information system accepts in one statement: export fewer "
                         "areas at a time"),
    "eudr_geometry_lost": _l("growing area %(area)s has no polygon left once its coordinates "
                             "are cut to 6 decimals"),
    # gis.forest: the forest map of 31 December 2020
    "raster_unreadable": _l("%(filename)s is not a GeoTIFF we can read."),
    "raster_no_crs": _l("%(filename)s has no coordinate reference system: export it again "
                        "with its CRS (for example EPSG:4326)."),
    "raster_bands": _l("%(filename)s has %(bands)s bands; a forest map has one (1 = forest)."),
    "raster_not_covering": _l("The forest map does not cover %(count)s plot(s): %(plots)s."),
}


def as_dict(p: Problem) -> dict:
    """A problem as stored in an import report (JSON)."""
    return {"code": p.code, "message": p.message, "params": _plain(p.params),
            "feature": p.feature, "name": p.name}


def describe(p: Problem | Mapping, *, with_feature: bool = True) -> str:
    """The sentence for a person: translated when we know the code."""
    data = as_dict(p) if isinstance(p, Problem) else p
    template = MESSAGES.get(data["code"])
    params = {k: _format(v) for k, v in (data.get("params") or {}).items()}
    try:
        sentence = str(template) % params if template is not None else data["message"]
    except (KeyError, TypeError, ValueError):
        sentence = data["message"]
    if not with_feature or data.get("feature") is None:
        return sentence
    if data.get("name"):
        return _("Feature %(n)s (%(name)s): %(problem)s", n=data["feature"], name=data["name"],
                 problem=sentence)
    return _("Feature %(n)s: %(problem)s", n=data["feature"], problem=sentence)


def _format(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return value


def _plain(params: Mapping) -> dict:
    out = {}
    for key, value in params.items():
        if isinstance(value, (str, int, float, bool)) or value is None:
            out[key] = value
        elif isinstance(value, (list, tuple)):
            out[key] = [v if isinstance(v, (str, int, float, bool)) else str(v) for v in value]
        else:
            out[key] = str(value)
    return out
