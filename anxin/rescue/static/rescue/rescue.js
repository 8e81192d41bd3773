/* Rescue pages: live maps, map pick, tracking refresh, the crew's GPS reporting.
   Points arrive from the server with WGS-84 (lat/lon) and tile-datum (y/x) coordinates: the
   conversion is done once at the map edge on the server (prcoords), never stored. */
(function () {
  "use strict";

  // htmx leaves 4xx answers unswapped; ours carry the form errors or the fresh state.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var s = e.detail.xhr.status;
    if (s === 409 || s === 422 || s === 429) { e.detail.shouldSwap = true; e.detail.isError = false; }
  });

  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (err) { return ""; }
  }

  function makeMap(el) {
    var map = L.map(el, { preferCanvas: false });
    if (el.dataset.tileUrl) { L.tileLayer(el.dataset.tileUrl, { maxZoom: 18 }).addTo(map); }
    map.setView([30.27, 120.15], 10);
    el.anxinMarkers = {};
    el.anxinMap = map;
    el.anxinFitted = false;
    return map;
  }

  function setPoints(el, points) {
    var map = el.anxinMap, markers = el.anxinMarkers, seen = {};
    points.forEach(function (p) {
      if (!p) return;
      seen[p.id] = true;
      var style = { radius: p.kind === "job" ? 9 : 7, color: p.color || "#1f5fa8", weight: p.kind === "job" ? 3 : 2,
                    fillOpacity: p.kind === "job" ? 0.15 : 0.7, className: "mk-" + p.kind };
      var m = markers[p.id];
      if (m) { m.setLatLng([p.y, p.x]); m.setStyle(style); m.setTooltipContent(p.label); }
      else {
        m = L.circleMarker([p.y, p.x], style).bindTooltip(p.label, { direction: "top" }).addTo(map);
        if (p.url) { m.on("click", function () { window.location.href = p.url; }); }
        markers[p.id] = m;
      }
    });
    Object.keys(markers).forEach(function (id) { if (!seen[id]) { map.removeLayer(markers[id]); delete markers[id]; } });
    var ids = Object.keys(markers);
    if (!el.anxinFitted && ids.length) {
      var group = L.featureGroup(ids.map(function (id) { return markers[id]; }));
      if (ids.length === 1) { map.setView(group.getBounds().getCenter(), 13); }
      else { map.fitBounds(group.getBounds().pad(0.2), { maxZoom: 14 }); }
      el.anxinFitted = true;
    }
    el.dataset.markers = String(ids.length);
  }

  function readPoints(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent || "[]") : [];
  }

  function live(el) {
    var load = function () {
      fetch(el.dataset.liveUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) { setPoints(el, (data.jobs || []).concat(data.units || [])); } })
        .catch(function () { /* the next poll retries */ });
    };
    load();
    setInterval(load, 5000);
  }

  function picker(el) {
    var crs = el.dataset.tileCrs || "wgs84";
    var lat = document.getElementById("id_lat"), lon = document.getElementById("id_lon");
    var system = document.getElementById("id_coord_system");
    var mark = null;
    el.anxinMap.on("click", function (e) {
      lat.value = e.latlng.lat.toFixed(6); lon.value = e.latlng.lng.toFixed(6);
      if (system) { system.value = crs; }
      if (mark) { mark.setLatLng(e.latlng); } else { mark = L.marker(e.latlng).addTo(el.anxinMap); }
      el.dataset.picked = "1";
    });
    [lat, lon].forEach(function (input) {
      input.addEventListener("input", function () { if (system) { system.value = "wgs84"; } });
    });
  }

  function initMaps() {
    if (typeof L === "undefined") return;
    document.querySelectorAll(".rescue-map").forEach(function (el) {
      makeMap(el);
      if (el.dataset.pointsId) { setPoints(el, readPoints(el.dataset.pointsId)); }
      if (el.dataset.liveUrl) { live(el); }
      if (el.dataset.pick) { picker(el); }
    });
  }

  // The tracking page: the status block is polled; its points move the unit on the map.
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "track-status") {
      var el = document.getElementById("track-map");
      if (el && el.anxinMap) { setPoints(el, readPoints("track-points")); }
    }
  });

  function gps() {
    var box = document.getElementById("gps"), start = document.getElementById("gps-start");
    if (!box || !start) return;
    var status = document.getElementById("gps-status"), last = 0;
    start.addEventListener("click", function () {
      if (!navigator.geolocation) { status.textContent = box.dataset.msgUnsupported || "定位不可用 / Geolocation unavailable"; return; }
      status.textContent = "…";
      navigator.geolocation.watchPosition(function (pos) {
        var now = Date.now();
        if (now - last < 15000) return; // one fix every 15 s is enough for the map and the ETA
        last = now;
        var c = pos.coords, speed = c.speed == null ? null : Math.min(250, c.speed * 3.6);
        var body = { fixes: [{ unit: box.dataset.unit, at: new Date(pos.timestamp || now).toISOString(),
                               lat: c.latitude, lon: c.longitude, speed_kmh: speed, heading: c.heading }] };
        fetch(box.dataset.url, { method: "POST", credentials: "same-origin",
                                 headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
                                 body: JSON.stringify(body) })
          .then(function (r) { return r.json().then(function (d) { return [r.status, d]; }); })
          .then(function (res) {
            var d = res[1], when = new Date().toLocaleTimeString("zh-CN", { hour12: false });
            if (res[0] === 200 && d.accepted) { status.textContent = "✓ " + when + " " + c.latitude.toFixed(5) + ", " + c.longitude.toFixed(5); box.dataset.sent = String((+box.dataset.sent || 0) + 1); }
            else {
              var why = (d.rejected || []).map(function (r) { return r.msg; }).join("; ") || (typeof d.detail === "string" ? d.detail : res[0]);
              status.textContent = "✗ " + when + " " + why; box.dataset.failed = "1";
            }
          })
          .catch(function (err) { status.textContent = "✗ " + err; });
      }, function (err) { status.textContent = "✗ " + err.message; }, { enableHighAccuracy: true, maximumAge: 10000, timeout: 20000 });
    });
  }

  // The public form: the phone's position fills the coordinates (browsers give WGS-84).
  function useLocation() {
    var btn = document.getElementById("use-location");
    if (!btn) return;
    var status = document.getElementById("location-status");
    btn.addEventListener("click", function () {
      if (!navigator.geolocation) { status.textContent = "✗"; return; }
      status.textContent = "…";
      navigator.geolocation.getCurrentPosition(function (pos) {
        document.getElementById("id_lat").value = pos.coords.latitude.toFixed(6);
        document.getElementById("id_lon").value = pos.coords.longitude.toFixed(6);
        var system = document.getElementById("id_coord_system"); if (system) { system.value = "wgs84"; }
        status.textContent = "✓ ±" + Math.round(pos.coords.accuracy) + " m";
      }, function (err) { status.textContent = "✗ " + err.message; }, { enableHighAccuracy: true, timeout: 20000 });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { initMaps(); gps(); useLocation(); });
})();
