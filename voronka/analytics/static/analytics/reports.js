// Reports: draws every chart of the page with Apache ECharts from the JSON beside it, and
// opens the deals behind a bar or point on click (each data item carries its "url").
(function () {
  "use strict";

  var lang = document.documentElement.lang || "ru";
  var money = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });

  function tooltip(params) {
    var list = Array.isArray(params) ? params : [params];
    var head = list.length ? list[0].axisValueLabel || list[0].name : "";
    return [head].concat(list.filter(function (p) { return p.value !== undefined && p.value !== null; })
      .map(function (p) {
        var budget = p.data && p.data.budget ? " · " + money.format(Number(p.data.budget)) : "";
        var value = typeof p.value === "number" && p.value % 1 ? p.value.toFixed(2) : p.value;
        return p.marker + p.seriesName + ": <b>" + value + "</b>" + budget;
      })).join("<br>");
  }

  function draw(el) {
    if (el._chart || typeof echarts === "undefined") return;
    var source = document.getElementById(el.dataset.chart);
    if (!source) return;
    var option = JSON.parse(source.textContent);
    option.tooltip = Object.assign({}, option.tooltip || {}, { formatter: tooltip });
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option);
    chart.on("click", function (p) {
      if (p.data && p.data.url) window.location.href = p.data.url;
    });
    el._chart = chart;
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init() {
    document.querySelectorAll("[data-chart]").forEach(draw);
    // Typing a date means "these dates", not the preset.
    document.querySelectorAll(".report-filters input[type=date]").forEach(function (input) {
      input.addEventListener("change", function () {
        var period = document.getElementById("f-period");
        if (period) period.value = "custom";
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
