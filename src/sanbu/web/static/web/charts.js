// Dashboard charts (issue 7): every <div class="chart" data-chart-source="ID"> is drawn with the vendored
// ECharts from the JSON in <script type="application/json" id="ID"> (written by Django's json_script), the
// same numbers as the table below it. Canvas renderer, Chinese labels; a bar with a link opens it.
(function () {
  "use strict";
  var COLORS = ["#1f4f93", "#b4262b", "#d99500", "#1d6b3a", "#0f6a6a", "#5b6573", "#8a5a00"];
  var charts = [];

  function fmt(v, unit) {
    if (v === null || v === undefined) return "—";
    var n = Number(v);
    var text = Math.abs(n) >= 10000 ? n.toLocaleString("zh-CN") : String(Math.round(n * 100) / 100);
    return text + (unit ? " " + unit : "");
  }

  function option(spec) {
    var horizontal = !!spec.horizontal;
    var category = { type: "category", data: spec.categories, axisLabel: { interval: 0, width: 140, overflow: "truncate" } };
    if (horizontal) category.inverse = true;
    var value = { type: "value", name: spec.unit, axisLabel: { formatter: function (v) { return fmt(v, ""); } } };
    var series = spec.series.map(function (s, i) {
      var one = {
        name: s.name, type: spec.kind === "line" ? "line" : "bar", data: s.data, connectNulls: false,
        label: { show: spec.series.length === 1 || spec.kind !== "stack", position: horizontal ? "right" : "top",
                 formatter: function (p) { return p.value === null || p.value === undefined ? "" : fmt(p.value, ""); } },
      };
      if (spec.kind === "stack") { one.stack = "total"; one.label.show = false; }
      if (spec.kind === "line") { one.symbolSize = 8; }
      return one;
    });
    return {
      animation: false,
      color: COLORS,
      textStyle: { fontFamily: "\"Noto Sans CJK SC\", \"PingFang SC\", \"Microsoft YaHei\", sans-serif" },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return fmt(v, spec.unit); } },
      legend: { show: spec.series.length > 1, top: 0 },
      grid: { left: horizontal ? 150 : 50, right: 50, top: spec.series.length > 1 ? 36 : 24, bottom: 30, containLabel: false },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: series,
    };
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-chart-source"));
    if (!source || !window.echarts) return;
    var spec = JSON.parse(source.textContent);
    if (spec.horizontal) el.style.height = Math.max(220, 60 + spec.categories.length * (spec.series.length > 1 ? 44 : 32)) + "px";
    var chart = window.echarts.init(el, null, { renderer: "canvas", locale: "ZH" });
    chart.setOption(option(spec));
    if (spec.links && spec.links.length) {
      chart.on("click", function (p) {
        var href = spec.links[p.dataIndex];
        if (href) window.location.href = href;
      });
      el.style.cursor = "pointer";
    }
    el.setAttribute("data-rendered", "true");
    charts.push(chart);
  }

  function resizeAll() { charts.forEach(function (c) { c.resize(); }); }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll(".chart[data-chart-source]"), draw);
    window.addEventListener("resize", resizeAll);
    // Printing: open the data tables and redraw the charts at the paper's width.
    window.addEventListener("beforeprint", function () {
      Array.prototype.forEach.call(document.querySelectorAll("details.chart-data"), function (d) { d.setAttribute("open", ""); });
      resizeAll();
    });
    window.addEventListener("afterprint", resizeAll);
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
