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
    // [autofocus]: the safe default, or the field to correct in a form sent back (forms.FocusFirstError).
    var focus = d.querySelector("[autofocus]") || d.querySelector("input:not([type=hidden]), button");
    if (focus) { focus.focus(); }
  }

  function closeDialog() {
    var d = dialog();
    if (d && d.open) { d.close(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    syncDependentFields(document);
    // A page loaded with an outcome (an action's redirect: "Delete undone", "Policy
    // deleted", a save refused by [data-outcome]) starts focus there, where the control
    // the user pressed had been: read out, and Tab goes on from it. A page marking
    // [autofocus] keeps its own.
    var outcome = document.querySelector("#messages .banner, .banner[data-outcome]");
    if (outcome && !document.querySelector("[autofocus]")) {
      outcome.setAttribute("tabindex", "-1");
      outcome.focus();
    }
  });
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.form) { syncDependentFields(target.form); }
    if (target.matches("[data-select-all]")) {
      var name = target.getAttribute("data-select-all");
      document.querySelectorAll('input[type=checkbox][name="' + name + '"]:not(:disabled)').forEach(function (box) {
        box.checked = target.checked;
      });
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    syncDependentFields(event.target);
  });

  // --- Focus and announcements around table updates ----------------------------
  // A sort, page, filter or an action's reload replaces #table. Focus goes back to
  // the same control in the new table (the same row's control, the same column's
  // sort link, the same pager link), else to the results count; the live region
  // says what changed.

  var FOCUSABLE = "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select, textarea";

  function focusables(root) { return Array.prototype.slice.call(root.querySelectorAll(FOCUSABLE)); }

  function describeFocus(region) {
    var el = document.activeElement;
    if (!el || !region.contains(el)) { return null; }
    var row = el.closest("tr[id]");
    if (row) { return { row: row.id, rowIndex: row.sectionRowIndex, index: focusables(row).indexOf(el) }; }
    var th = el.closest("th[data-col]");
    if (th) { return { column: th.getAttribute("data-col") }; }
    if (el.closest(".pagination")) { return { pager: el.getAttribute("rel") || el.textContent.trim() }; }
    var chip = el.closest("[data-chip]");
    if (chip) { return { chip: Array.prototype.indexOf.call(chip.parentNode.children, chip) }; }
    return {};
  }

  function pagerTarget(region, key) {
    var links = Array.prototype.slice.call(region.querySelectorAll(".pagination a"));
    return links.filter(function (a) { return a.getAttribute("rel") === key; })[0] ||
      links.filter(function (a) { return a.textContent.trim() === key; })[0] || null;
  }

  function restoreFocus(region, key) {
    var target = null;
    if (key.row) {
      var row = document.getElementById(key.row);
      if (row && region.contains(row)) {
        var controls = focusables(row);
        target = controls[Math.min(Math.max(key.index, 0), controls.length - 1)];
      } else {
        // The row is gone (deleted): the row that took its place, by its name.
        var rows = region.querySelectorAll("tbody tr[id]");
        row = rows[Math.min(key.rowIndex, rows.length - 1)];
        target = row && (row.querySelector("td.name a") || focusables(row)[0]);
      }
    } else if (key.column) {
      target = region.querySelector('th[data-col="' + key.column + '"] a');
    } else if (key.pager) {
      target = pagerTarget(region, key.pager);
    } else if (key.chip !== undefined) {
      // A chip removed its filter: the chip that took its place, else the last one
      // left ("Clear all"); with no filter left, the results count.
      var chips = region.querySelectorAll("[data-chip] a");
      if (chips.length) { target = chips[Math.min(key.chip, chips.length - 1)]; }
    }
    target = target || region.querySelector("#results");
    if (target) { target.focus(); }
  }

  function announce(text) {
    var live = document.getElementById("announce");
    if (!live || !text) { return; }
    // Emptied first so the same words are announced again.
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  var pendingFocus = null;
  var messageAnnounced = false;

  // A message says what the last action did: the next action (not a GET) takes it
  // down first, so an earlier success never stands beside a later failure.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var config = event.detail.requestConfig;
    var area = document.getElementById("messages");
    if (area && config && config.verb !== "get") { area.innerHTML = ""; }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "table") { pendingFocus = describeFocus(target); }
  });
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "messages") {
      announce(target.textContent.replace(/\s+/g, " ").trim());
      messageAnnounced = true;
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    syncBulkButtons();
    var swapped = event.detail.target && event.detail.target.id;
    var active = document.activeElement;
    var lost = !active || active === document.body || !document.contains(active);
    if (swapped && swapped !== "table") {
      // Another region replaced with the control that had focus (the queue after
      // "Acknowledge", the team panel after "Save note"): focus what the region
      // names in data-focus (the edited note, the assignee control), else its
      // heading, which says what it holds now.
      var swappedRegion = document.getElementById(swapped);
      var wanted = swappedRegion && swappedRegion.getAttribute("data-focus");
      var focusTarget = (wanted && document.getElementById(wanted)) ||
        (swappedRegion && swappedRegion.querySelector("[tabindex='-1']"));
      if (lost && focusTarget) { focusTarget.focus(); }
      return;
    }
    var region = document.getElementById("table");
    if (!region || swapped !== "table") { return; }
    if (pendingFocus && lost) {
      restoreFocus(region, pendingFocus);
    }
    pendingFocus = null;
    // An action's own message ("End date moved to …") was just said: keep it.
    if (messageAnnounced) { messageAnnounced = false; } else { announce(region.getAttribute("data-announce")); }
  });

  // --- One history entry per view ------------------------------------------------
  // A search applies as it is typed; Enter then submits the same form again (with a
  // "change" too), and so can "Apply" after a select applied itself. Each would push
  // the address the page already has, and Back would seem to do nothing: an
  // address equal to the current one replaces it instead.

  function isCurrentAddress(path) {
    var next = new URL(path, window.location.href);
    return next.pathname === window.location.pathname && next.search === window.location.search;
  }

  document.addEventListener("htmx:beforeHistoryUpdate", function (event) {
    var update = event.detail.history;
    if (update && update.type === "push" && isCurrentAddress(update.path)) {
      update.type = "replace";
    }
  });

  // --- A select in a live filter form reloads once its value is committed ------
  // Arrowing through a closed select fires "change" on every step; those wait
  // until the select loses focus or Enter is pressed. Mouse picks go at once.

  var ARROWS = ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown"];
  var arrowed = null;
  var uncommitted = null;

  function isLiveSelect(el) {
    return el && el.tagName === "SELECT" && el.form && el.form.hasAttribute("hx-get");
  }

  function commit(select) {
    uncommitted = null;
    arrowed = null;
    select.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (!isLiveSelect(el)) { return; }
    if (ARROWS.indexOf(event.key) !== -1 && !event.altKey) {
      arrowed = el;
    } else {
      arrowed = null;
      if (event.key === "Enter" && uncommitted === el) {
        event.preventDefault();
        commit(el);
      }
    }
  }, true);
  document.addEventListener("pointerdown", function () { arrowed = null; }, true);
  document.addEventListener("change", function (event) {
    if (event.target === arrowed) {
      event.stopImmediatePropagation();
      uncommitted = event.target;
    }
  }, true);
  document.addEventListener("focusout", function (event) {
    if (event.target === uncommitted) { commit(uncommitted); }
  }, true);

  // --- The pipeline's numbers: Escape hides them until focus or the pointer leaves --

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && event.target.classList && event.target.classList.contains("pipeline-bar")) {
      event.target.classList.add("tip-dismissed");
    }
  });
  ["focusout", "mouseleave"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var el = event.target;
      if (el.classList && el.classList.contains("pipeline-bar")) { el.classList.remove("tip-dismissed"); }
    }, true);
  });

  // --- Clean URLs: no empty parameters in GET requests (and so the address bar) --

  function withoutEmpty(path) {
    var q = path.indexOf("?");
    if (q === -1) { return path; }
    var params = new URLSearchParams(path.slice(q + 1));
    var kept = new URLSearchParams();
    params.forEach(function (value, name) { if (value !== "") { kept.append(name, value); } });
    var query = kept.toString();
    return path.slice(0, q) + (query ? "?" + query : "");
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    if (detail.verb !== "get") { return; }
    detail.path = withoutEmpty(detail.path);
    var params = detail.parameters;
    Object.keys(params).forEach(function (name) {
      var values = params.getAll(name).filter(function (value) { return value !== ""; });
      if (values.length) { params[name] = values; } else { delete params[name]; }
    });
  });

  // --- Bulk buttons for selected rows wait for a selection ------------------------

  function syncBulkButtons() {
    document.querySelectorAll("form[id]").forEach(function (form) {
      var buttons = form.querySelectorAll("[data-needs-selection]");
      if (!buttons.length) { return; }
      var count = document.querySelectorAll(
        'input[type=checkbox][name=selected][form="' + form.id + '"]:checked').length;
      buttons.forEach(function (button) { button.disabled = count === 0; });
      var label = form.querySelector("[data-selected-count]");
      if (label) { label.textContent = count ? count + " selected:" : "No rows selected:"; }
    });
  }

  document.addEventListener("DOMContentLoaded", syncBulkButtons);
  document.addEventListener("change", function (event) {
    if (event.target.matches("input[type=checkbox][form]")) { syncBulkButtons(); }
  });
  // A form with data-confirm asks first (deleting a saved view: who else opens with it).
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
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
