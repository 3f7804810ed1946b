// The platform's maps (/gis/map for officials, /map for everyone): vector tiles of
// growing areas and facilities drawn by Leaflet.VectorGrid over the folium map,
// filters that re-request the tiles, colours and legend by status or crop, search by
// code, popups, and for officials drawing a draft area and measuring. Settings come
// from the page's <script type="application/json" id="webgis-config">.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("webgis-config").textContent);
  var map = window[config.map];
  if (!map || !L.vectorGrid) { return; }
  var text = config.text;
  var statusLine = document.getElementById("map-status");
  var CROP_PALETTE = ["#1e8449", "#c0392b", "#2471a3", "#d68910", "#7d3c98", "#17a589",
                      "#a04000", "#2e4053", "#b03a2e", "#f1c40f", "#1abc9c", "#8e44ad"];
  var cropColours = {};
  var colourBy = "status";
  var statuses = {};
  config.statuses.forEach(function (s) { statuses[s.value] = s; });

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) {
      return key in values ? values[key] : all;
    });
  }
  function say(element, message) {
    if (element) { element.textContent = message; }
  }
  function number(value, digits) {
    return Number(value).toLocaleString(document.documentElement.lang || undefined,
                                        {maximumFractionDigits: digits});
  }

  // -- colours and legend ---------------------------------------------------------
  (config.crops || []).forEach(function (crop, i) {
    cropColours[crop] = CROP_PALETTE[i % CROP_PALETTE.length];
  });
  function cropColour(crop) {
    if (!(crop in cropColours)) {
      cropColours[crop] = CROP_PALETTE[Object.keys(cropColours).length % CROP_PALETTE.length];
      drawLegend();
    }
    return cropColours[crop];
  }
  function areaColour(p) {
    if (colourBy === "crop") { return cropColour(p.crop || ""); }
    return (statuses[p.status] || {colour: "#333"}).colour;
  }
  function areaStyle(p) {
    var colour = areaColour(p);
    return {fill: true, fillColor: colour, fillOpacity: 0.4, color: colour, weight: 1.5,
            opacity: 0.9};
  }
  function facilityStyle() {
    return {radius: 6, fill: true, fillColor: "#ffffff", fillOpacity: 1, color: "#1a237e",
            weight: 3};
  }
  function drawLegend() {
    var legend = document.getElementById("map-legend");
    if (!legend) { return; }
    var entries = [];
    if (colourBy === "crop") {
      Object.keys(cropColours).sort().forEach(function (crop) {
        entries.push([cropColours[crop], crop]);
      });
    } else {
      config.statuses.forEach(function (s) {
        if (!config.public || s.value === "issued") { entries.push([s.colour, s.label]); }
      });
    }
    legend.textContent = "";
    var list = document.createElement("ul");
    entries.forEach(function (entry) {
      var item = document.createElement("li");
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = entry[0];
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(entry[1]));
      list.appendChild(item);
    });
    var facility = document.createElement("li");
    var dot = document.createElement("span");
    dot.className = "swatch point";
    facility.appendChild(dot);
    facility.appendChild(document.createTextNode(text.facilities));
    list.appendChild(facility);
    if (config.capacity) {
      var over = document.createElement("li");
      var outline = document.createElement("span");
      outline.className = "swatch outline";
      over.appendChild(outline);
      over.appendChild(document.createTextNode(text.over_capacity));
      list.appendChild(over);
    }
    legend.appendChild(list);
  }

  // -- filters: the contract's query parameters on the tile URLs ----------------------
  var filters = document.getElementById("map-filters");
  function query(names) {
    var params = [];
    names.forEach(function (name) {
      var field = filters && filters.elements[name];
      if (field && !field.disabled && field.value) {
        params.push(name + "=" + encodeURIComponent(field.value));
      }
    });
    return params.length ? "?" + params.join("&") : "";
  }
  function areasUrl() {
    return config.tiles["growing-areas"] +
      query(["province", "ward", "crop", "status", "organization_id"]);
  }
  function facilitiesUrl() {
    // Crop and status are the areas' own; a facility has statuses of its own.
    return config.tiles.facilities + query(["province", "ward", "organization_id"]);
  }
  function applyFilters() {
    areas.setUrl(areasUrl());
    facilities.setUrl(facilitiesUrl());
  }

  // -- the tile layers --------------------------------------------------------------
  // SVG tiles: each feature is a <path> that a click or a test can find.
  var tileOptions = {rendererFactory: L.svg.tile, interactive: true, maxNativeZoom: 22,
                     maxZoom: 22, zIndex: 10,
                     // Revalidate (ETag) so a new draft shows at once on officials' maps.
                     fetchOptions: {credentials: "same-origin",
                                    cache: config.public ? "default" : "no-cache"}};
  var areas = L.vectorGrid.protobuf(areasUrl(), L.extend({
    className: "agt-areas", vectorTileLayerStyles: {"growing-areas": areaStyle}
  }, tileOptions)).addTo(map);
  var facilities = L.vectorGrid.protobuf(facilitiesUrl(), L.extend({
    className: "agt-facilities", zIndex: 11,
    vectorTileLayerStyles: {facilities: facilityStyle}
  }, tileOptions)).addTo(map);

  // Codes whose declared harvests pass their capacity (officials): a red outline over
  // the tiles, from the capacity ledger's GeoJSON rather than the tiles' own SQL.
  function overCapacityLayer() {
    var layer = L.geoJSON(null, {
      style: function () {
        return {color: "#d50000", weight: 4, dashArray: "8 5", fill: false,
                className: "agt-over-capacity"};
      },
      onEachFeature: function (feature, shape) {
        var p = feature.properties;
        shape.bindPopup(function () {
          var box = document.createElement("div");
          box.className = "agt-popup";
          var title = document.createElement("strong");
          title.textContent = p.code + " · " + text.over_capacity;
          box.appendChild(title);
          var list = document.createElement("dl");
          row(list, text.crop, p.crop);
          row(list, text.organisation, p.organization);
          row(list, text.capacity_kg, number(p.capacity_kg, 0));
          row(list, text.declared_kg, number(p.drawn_kg, 0) + " (" + number(p.percent, 0) + " %)");
          box.appendChild(list);
          return box;
        });
      }
    }).addTo(map);
    fetch(config.capacity, {credentials: "same-origin",
                            headers: {Accept: "application/geo+json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { layer.addData(data); } })
      .catch(function () { say(statusLine, text.capacity_failed); });
    return layer;
  }

  // Export codes whose inspection or corrective action is overdue (officials): orange
  // markers from the supervision GeoJSON.
  function overdueLayer() {
    var layer = L.geoJSON(null, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, {radius: 9, color: "#e65100", weight: 3,
                                       fillColor: "#ffb74d", fillOpacity: 0.9,
                                       className: "agt-overdue"});
      },
      onEachFeature: function (feature, shape) {
        var p = feature.properties;
        shape.bindPopup(function () {
          var box = document.createElement("div");
          box.className = "agt-popup";
          var title = document.createElement("strong");
          title.textContent = p.code + " · " + (p.overdue === "inspection" ?
            text.overdue_inspection : text.overdue_action);
          box.appendChild(title);
          var list = document.createElement("dl");
          row(list, text.name, p.name);
          if (p.market) { row(list, text.market, p.market); }
          row(list, text.due, p.due_on);
          box.appendChild(list);
          return box;
        });
      }
    }).addTo(map);
    fetch(config.overdue, {credentials: "same-origin",
                           headers: {Accept: "application/geo+json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { layer.addData(data); } })
      .catch(function () { say(statusLine, text.overdue_failed); });
    return layer;
  }

  var basemap = null;
  map.eachLayer(function (layer) { if (layer instanceof L.TileLayer) { basemap = layer; } });
  var baseLayers = {};
  if (basemap) {
    baseLayers[text.basemap] = basemap;
    basemap.once("tileerror", function () { say(statusLine, text.basemap_down); });
  }
  var overlays = {};
  overlays[text.areas] = areas;
  overlays[text.facilities] = facilities;
  if (config.capacity) { overlays[text.over_capacity] = overCapacityLayer(); }
  if (config.overdue) { overlays[text.overdue] = overdueLayer(); }
  L.control.layers(baseLayers, overlays).addTo(map);

  function loadWards(province) {
    var select = filters.elements.ward;
    while (select.options.length > 1) { select.remove(1); }
    select.disabled = !province;
    if (!province) { return Promise.resolve(); }
    return fetch(format(config.wards, {code: province}), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (wards) {
        wards.forEach(function (w) { select.add(new Option(w.name, w.code)); });
      });
  }
  if (filters) {
    filters.addEventListener("submit", function (e) { e.preventDefault(); });
    filters.addEventListener("change", function (e) {
      if (e.target.name === "province") {
        loadWards(e.target.value).then(applyFilters);
      } else {
        applyFilters();
      }
    });
  }
  document.querySelectorAll("input[name=colour-by]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      colourBy = radio.value;
      drawLegend();
      areas.redraw();
    });
  });
  drawLegend();

  // -- popups -----------------------------------------------------------------------
  function row(list, label, value) {
    if (value === undefined || value === null || value === "") { return; }
    var dt = document.createElement("dt");
    var dd = document.createElement("dd");
    dt.textContent = label;
    dd.textContent = value;
    list.appendChild(dt);
    list.appendChild(dd);
  }
  function link(parent, href, label) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = label;
    parent.appendChild(a);
    parent.appendChild(document.createTextNode(" "));
  }
  function areaPopup(p) {
    var box = document.createElement("div");
    box.className = "agt-popup";
    var title = document.createElement("strong");
    title.textContent = p.code || text.no_code;
    box.appendChild(title);
    var list = document.createElement("dl");
    row(list, text.name, p.name);
    row(list, text.crop, p.crop);
    if (!config.public) {
      row(list, text.status, (statuses[p.status] || {label: p.status}).label);
    }
    row(list, text.hectares, p.hectares === undefined ? "" : number(p.hectares, 2));
    row(list, text.organisation, p.organization);
    box.appendChild(list);
    var links = document.createElement("p");
    if (config.area && p.id !== undefined) {
      link(links, format(config.area, {id: encodeURIComponent(p.id)}), text.open_area);
    }
    if (p.code && ["issued", "suspended", "revoked"].indexOf(p.status || "issued") >= 0) {
      link(links, format(config.card, {code: encodeURIComponent(p.code)}), text.open_card);
    }
    box.appendChild(links);
    return box;
  }
  function facilityPopup(p) {
    var box = document.createElement("div");
    box.className = "agt-popup";
    var title = document.createElement("strong");
    title.textContent = p.name || "";
    box.appendChild(title);
    var list = document.createElement("dl");
    row(list, text.code, p.code);
    row(list, text.kind, text.kinds[p.kind] || p.kind);
    row(list, text.organisation, p.organization);
    box.appendChild(list);
    return box;
  }
  function popupOn(layer, content) {
    layer.on("click", function (e) {
      if (measuring) { return; }
      // Keep clear of the zoom, drawing and measuring buttons at the top left.
      L.popup({autoPanPaddingTopLeft: L.point(60, 20), maxWidth: 320})
        .setLatLng(e.latlng).setContent(content(e.layer.properties)).openOn(map);
    });
  }
  popupOn(areas, areaPopup);
  popupOn(facilities, facilityPopup);

  // -- search by code ---------------------------------------------------------------
  var found = null;
  var search = document.getElementById("map-search");
  if (search) {
    var searchStatus = document.getElementById("map-search-status");
    search.addEventListener("submit", function (e) {
      e.preventDefault();
      var code = search.elements.code.value.trim();
      if (!code) { return; }
      fetch(config.search + "?code=" + encodeURIComponent(code),
            {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (r) { return r.json().then(function (body) { return [r, body]; }); })
        .then(function (answer) {
          var body = answer[1];
          if (!answer[0].ok) { say(searchStatus, body.detail || text.search_failed); return; }
          if (found) { map.removeLayer(found); found = null; }
          if (!body.results.length) {
            say(searchStatus, format(text.found_none, {code: code}));
            return;
          }
          var b = body.results[0].bbox;
          var bounds = L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
          found = L.rectangle(bounds.pad(0.15), {color: "#000", weight: 2, dashArray: "6 4",
                                                 fill: false, interactive: false}).addTo(map);
          map.fitBounds(bounds.pad(0.5), {maxZoom: 18});
          say(searchStatus, body.results.length > 1
            ? format(text.found_many, {n: body.results.length})
            : (body.results[0].code || "") + " · " + body.results[0].name);
        })
        .catch(function () { say(searchStatus, text.search_failed); });
    });
  }

  // -- measuring distance and area (officials' map, with Leaflet.draw's geodesy) ----
  var measuring = false;
  if (!config.public && L.GeometryUtil && L.GeometryUtil.geodesicArea) {
    var points = [], line = null, shape = null, output = null, button = null;
    var Measure = L.Control.extend({
      options: {position: "topleft"},
      onAdd: function () {
        var box = L.DomUtil.create("div", "leaflet-bar agt-measure");
        button = L.DomUtil.create("a", "agt-measure-button", box);
        button.href = "#";
        button.setAttribute("role", "button");
        button.title = text.measure;
        button.setAttribute("aria-label", text.measure);
        button.textContent = "↔";
        output = L.DomUtil.create("output", "agt-measure-output", box);
        output.hidden = true;
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.on(button, "click", function (e) {
          L.DomEvent.preventDefault(e);
          if (measuring) { finish(); } else { begin(); }
        });
        return box;
      }
    });
    var clearShapes = function () {
      [line, shape].forEach(function (layer) { if (layer) { map.removeLayer(layer); } });
      line = shape = null;
    };
    var begin = function () {
      clearShapes();
      points = [];
      measuring = true;
      map.getContainer().classList.add("agt-measuring");
      map.doubleClickZoom.disable();
      button.classList.add("active");
      output.hidden = false;
      output.textContent = text.measure_hint;
    };
    var finish = function () {
      measuring = false;
      map.getContainer().classList.remove("agt-measuring");
      map.doubleClickZoom.enable();
      button.classList.remove("active");
    };
    var show = function () {
      clearShapes();
      var metres = 0;
      for (var i = 1; i < points.length; i++) { metres += map.distance(points[i - 1], points[i]); }
      var parts = [text.distance + ": " + (metres < 1000 ? number(metres, 0) + " m"
                                                         : number(metres / 1000, 2) + " km")];
      line = L.polyline(points, {color: "#c0392b", weight: 3, dashArray: "6 4",
                                 interactive: false}).addTo(map);
      if (points.length >= 3) {
        var m2 = L.GeometryUtil.geodesicArea(points);
        shape = L.polygon(points, {stroke: false, fillColor: "#c0392b", fillOpacity: 0.15,
                                   interactive: false}).addTo(map);
        parts.push(text.area + ": " + number(m2 / 10000, 2) + " ha (" + number(m2, 0) + " m²)");
      }
      output.textContent = parts.join(" · ");
    };
    map.on("click", function (e) {
      if (measuring) { points.push(e.latlng); show(); }
    });
    map.on("dblclick", function () {
      if (!measuring) { return; }
      // The double click's own two clicks added the last point twice.
      if (points.length > 1 && points[points.length - 1].equals(points[points.length - 2])) {
        points.pop();
        show();
      }
      finish();
    });
    new Measure().addTo(map);
  }

  // -- drawing a draft area (officials' map) -----------------------------------------
  var drawn = config.draw ? window["drawnItems_" + config.draw] : null;
  var draft = document.getElementById("draft-form");
  if (drawn && draft && config.api) {
    var draftStatus = document.getElementById("draft-status");
    var saved = document.getElementById("draft-saved");
    var geometry = function () {
      var polygons = [];
      drawn.eachLayer(function (layer) {
        var g = layer.toGeoJSON().geometry;
        if (g.type === "Polygon") { polygons.push(g.coordinates); }
      });
      if (!polygons.length) { return null; }
      return polygons.length === 1 ? {type: "Polygon", coordinates: polygons[0]}
                                   : {type: "MultiPolygon", coordinates: polygons};
    };
    map.on("draw:created", function () {
      if (measuring) { finish(); }
      saved.hidden = true;
      say(draftStatus, "");
      draft.hidden = false;
      draft.elements.name.focus();
    });
    map.on("draw:deleted", function () {
      if (!geometry()) { draft.hidden = true; }
    });
    document.getElementById("draft-cancel").addEventListener("click", function () {
      drawn.clearLayers();
      draft.hidden = true;
    });
    draft.addEventListener("submit", function (e) {
      e.preventDefault();
      var shape = geometry();
      if (!shape) { say(draftStatus, text.draw_first); return; }
      var body = {name: draft.elements.name.value, crop: draft.elements.crop.value,
                  organization_id: Number(draft.elements.organization_id.value),
                  geometry: shape};
      var ward = draft.elements.ward_code;
      if (ward && ward.value) { body.ward_code = Number(ward.value); }
      say(draftStatus, text.saving);
      fetch(config.api, {method: "POST", credentials: "same-origin",
                         headers: {"Content-Type": "application/json",
                                   "Accept": "application/json",
                                   "X-CSRFToken": config.csrf},
                         body: JSON.stringify(body)})
        .then(function (r) { return r.json().then(function (data) { return [r, data]; }); })
        .then(function (answer) {
          var data = answer[1];
          if (!answer[0].ok) {
            say(draftStatus, text.refused + " " + (data.detail || data.title || ""));
            return;
          }
          drawn.clearLayers();
          draft.reset();
          draft.hidden = true;
          say(draftStatus, "");
          saved.textContent = format(text.saved, {name: data.name,
                                                  ha: number(data.area_ha, 2)}) + " ";
          link(saved, format(config.area, {id: data.id}), text.open_area);
          saved.hidden = false;
          areas.redraw();
        })
        .catch(function () { say(draftStatus, text.refused); });
    });
  }
}());
