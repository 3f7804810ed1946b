// The scan page's offer to check again with the buyer's rounded location (kept out
// of the page: the Content Security Policy runs no inline script without a nonce,
// and the scan page's frame is cached, so it cannot carry one).
(function () {
  var form = document.getElementById('share-location');
  if (!form || !navigator.geolocation) return;
  form.hidden = false;
  form.addEventListener('submit', function (event) {
    if (form.lat.value) return;
    event.preventDefault();
    navigator.geolocation.getCurrentPosition(function (p) {
      form.lat.value = p.coords.latitude.toFixed(1);
      form.lon.value = p.coords.longitude.toFixed(1);
      form.submit();
    }, function () { form.hidden = true; }, {maximumAge: 600000, timeout: 15000});
  });
})();
