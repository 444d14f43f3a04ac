// The terms form of contracts, amendments and templates: show only the parameters of the choices made
// (billing model, travel, revision…), add and remove repeated lines (tasks, milestones, zones, clauses).
// Without JavaScript every block is shown and the form still posts what is filled in.
(function () {
  "use strict";
  function valueOf(form, name) {
    var controls = form.querySelectorAll('[name="' + name + '"]');
    for (var i = 0; i < controls.length; i++) {
      var control = controls[i];
      if (control.type === "checkbox" || control.type === "radio") {
        if (control.checked) { return control.value; }
        continue;
      }
      return control.value;
    }
    return "";
  }
  function refresh(form) {
    form.querySelectorAll("[data-show-if]").forEach(function (element) {
      var rule = element.getAttribute("data-show-if").split("=");
      element.hidden = rule[1].split(",").indexOf(valueOf(form, rule[0])) === -1;
    });
  }
  function addRow(button) {
    var editor = button.closest("[data-rows]");
    var template = editor.querySelector(":scope > template");
    var index = parseInt(editor.getAttribute("data-next") || "0", 10);
    editor.setAttribute("data-next", String(index + 1));
    var body = editor.querySelector("[data-rows-body]");
    body.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__i__/g, String(index)));
    var field = body.lastElementChild.querySelector("input, textarea");
    if (field) { field.focus(); }
  }
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest || !target.closest("[data-terms-form]")) { return; }
    if (target.matches("[data-add-row]")) {
      addRow(target);
    } else if (target.matches("[data-remove-row]")) {
      target.closest("tr, fieldset").remove();
    }
  });
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("[data-terms-form]");
    if (form) { refresh(form); }
  });
  function init() { document.querySelectorAll("[data-terms-form]").forEach(refresh); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
