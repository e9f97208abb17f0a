/* EHR Ledger portal, cluster page: this replica's latency over time, live (Chart.js 4 with the annotation
 * plugin, vendored under resources/vendor/chartjs). Polls the page's own /admin/cluster/timeline (the
 * administrator's portal session; the JSON API at /api/v1/cluster/timeline gives the same for a bearer token).
 * No inline scripts: the CSP forbids them. */
(function () {
  "use strict";

  var POLL_MS = 1500;
  var COLOURS = {
    p50: "#0f5c6e", p99: "#b3261e", throughput: "rgba(26, 138, 158, 0.28)", failed: "rgba(179, 38, 30, 0.35)",
    VIEW_CHANGE: "#c77700", EMERGENCY_DECLARED: "#b3261e", EMERGENCY_ENDED: "#1e7d4f",
    REPLICA_JOINED: "#5f6b7a", REPLICA_LEFT: "#5f6b7a"
  };

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function clock(ms) {
    var d = new Date(ms);
    return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }

  /** A second with an answer but none on either side is a dot (a line needs two); others are drawn as lines. */
  function isolated(ctx) {
    var d = ctx.dataset.data, i = ctx.dataIndex;
    if (!d || !d[i] || d[i].y === null) { return 0; }
    var before = i > 0 && d[i - 1] && d[i - 1].y !== null, after = i < d.length - 1 && d[i + 1] && d[i + 1].y !== null;
    return before || after ? 0 : 3;
  }

  function chart(canvas) {
    return new window.Chart(canvas, {
      data: {
        datasets: [
          { type: "line", label: "p50 latency (ms)", yAxisID: "ms", data: [], borderColor: COLOURS.p50,
            backgroundColor: COLOURS.p50, borderWidth: 2, pointRadius: isolated, pointHoverRadius: 5, spanGaps: false, tension: 0.2 },
          { type: "line", label: "p99 latency (ms)", yAxisID: "ms", data: [], borderColor: COLOURS.p99,
            backgroundColor: COLOURS.p99, borderWidth: 1.5, pointRadius: isolated, pointHoverRadius: 5, spanGaps: false, tension: 0.2 },
          { type: "bar", label: "committed requests / s", yAxisID: "rate", data: [], backgroundColor: COLOURS.throughput,
            borderWidth: 0, barPercentage: 1, categoryPercentage: 1, stack: "rate" },
          { type: "bar", label: "failed requests / s", yAxisID: "rate", data: [], backgroundColor: COLOURS.failed,
            borderWidth: 0, barPercentage: 1, categoryPercentage: 1, stack: "rate" }
        ]
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { type: "linear", ticks: { maxRotation: 0, autoSkipPadding: 24, callback: function (v) { return clock(v); } },
               grid: { color: "#eef2f6" } },
          ms: { type: "linear", position: "left", beginAtZero: true, title: { display: true, text: "latency (ms)" },
                grid: { color: "#eef2f6" } },
          rate: { type: "linear", position: "right", beginAtZero: true, stacked: true, title: { display: true, text: "requests / s" },
                  grid: { drawOnChartArea: false } }
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 14 } },
          tooltip: { callbacks: { title: function (items) { return items.length ? clock(items[0].parsed.x) : ""; } } },
          annotation: { annotations: {} }
        }
      }
    });
  }

  function markers(events) {
    var out = {};
    events.forEach(function (e, i) {
      out["event" + i] = {
        type: "line", xMin: e.at, xMax: e.at, borderColor: COLOURS[e.kind] || "#5f6b7a", borderWidth: 2,
        borderDash: e.kind === "VIEW_CHANGE" ? [6, 4] : [],
        label: { display: true, content: e.label, position: i % 2 ? "end" : "start", rotation: 0,
                 backgroundColor: COLOURS[e.kind] || "#5f6b7a", color: "#fff", font: { size: 11 }, padding: 3 }
      };
    });
    return out;
  }

  function listEvents(list, events) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    if (!events.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = "none";
      list.appendChild(none);
      return;
    }
    events.slice().reverse().forEach(function (e) {
      var li = document.createElement("li");
      li.setAttribute("data-kind", e.kind);
      var dot = document.createElement("span");
      dot.className = "kind " + e.kind;
      var when = document.createElement("time");
      when.dateTime = new Date(e.at).toISOString();
      when.textContent = clock(e.at);
      li.appendChild(dot);
      li.appendChild(when);
      li.appendChild(document.createTextNode(e.label));
      list.appendChild(li);
    });
  }

  function show(c, canvas, list, status, timeline) {
    var p50 = [], p99 = [], rate = [], failed = [], points = 0, recent = 0, worst = 0;
    timeline.seconds.forEach(function (s) {
      var x = s.at + 500;
      var answered = s.committed > 0;
      p50.push({ x: x, y: answered ? s.p50Millis : null });
      p99.push({ x: x, y: answered ? s.p99Millis : null });
      rate.push({ x: x, y: s.committed });
      failed.push({ x: x, y: s.failed });
      if (answered) {
        points++;
        if (s.at > timeline.now - 60000) { recent += s.committed; worst = Math.max(worst, s.p99Millis); }
      }
    });
    c.data.datasets[0].data = p50;
    c.data.datasets[1].data = p99;
    c.data.datasets[2].data = rate;
    c.data.datasets[3].data = failed;
    c.options.scales.x.min = timeline.seconds.length ? timeline.seconds[0].at : undefined;
    c.options.scales.x.max = timeline.now;
    c.options.plugins.annotation.annotations = markers(timeline.events);
    c.update("none");
    canvas.setAttribute("data-points", String(points));
    canvas.setAttribute("data-markers", String(timeline.events.length));
    listEvents(list, timeline.events);
    status.textContent = "replica " + (timeline.replicaId + 1) + " · updated " + clock(timeline.now) + " · "
      + recent + " requests in the last minute" + (recent ? ", worst p99 " + Math.round(worst) + " ms" : "");
    status.classList.remove("stale");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var canvas = document.getElementById("latency-chart");
    if (!canvas || !window.Chart) { return; }
    var list = document.getElementById("timeline-events");
    var status = document.getElementById("latency-status");
    var url = canvas.getAttribute("data-source") + "?seconds=" + (canvas.getAttribute("data-seconds") || "300");
    var c = chart(canvas);
    var busy = false;

    function poll() {
      if (busy || document.hidden) { return; }
      busy = true;
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, redirect: "manual" })
        .then(function (r) {
          var json = (r.headers.get("Content-Type") || "").indexOf("application/json") === 0;
          if (!r.ok || !json) { throw new Error(r.type === "opaqueredirect" ? "your session ended: reload the page" : "HTTP " + r.status); }
          return r.json();
        })
        .then(function (t) { show(c, canvas, list, status, t); })
        .catch(function (e) {
          status.textContent = "not updated (" + e.message + "); retrying";
          status.classList.add("stale");
        })
        .then(function () { busy = false; });
    }
    poll();
    setInterval(poll, POLL_MS);
  });
}());
