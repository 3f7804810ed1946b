// Keeps a form's hidden GeoJSON input in step with the polygon drawn on the map
// (Leaflet.draw through folium). The input names its map and draw control:
// <input type="hidden" name="geometry" data-map="map_x" data-draw="draw_y">
(function () {
  "use strict";
  function polygonsOf(group) {
    var polygons = [];
    group.eachLayer(function (layer) {
      var geometry = layer.toGeoJSON().geometry;
      if (geometry.type === "Polygon") { polygons.push(geometry.coordinates); }
    });
    return polygons;
  }
  function bind(input) {
    var map = window[input.dataset.map];
    var group = window["drawnItems_" + input.dataset.draw];
    if (!map || !group) { return; }
    var status = document.getElementById(input.dataset.status || "");
    function update() {
      var polygons = polygonsOf(group);
      if (polygons.length === 0) {
        input.value = "";
      } else if (polygons.length === 1) {
        input.value = JSON.stringify({type: "Polygon", coordinates: polygons[0]});
      } else {
        input.value = JSON.stringify({type: "MultiPolygon", coordinates: polygons});
      }
      if (status) { status.textContent = polygons.length + " ✓"; }
      input.dispatchEvent(new Event("change"));
    }
    map.on("draw:created draw:edited draw:deleted", function () { setTimeout(update, 0); });
  }
  function start() {
    document.querySelectorAll("input[data-draw]").forEach(bind);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
