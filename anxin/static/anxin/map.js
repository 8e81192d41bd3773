/* Draws the points of a list page on a Leaflet map. Coordinates arrive in WGS-84; when a tile
   set in GCJ-02 or BD-09 is configured, they are shifted here, at the map edge only. */
(function () {
  "use strict";
  var PI = Math.PI, A = 6378245.0, EE = 0.00669342162296594323, XPI = PI * 3000.0 / 180.0;
  function outOfChina(lat, lon) { return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271; }
  function tLat(x, y) { var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3; r += (20 * Math.sin(y * PI) + 40 * Math.sin(y / 3 * PI)) * 2 / 3;
    r += (160 * Math.sin(y / 12 * PI) + 320 * Math.sin(y * PI / 30)) * 2 / 3; return r; }
  function tLon(x, y) { var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3; r += (20 * Math.sin(x * PI) + 40 * Math.sin(x / 3 * PI)) * 2 / 3;
    r += (150 * Math.sin(x / 12 * PI) + 300 * Math.sin(x / 30 * PI)) * 2 / 3; return r; }
  function wgsToGcj(lat, lon) {
    if (outOfChina(lat, lon)) return [lat, lon];
    var dLat = tLat(lon - 105, lat - 35), dLon = tLon(lon - 105, lat - 35), rad = lat / 180 * PI;
    var m = Math.sin(rad); m = 1 - EE * m * m; var s = Math.sqrt(m);
    dLat = (dLat * 180) / ((A * (1 - EE)) / (m * s) * PI); dLon = (dLon * 180) / (A / s * Math.cos(rad) * PI);
    return [lat + dLat, lon + dLon];
  }
  function gcjToBd(lat, lon) { var z = Math.sqrt(lon * lon + lat * lat) + 0.00002 * Math.sin(lat * XPI);
    var t = Math.atan2(lat, lon) + 0.000003 * Math.cos(lon * XPI); return [z * Math.sin(t) + 0.006, z * Math.cos(t) + 0.0065]; }
  function toTiles(crs, lat, lon) {
    if (crs === "gcj02") return wgsToGcj(lat, lon);
    if (crs === "bd09") { var g = wgsToGcj(lat, lon); return gcjToBd(g[0], g[1]); }
    return [lat, lon];
  }
  window.anxinMap = function (el, points) {
    var crs = el.dataset.tileCrs || "wgs84";
    var map = L.map(el);  // SVG markers: a few hundred points, each hoverable and testable
    if (el.dataset.tileUrl) { L.tileLayer(el.dataset.tileUrl, { maxZoom: 18 }).addTo(map); }
    var layer = L.featureGroup().addTo(map);
    points.forEach(function (p) {
      var ll = toTiles(crs, p.lat, p.lon);
      var m = L.circleMarker(ll, { radius: p.radius || 7, color: p.color || "#0b6e4f", weight: 2, fillOpacity: 0.6 });
      m.bindTooltip(p.label, { permanent: !!p.permanent, direction: "top" });
      m.addTo(layer);
    });
    if (points.length) { map.fitBounds(layer.getBounds().pad(0.15)); } else { map.setView([30.27, 120.15], 10); }
    el.anxinMap = map; el.dataset.markers = String(points.length);
    return map;
  };
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("map");
    if (!el || !el.dataset.pointsUrl) return;
    fetch(el.dataset.pointsUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); })
      .then(function (data) { window.anxinMap(el, data.points || []); });
  });
})();
