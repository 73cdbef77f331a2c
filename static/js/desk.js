// Segment Desk: small progressive enhancements. Every page works without it.
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

  function dialog() { return document.getElementById("dialog"); }

  function openDialog() {
    var d = dialog();
    if (!d) { return; }
    if (!d.open) { d.showModal(); }
    var focus = d.querySelector("[autofocus]") || d.querySelector("input:not([type=hidden]), button");
    if (focus) { focus.focus(); }
  }

  function closeDialog() {
    var d = dialog();
    if (d && d.open) { d.close(); }
  }

  document.addEventListener("DOMContentLoaded", function () { syncDependentFields(document); });
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.form) { syncDependentFields(target.form); }
    if (target.matches("[data-select-all]")) {
      var name = target.getAttribute("data-select-all");
      document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
        box.checked = target.checked;
      });
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    syncDependentFields(event.target);
  });
  document.addEventListener("open-dialog", openDialog);
  document.addEventListener("close-dialog", closeDialog);
  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-close-dialog]");
    if (closer && closer.closest("dialog")) {
      event.preventDefault();
      closeDialog();
    }
  });
})();
