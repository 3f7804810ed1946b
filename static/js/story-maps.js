// The growing areas on a batch's story: SVG outlines become Leaflet maps once Leaflet
// has loaded. The URLs come from the script tag's data attributes, since the story is
// rendered once and reused (no per-request nonce for an inline script).
(function () {
  var me = document.currentScript;
  var maps = document.querySelectorAll('.area-map[data-shape]');
  if (!me || !maps.length || !document.head.appendChild) return;
  // The stylesheet first: a map laid out before it measures its box wrongly.
  var css = document.createElement('link');
  css.rel = 'stylesheet';
  css.href = me.getAttribute('data-leaflet-css');
  css.onload = function () {
    var js = document.createElement('script');
    js.src = me.getAttribute('data-leaflet-js');
    js.onload = function () {
      Array.prototype.forEach.call(maps, function (el) {
        var shape = JSON.parse(el.getAttribute('data-shape'));
        el.innerHTML = '';
        el.classList.add('live');
        var map = L.map(el, {scrollWheelZoom: false, dragging: !L.Browser.mobile, tap: false});
        L.tileLayer(me.getAttribute('data-tiles'),
                    {attribution: me.getAttribute('data-attribution'), maxZoom: 19}).addTo(map);
        var layer = L.geoJSON(shape, {style: {color: '#1e8449', weight: 3, fillOpacity: 0.2}})
          .addTo(map);
        map.fitBounds(layer.getBounds(), {maxZoom: 17, padding: [12, 12]});
      });
    };
    document.head.appendChild(js);
  };
  document.head.appendChild(css);
})();
