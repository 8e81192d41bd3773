/* Quality dashboard: the map of cities and outlets, sparklines of the tiles, funnel plots. */
(function () {
  "use strict";
  function sparklines() {
    document.querySelectorAll(".spark[data-trend]").forEach(function (el) {
      var values = el.dataset.trend.split(",").map(function (v) { return v === "None" || v === "" ? null : Number(v); });
      if (!values.some(function (v) { return v !== null; })) return;
      var chart = echarts.init(el, null, { renderer: "svg" });
      chart.setOption({
        animation: false,
        grid: { left: 2, right: 2, top: 4, bottom: 4 }, tooltip: { trigger: "axis" },
        xAxis: { type: "category", show: false, data: el.dataset.months.split(",") },
        yAxis: { type: "value", show: false, scale: true },
        series: [{ type: "line", data: values, symbolSize: 4, connectNulls: true, lineStyle: { width: 2 } }]
      });
    });
  }
  function funnel(el) {
    fetch(el.dataset.controlUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (d) {
      if (!d.available || !d.points.length) { el.textContent = "—"; el.style.height = "auto"; return; }
      var chart = echarts.init(el, null, { renderer: "svg" });
      var line = function (k) { return d.limits.map(function (l) { return [l.n, Number(l[k].toFixed(2))]; }); };
      el.dataset.points = String(d.points.length);
      chart.setOption({
        animation: false,  // a control chart is read, not watched: draw it at once
        tooltip: { trigger: "item", formatter: function (p) { return p.data.name ? p.data.name + "<br>" + p.data.value[1] + "% (n=" + p.data.value[0] + ")" : p.seriesName; } },
        xAxis: { type: "log", name: "n", min: 1 }, yAxis: { type: "value", name: "%", min: 0, max: 100 },
        grid: { left: 40, right: 20, top: 20, bottom: 30 },
        series: [
          { name: "points", type: "scatter", symbolSize: 9, data: d.points.map(function (p) { return { name: p.name, value: [p.n, p.rate], url: p.url }; }) },
          { name: "centre " + d.centre + "%", type: "line", showSymbol: false, data: d.limits.map(function (l) { return [l.n, d.centre]; }), lineStyle: { color: "#495057" } },
          { name: "3σ", type: "line", showSymbol: false, data: line("hi3"), lineStyle: { color: "#c92a2a" } },
          { name: "3σ", type: "line", showSymbol: false, data: line("lo3"), lineStyle: { color: "#c92a2a" } },
          { name: "2σ", type: "line", showSymbol: false, data: line("hi2"), lineStyle: { color: "#f08c00", type: "dashed" } },
          { name: "2σ", type: "line", showSymbol: false, data: line("lo2"), lineStyle: { color: "#f08c00", type: "dashed" } }
        ]
      });
      chart.on("click", function (p) { if (p.data && p.data.url) window.location.search = p.data.url.slice(1); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    sparklines();
    document.querySelectorAll(".chart[data-control-url]").forEach(funnel);
    var el = document.getElementById("quality-map");
    if (el) {
      fetch(el.dataset.pointsUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
        var map = window.anxinMap(el, data.points || []);
        el.dataset.cities = String((data.points || []).filter(function (p) { return p.kind === "city"; }).length);
        map.eachLayer(function (layer) {
          if (!layer.getTooltip || !layer.getTooltip()) return;
          var label = layer.getTooltip().getContent();
          var point = (data.points || []).find(function (p) { return p.label === label; });
          if (point && point.url) layer.on("click", function () { window.location.search = point.url.slice(1); });
        });
      });
    }
  });
})();
