/* The customer's drawn signature (救援服务确认单), vanilla JS, no dependencies.
 *
 * Any element with [data-signature-pad] holding a <canvas> and a hidden input
 * name="signature_svg" becomes a pad. Strokes are recorded as SVG path data in canvas pixels
 * and written to the hidden input after every stroke (not on submit: htmx collects the form's
 * values on the same submit event, and the order of listeners is not ours to choose). The
 * server re-checks and re-writes the SVG; this file only draws.
 */
(function () {
  "use strict";
  if (window.anxinSignature) { window.anxinSignature.scan(document); return; }

  function setup(pad) {
    if (pad.dataset.ready) return;
    pad.dataset.ready = "1";
    var canvas = pad.querySelector("canvas");
    var input = pad.querySelector('input[name="signature_svg"]');
    var clear = pad.querySelector("[data-signature-clear]");
    var ctx = canvas.getContext("2d");
    var strokes = [];
    var current = null;

    function fit() {
      // Size the bitmap to the displayed box (375-px phones included) at the device's ratio.
      var ratio = window.devicePixelRatio || 1;
      var rect = canvas.getBoundingClientRect();
      canvas.width = Math.max(1, Math.round(rect.width * ratio));
      canvas.height = Math.max(1, Math.round(rect.height * ratio));
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
      redraw();
    }
    function redraw() {
      var rect = canvas.getBoundingClientRect();
      ctx.clearRect(0, 0, rect.width, rect.height);
      strokes.forEach(function (s) {
        ctx.beginPath();
        s.forEach(function (p, i) { if (i === 0) ctx.moveTo(p[0], p[1]); else ctx.lineTo(p[0], p[1]); });
        if (s.length === 1) ctx.lineTo(s[0][0] + 0.1, s[0][1] + 0.1);
        ctx.stroke();
      });
    }
    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return [Math.round((event.clientX - rect.left) * 10) / 10, Math.round((event.clientY - rect.top) * 10) / 10];
    }
    function serialise() {
      var rect = canvas.getBoundingClientRect();
      var paths = strokes.filter(function (s) { return s.length > 1; }).map(function (s) {
        return '<path d="M' + s.map(function (p) { return p[0] + " " + p[1]; }).join(" L") + '"/>';
      });
      input.value = paths.length ? '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ' +
        Math.round(rect.width) + " " + Math.round(rect.height) + '">' + paths.join("") + "</svg>" : "";
    }
    canvas.addEventListener("pointerdown", function (e) {
      e.preventDefault();
      canvas.setPointerCapture(e.pointerId);
      current = [point(e)];
      strokes.push(current);
      redraw();
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!current) return;
      e.preventDefault();
      var p = point(e), last = current[current.length - 1];
      if (Math.abs(p[0] - last[0]) + Math.abs(p[1] - last[1]) < 1.5) return;  // fewer, smoother points
      current.push(p);
      redraw();
    });
    function end() { if (current) { current = null; serialise(); } }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("pointerleave", end);
    clear.addEventListener("click", function () { strokes = []; serialise(); redraw(); });
    window.addEventListener("resize", fit);
    fit();
  }

  function scan(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("[data-signature-pad]").forEach(setup);
  }
  window.anxinSignature = { scan: scan };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  } else {
    scan(document);
  }
  // Pads that arrive in an htmx swap (the form re-rendered with errors) are set up too.
  document.addEventListener("htmx:load", function (e) { scan(e.detail.elt.parentNode || document); });
})();
