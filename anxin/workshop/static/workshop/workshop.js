// Workshop pages: the public booking page's "use my location" button. No CDN, no framework.
(function () {
  "use strict";
  var button = document.getElementById("use-location");
  if (!button) return;
  var status = document.getElementById("location-status");
  button.addEventListener("click", function () {
    if (!navigator.geolocation) {
      status.textContent = button.dataset.unsupported || "—";
      return;
    }
    status.textContent = "…";
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        document.getElementById("id_lat").value = pos.coords.latitude.toFixed(6);
        document.getElementById("id_lon").value = pos.coords.longitude.toFixed(6);
        status.textContent = "✓ " + pos.coords.latitude.toFixed(4) + ", " + pos.coords.longitude.toFixed(4);
      },
      function (err) { status.textContent = err.message; },
      { enableHighAccuracy: true, timeout: 10000 }
    );
  });
})();
