// The dashboard's charts, drawn from the figures the page embeds (json_script), and the phase
// list following the chosen campaign. No inline scripts (the CSP forbids them).
(function () {
  "use strict";

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  var won = new Intl.NumberFormat(document.documentElement.lang || "ko");
  var axis = { ticks: { callback: function (v) { return won.format(v); } } };
  var tooltip = {
    callbacks: {
      label: function (ctx) { return ctx.dataset.label + ": " + won.format(ctx.parsed.y) + "원"; },
    },
  };
  var labels = {
    ko: { charges: "충전", payments: "지갑 결제", pledged: "선결제 발행", redeemed: "선결제 사용",
          remaining: "남은 예산", forecast: "예측", sales: "시장에 풀린 돈" },
    en: { charges: "Charges", payments: "Wallet payments", pledged: "Prepaid issued",
          redeemed: "Redeemed", remaining: "Budget left", forecast: "Forecast",
          sales: "Released into the market" },
  };
  var t = labels[(document.documentElement.lang || "ko").slice(0, 2)] || labels.ko;

  function line(id, chartLabels, datasets) {
    var canvas = document.getElementById(id);
    if (!canvas || typeof Chart === "undefined") return;
    canvas.chart = new Chart(canvas, {
      type: "line",
      data: { labels: chartLabels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: axis }, plugins: { tooltip: tooltip },
      },
    });
  }

  function forecastLine(budget) {
    var f = budget.forecast;
    if (!f) return null;
    var from = Date.parse(f.from), end = Date.parse(f.runs_out_on);
    if (!(end > from)) return null;
    return budget.labels.map(function (label) {
      var d = Date.parse(label);
      if (d < from) return null;
      return Math.max(0, Math.round(f.remaining * (1 - (d - from) / (end - from))));
    });
  }

  function draw() {
    var charts = data("dashboard-charts");
    if (!charts) return;
    var days = charts.days;
    line("chart-days", days.labels, [
      { label: t.charges, data: days.charges },
      { label: t.payments, data: days.payments },
      { label: t.pledged, data: days.pledged },
      { label: t.redeemed, data: days.redeemed },
    ]);
    var budget = charts.budget, sets = [{ label: t.remaining, data: budget.remaining, fill: true }];
    var forecast = forecastLine(budget);
    if (forecast) sets.push({ label: t.forecast, data: forecast, borderDash: [6, 4] });
    line("chart-budget", budget.labels, sets);
    var districts = document.getElementById("chart-districts");
    if (districts && typeof Chart !== "undefined") {
      districts.chart = new Chart(districts, {
        type: "bar",
        data: {
          labels: charts.districts.labels,
          datasets: [
            { label: t.sales, data: charts.districts.sales },
            { label: t.pledged, data: charts.districts.pledged },
          ],
        },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          scales: { y: axis }, plugins: { tooltip: tooltip },
        },
      });
    }
  }

  function phasesFollowCampaign() {
    var form = document.getElementById("filters");
    var phases = data("dashboard-phases");
    if (!form || !phases) return;
    var campaign = form.querySelector("[name=campaign]");
    var phase = form.querySelector("[name=phase]");
    var byId = {};
    phases.forEach(function (p) { byId[String(p.id)] = p; });
    function sync() {
      Array.prototype.forEach.call(phase.options, function (option) {
        var p = byId[option.value];
        option.hidden = Boolean(p && campaign.value && String(p.campaign) !== campaign.value);
      });
      var chosen = byId[phase.value];
      if (chosen && campaign.value && String(chosen.campaign) !== campaign.value) phase.value = "";
    }
    campaign.addEventListener("change", sync);
    phase.addEventListener("change", function () {
      var chosen = byId[phase.value];
      if (chosen) campaign.value = String(chosen.campaign);
    });
    sync();
  }

  function start() { draw(); phasesFollowCampaign(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
