// Segment Desk: small progressive enhancements. The pages work without it.
(function () {
  "use strict";

  // Remember the browser's time zone so dates render in the operator's zone.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("tz=" + encodeURIComponent(zone)) === -1) {
      document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; SameSite=Lax; max-age=31536000";
    }
  } catch (e) { /* keep the server's default zone */ }

  // Fields marked data-show-when="name=a,b" show only while that select has one of those values.
  function syncDependentFields(root) {
    root.querySelectorAll("[data-show-when]").forEach(function (field) {
      var rule = field.getAttribute("data-show-when").split("=");
      var form = field.closest("form");
      var control = form && form.elements[rule[0]];
      if (!control) { return; }
      var show = rule[1].split(",").indexOf(control.value) !== -1;
      field.hidden = !show;
      field.querySelectorAll("input, select").forEach(function (input) { input.disabled = !show; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { syncDependentFields(document); });
  document.addEventListener("change", function (event) {
    if (event.target.form) { syncDependentFields(event.target.form); }
  });
  document.addEventListener("htmx:afterSwap", function (event) { syncDependentFields(event.target); });
})();
