// Saved views take the table's query string at the moment they are saved, and
// scheduled deletes count down to their deadline ("Deleting in 4:32").
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var field = event.target.querySelector("[data-current-query]");
    if (field && window.location.pathname === field.getAttribute("data-table-path")) {
      field.value = window.location.search.replace(/^\?/, "");
    }
  }, true);

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = Math.max(0, Math.floor((Date.parse(el.getAttribute("data-deadline")) - now) / 1000));
      el.textContent = left > 0 ? Math.floor(left / 60) + ":" + pad(left % 60) : "now";
    });
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSettle", tick);
})();
