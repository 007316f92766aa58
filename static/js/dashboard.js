// Dashboards: draws the charts with Apache ECharts from the JSON block the page embeds (#dashboard-data).
// Every number shown here is also in the page's tables, which is what readers without the charts use; each chart
// keeps the page's own aria-label, which points to those tables (ECharts' generated description lists raw codes).
(function () {
  "use strict";

  var source = document.getElementById("dashboard-data");
  if (!source || !window.echarts) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var labels = data.labels || {};
  // The separator between a label and its value comes with the labels: full-width "：" in Chinese.
  var COLON = labels.colon || ": ";
  var locale = (document.documentElement.lang || "").indexOf("zh") === 0 ? "ZH" : "EN";
  var encode = echarts.format.encodeHTML;
  var charts = [];
  var GREEN = "#1f7a4d";
  var MUTED = "#5c6670";

  function chartOn(id) {
    var element = document.getElementById(id);
    if (!element) {
      return null;
    }
    var chart = echarts.init(element, null, { locale: locale, renderer: "canvas" });
    // Marks a chart whose drawing (and animation) has finished, for print and for tests that take pictures.
    chart.on("finished", function () {
      element.setAttribute("data-rendered", "true");
    });
    charts.push(chart);
    return chart;
  }

  function pct(value) {
    return value === null || value === undefined ? "—" : Number(value).toFixed(1) + "%";
  }

  function follow(params) {
    if (params.data && params.data.url) {
      window.location.href = params.data.url;
    }
  }

  function drawMap(chart) {
    fetch(data.map_url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("map " + response.status);
        }
        return response.json();
      })
      .then(function (geo) {
        // Each district's figures find their shape by the district's name: the schematic map carries no codes.
        echarts.registerMap("tianjin", geo);
        chart.setOption({
          tooltip: {
            trigger: "item",
            formatter: function (params) {
              var d = params.data;
              if (!d) {
                return encode(params.name) + "<br>" + encode(labels.no_data);
              }
              if (d.no_roster) {
                return "<strong>" + encode(d.label) + "</strong><br>" + encode(labels.no_roster);
              }
              return (
                "<strong>" + encode(d.label) + "</strong><br>" +
                encode(labels.met) + COLON + d.met + " / " + d.roster + "<br>" +
                encode(labels.met_share) + COLON + pct(d.share) + "<br>" +
                encode(labels.target) + COLON + pct(d.target) + "<br>" +
                encode(labels.of_target) + COLON + pct(d.of_target) + "<br>" +
                encode(labels.status) + COLON + encode(d.status)
              );
            },
          },
          visualMap: {
            type: "piecewise",
            left: 0,
            top: 0,
            itemWidth: 14,
            itemHeight: 10,
            textStyle: { fontSize: 11 },
            pieces: [
              { gte: 100, label: labels.reached, color: GREEN },
              { gte: 75, lt: 100, color: "#7cc39a" },
              { gte: 50, lt: 75, color: "#f2c46d" },
              { lt: 50, color: "#e07a6f" },
            ],
          },
          series: [
            {
              type: "map",
              map: "tianjin",
              data: data.map,
              selectedMode: false,
              top: 8,
              bottom: 8,
              itemStyle: { areaColor: "#eef1f3", borderColor: "#fff" },
              emphasis: { label: { show: true }, itemStyle: { areaColor: "#145a37" } },
              label: {
                show: true,
                fontSize: 10,
                color: "#1d2327",
                formatter: function (params) {
                  return params.data ? params.data.label : "";
                },
              },
              labelLayout: { hideOverlap: true },
            },
          ],
        });
        chart.on("click", follow);
      })
      .catch(function () {
        chart.getDom().textContent = labels.no_data;
      });
  }

  function drawTrend(chart) {
    var series = [
      {
        name: labels.met_share,
        type: "line",
        data: data.trend,
        symbolSize: 5,
        itemStyle: { color: GREEN },
      },
      {
        name: labels.target,
        type: "line",
        data: data.targets,
        symbol: "diamond",
        symbolSize: 12,
        itemStyle: { color: "#9a5b00" },
        lineStyle: { type: "dotted", width: 1 },
        label: {
          show: true,
          position: "left",
          formatter: function (params) {
            return pct(params.value[1]);
          },
        },
      },
    ];
    if (data.projection && data.projection.length) {
      series.push({
        name: labels.projection,
        type: "line",
        data: data.projection,
        symbolSize: 5,
        itemStyle: { color: MUTED },
        lineStyle: { type: "dashed" },
      });
    }
    chart.setOption({
      tooltip: { trigger: "axis", valueFormatter: pct },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "time" },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: series,
    });
  }

  function drawBars(chart, rows, target, name) {
    chart.getDom().style.height = Math.max(220, rows.length * 26 + 60) + "px";
    chart.resize();
    var bars = {
      type: "bar",
      name: name,
      data: rows.map(function (row) {
        return {
          value: row.value,
          url: row.url,
          text: row.text,
          met: row.met,
          roster: row.roster,
          no_roster: row.no_roster,
        };
      }),
      itemStyle: { color: GREEN },
      label: {
        show: true,
        position: "right",
        formatter: function (params) {
          // A unit without urban communities has no share: it says so instead of drawing an empty 0.0% bar.
          return params.data.no_roster ? labels.no_roster : pct(params.value);
        },
      },
    };
    if (target !== null && target !== undefined) {
      bars.markLine = {
        symbol: "none",
        lineStyle: { color: "#9a5b00", type: "dashed" },
        // The category axis runs top to bottom, so the line's start is at the top, clear of the value axis.
        label: { position: "start", formatter: labels.target + " " + pct(target) },
        data: [{ xAxis: target }],
      };
    }
    chart.setOption({
      tooltip: {
        trigger: "item",
        formatter: function (params) {
          var d = params.data;
          var lines = ["<strong>" + encode(params.name) + "</strong>"];
          if (d.text) {
            lines.push(encode(d.text));
          }
          if (d.no_roster) {
            lines.push(encode(labels.no_roster));
            return lines.join("<br>");
          }
          if (d.roster !== undefined) {
            lines.push(encode(labels.met) + COLON + d.met + " / " + d.roster);
          }
          lines.push(encode(name) + COLON + pct(d.value));
          return lines.join("<br>");
        },
      },
      grid: { left: 8, right: 48, top: 24, bottom: 8, containLabel: true },
      xAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      yAxis: {
        type: "category",
        inverse: true,
        data: rows.map(function (row) { return row.name; }),
        axisLabel: { width: 110, overflow: "truncate" },
      },
      series: [bars],
    });
    chart.on("click", follow);
  }

  var map = chartOn("map");
  if (map) {
    drawMap(map);
  }
  var trend = chartOn("trend");
  if (trend) {
    drawTrend(trend);
  }
  var streets = chartOn("bars");
  if (streets) {
    drawBars(streets, data.bars || [], data.bar_target, labels.met_share);
  }
  var items = chartOn("items");
  if (items) {
    drawBars(items, data.items || [], null, labels.pass_rate);
  }

  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(function () {
      charts.forEach(function (chart) {
        chart.resize();
      });
    }, 100);
  });
})();
