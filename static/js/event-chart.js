// The event page's chart, kept live (issue 11 point 8): re-fetch the chart partial (events:chart) every few seconds
// and swap it in. A file of its own, not inline, so the Content-Security-Policy (script-src 'self') holds. Without
// JavaScript the page still shows the chart as it was when loaded.
(function () {
  "use strict";
  var box = document.getElementById("event-chart-live");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-chart-url");
  var seconds = parseFloat(box.getAttribute("data-refresh-seconds")) || 5;
  var busy = false;

  function refresh() {
    if (busy || document.hidden) {
      return; // one request at a time; none while the tab is hidden
    }
    busy = true;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" }, cache: "no-store" })
      .then(function (answer) {
        if (!answer.ok) {
          throw new Error("HTTP " + answer.status);
        }
        return answer.text();
      })
      .then(function (html) {
        box.innerHTML = html;
        box.setAttribute("data-refreshed", new Date().toISOString());
      })
      .catch(function () {
        // a failed refresh (server restarting, signed out) keeps the chart shown; the next tick tries again
      })
      .then(function () {
        busy = false;
      });
  }

  window.setInterval(refresh, seconds * 1000);
})();
