// Live progress: bar widths, the "sent over time" chart, and no polling from a hidden tab.
(() => {
  "use strict";

  let chart = null;

  // Widths are set here rather than in a style attribute, which the CSP (style-src 'self') forbids.
  function drawBars(root) {
    root.querySelectorAll(".progress-bar[data-percent]").forEach((bar) => {
      bar.style.width = `${Number(bar.dataset.percent) || 0}%`;
    });
  }

  function drawChart() {
    const data = document.getElementById("chart-data");
    // No id on the canvas: htmx copies attributes between same-id elements on swap, and the
    // style attribute Chart.js leaves on it would then be blocked by the CSP.
    const canvas = document.querySelector("canvas[data-chart=sent]");
    if (chart) {
      chart.destroy();
      chart = null;
    }
    if (!data || !canvas || typeof window.Chart === "undefined") return;
    const points = JSON.parse(data.textContent);
    chart = new window.Chart(canvas, {
      type: "line",
      data: {
        // Labels come from the server in Singapore time, 24-hour, like every time on the site.
        labels: points.map(([time]) => time),
        datasets: [{
          label: "Messages a second",
          data: points.map(([, count]) => count),
          borderColor: "#1b3c87",
          backgroundColor: "rgba(27, 60, 135, 0.12)",
          fill: true,
          tension: 0.2,
          pointRadius: points.length < 3 ? 3 : 0,  // a lone point has no line to show it
        }],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: {
          x: { title: { display: true, text: "Singapore time (24-hour)" } },
          y: { beginAtZero: true, title: { display: true, text: "Messages a second" } },
        },
      },
    });
  }

  // "Sending has started" is true while the campaign sends: once the polled progress shows
  // another status, the notice goes (base.html marks such notices with data-while).
  function dropStaleNotices() {
    const progress = document.getElementById("progress");
    if (!progress || !progress.dataset.status) return;
    document.querySelectorAll(".alert[data-while]").forEach((notice) => {
      if (notice.dataset.while !== progress.dataset.status) notice.remove();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    drawBars(document);
    drawChart();
    document.body.addEventListener("htmx:beforeRequest", (event) => {
      const poller = event.detail && event.detail.elt;
      if (document.visibilityState === "hidden" && poller && poller.hasAttribute("data-poll")) {
        event.preventDefault();
      }
    });
    document.body.addEventListener("htmx:afterSwap", () => {
      drawBars(document);
      drawChart();
      dropStaleNotices();
    });
  });
})();
