// Service desk pages: keyboard shortcuts and small comforts. Every page works without this file.
// Queue: "/" search, "n" log a call, "j"/"k" next/previous ticket, "x" tick it, Enter open it;
// filters apply as soon as a list changes; ticking rows shows how many the bulk action will change.
// Forms: Ctrl+Enter (or ⌘+Enter) in a text area sends its form.
(function () {
  "use strict";
  function typing(target) {
    return target.closest && target.closest("input, textarea, select, [contenteditable]");
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-row]")); }
  function current() { return document.querySelector("[data-row].row-focus"); }
  function focusRow(row) {
    rows().forEach(function (r) { r.classList.remove("row-focus"); });
    if (!row) { return; }
    row.classList.add("row-focus");
    var link = row.querySelector("a.ticket-link");
    if (link) { link.focus({ preventScroll: true }); }
    row.scrollIntoView({ block: "nearest" });
  }
  function move(step) {
    var all = rows();
    if (!all.length) { return; }
    var index = all.indexOf(current());
    var next = index < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, index + step));
    focusRow(all[next]);
  }
  function updateCount(form) {
    var counter = form.querySelector("[data-bulk-count]");
    if (!counter) { return; }
    var ticked = form.querySelectorAll("input[name=ids]:checked").length;
    if (!counter.dataset.empty) { counter.dataset.empty = counter.textContent; }
    counter.textContent = ticked
      ? (ticked === 1 ? counter.dataset.one : (counter.dataset.many || "").replace("{n}", String(ticked)))
      : counter.dataset.empty;
    form.classList.toggle("has-selection", ticked > 0);
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.matches("textarea")) {
      var owner = event.target.form;
      if (owner) { event.preventDefault(); owner.requestSubmit(); }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      if (event.key === "Escape" && event.target.matches("input[type=search]")) { event.target.blur(); }
      return;
    }
    var shortcut = document.querySelector('[data-shortcut="' + event.key.toLowerCase() + '"]');
    if (event.key === "/" && shortcut) { event.preventDefault(); shortcut.focus(); shortcut.select(); return; }
    if (event.key.toLowerCase() === "n" && shortcut) { event.preventDefault(); shortcut.click(); return; }
    if (!rows().length) { return; }
    if (event.key === "j" || event.key === "ArrowDown" && current()) { event.preventDefault(); move(1); }
    else if (event.key === "k" || event.key === "ArrowUp" && current()) { event.preventDefault(); move(-1); }
    else if (event.key === "x" && current()) {
      var box = current().querySelector("input[name=ids]");
      if (box) { box.checked = !box.checked; box.dispatchEvent(new Event("change", { bubbles: true })); }
    }
  });
  document.addEventListener("change", function (event) {
    var target = event.target;
    var filters = target.closest && target.closest("form[data-autosubmit]");
    if (filters && target.matches("select")) { filters.requestSubmit(); return; }
    var bulk = target.closest && target.closest("form[data-bulk]");
    if (!bulk) { return; }
    if (target.matches("[data-check-all]")) {
      bulk.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = target.checked; });
    }
    updateCount(bulk);
  });
  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("[data-row]");
    if (row && !event.target.closest("a, input, button, label")) { focusRow(row); }
  });
  function init() {
    var bulk = document.querySelector("form[data-bulk]");
    if (bulk) { updateCount(bulk); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
