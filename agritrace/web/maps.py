"""Folium maps for the pages, with every Leaflet asset served from static/vendor/.

Folium's defaults load Leaflet, jQuery and Bootstrap from CDNs; government
intranets are often offline, so the map classes here list only local files and
the page embeds the map's HTML and script itself. The basemap (configured) is the
only thing fetched from elsewhere, and the platform's layers do not depend on it.
"""
from __future__ import annotations

from dataclasses import dataclass

import folium
from flask import current_app, url_for
from folium.plugins import Draw
from geoalchemy2.shape import to_shape
from markupsafe import Markup, escape
from shapely.geometry import mapping

from ..models import AreaStatus
from ..security import with_nonce

VENDOR = "vendor/node_modules/"
STATUS_COLOURS = {
    AreaStatus.DRAFT: "#7f8c8d", AreaStatus.SUBMITTED: "#e67e22", AreaStatus.ISSUED: "#1e8449",
    AreaStatus.REJECTED: "#922b21", AreaStatus.SUSPENDED: "#b7950b", AreaStatus.REVOKED: "#4a235a",
}


def _static(path: str) -> str:
    return url_for("static", filename=VENDOR + path)


class LocalMap(folium.Map):
    default_js: list = []
    default_css: list = []


class LocalDraw(Draw):
    default_js: list = []
    default_css: list = []


@dataclass(frozen=True)
class RenderedMap:
    """The pieces a page template places: assets in <head>, the map element, its script."""
    head: Markup
    body: Markup
    script: Markup
    name: str
    draw_name: str = ""


def area_map(highlight=None, others=(), *, draw: bool = False, height: str = "420px",
             link=None) -> RenderedMap:
    """A map of `highlight` (an area, drawn thick and zoomed to) and `others` (its
    neighbours, by status colour). `link(area)` gives a popup link; `draw` adds
    Leaflet.draw for drawing one polygon into the page's form."""
    m = LocalMap(location=[11.3, 106.1], zoom_start=13, tiles=None, height=height,
                 control_scale=True)
    _basemap(m)
    bounds = None
    for area in others:
        _add(m, area, weight=1, opacity=0.35, link=link)
    if highlight is not None:
        bounds = to_shape(highlight.geom).bounds
        _add(m, highlight, weight=3, opacity=0.2, link=link)
        if highlight.proposed_geom is not None:
            folium.GeoJson(mapping(to_shape(highlight.proposed_geom)), name="proposed",
                           style_function=lambda _f: {"color": "#2471a3", "weight": 3,
                                                      "dashArray": "6 4", "fillOpacity": 0.1}
                           ).add_to(m)
    if bounds:
        m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    control = None
    if draw:
        # folium's default alerts the raw GeoJSON when the drawn polygon is clicked.
        control = LocalDraw(export=False, show_geometry_on_click=False, draw_options={
            "polyline": False, "circle": False, "rectangle": False, "marker": False,
            "circlemarker": False, "polygon": {"allowIntersection": False, "showArea": True}},
            edit_options={"edit": True, "remove": True}).add_to(m)
    css = [_static("leaflet/dist/leaflet.css")] + ([_static("leaflet-draw/dist/leaflet.draw.css")]
                                                 if draw else [])
    js = [_static("leaflet/dist/leaflet.js")] + ([_static("leaflet-draw/dist/leaflet.draw.js")]
                                               if draw else [])
    return _rendered(m, control, height, css, js)


def platform_map(bounds=None, *, draw: bool = False, height: str = "70vh") -> RenderedMap:
    """The WebGIS map: the basemap and, with `draw`, a Leaflet.draw toolbar for one
    polygon; the platform's vector tile layers, filters and tools are added by
    static/js/webgis.js. `bounds` (west, south, east, north) is where it opens."""
    m = LocalMap(location=[16.0, 106.0], zoom_start=6, tiles=None, height=height,
                 control_scale=True, prefer_canvas=False)
    _basemap(m)
    if bounds:
        m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]], max_zoom=16)
    control = None
    if draw:
        control = LocalDraw(export=False, show_geometry_on_click=False, draw_options={
            "polyline": False, "circle": False, "rectangle": False, "marker": False,
            "circlemarker": False, "polygon": {"allowIntersection": False, "showArea": True,
                                               "metric": True}},
            edit_options={"edit": True, "remove": True}).add_to(m)
    css = [_static("leaflet/dist/leaflet.css")]
    js = [_static("leaflet/dist/leaflet.js"),
          _static("leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js")]
    if draw:
        css.append(_static("leaflet-draw/dist/leaflet.draw.css"))
        js.append(_static("leaflet-draw/dist/leaflet.draw.js"))
    return _rendered(m, control, height, css, js)


def _basemap(m) -> None:
    config = current_app.config
    folium.TileLayer(tiles=config["BASEMAP_URL"], attr=config["BASEMAP_ATTRIBUTION"],
                     name="basemap", max_zoom=19).add_to(m)


def _rendered(m, control, height: str, css: list[str], js: list[str]) -> RenderedMap:
    """The map's pieces without folium's <head>, which would load its CDN defaults."""
    root = m.get_root()
    root.render()
    head = "".join(f'<link rel="stylesheet" href="{escape(h)}">' for h in css) + "".join(
        f'<script src="{escape(s)}"></script>' for s in js)
    head += f"<style>#{m.get_name()}{{height:{height};width:100%;}}</style>"
    # The policy refuses inline scripts without the request's nonce (security.py).
    return RenderedMap(with_nonce(head), with_nonce(root.html.render()),
                       with_nonce(f"<script>{root.script.render()}</script>"), m.get_name(),
                       control.get_name() if control else "")


def _js_text(text: str) -> str:
    """Text that folium puts raw into a JavaScript template literal of HTML: escaped
    for HTML, and without the backtick and `${` that would end or run the literal."""
    return str(escape(text)).replace("`", "&#96;").replace("$", "&#36;")


def _add(m, area, *, weight: int, opacity: float, link) -> None:
    colour = STATUS_COLOURS.get(area.status, "#333")
    label = area.code or area.name
    properties = {}
    if link is not None:
        # folium's Popup needs jQuery; GeoJsonPopup is plain Leaflet. The text is
        # escaped here because the popup shows it as HTML.
        properties["link"] = (f'<a href="{escape(link(area))}">{escape(label)}</a> '
                              f'{escape(area.name)} · {area.area_ha} ha')
    feature = {"type": "Feature", "geometry": mapping(to_shape(area.geom)),
               "properties": properties}
    layer = folium.GeoJson(feature, name=_js_text(label), tooltip=_js_text(label),
                           style_function=lambda _f, c=colour, w=weight, o=opacity: {
                               "color": c, "weight": w, "fillColor": c, "fillOpacity": o})
    if link is not None:
        folium.GeoJsonPopup(fields=["link"], labels=False).add_to(layer)
    layer.add_to(m)
