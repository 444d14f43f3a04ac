// The weekly grid editor of a calendar: add and remove windows, copy Monday to the working days.
// Without JavaScript the form still posts the windows shown; the holiday preview (htmx) follows edits.
(function () {
  "use strict";
  function changed(form) { form.dispatchEvent(new Event("change", { bubbles: true })); }
  function addRow(fieldset, start, end) {
    var template = document.getElementById("window-row-template");
    var day = fieldset.dataset.day;
    var legend = fieldset.querySelector("legend").textContent;
    var row = template.content.firstElementChild.cloneNode(true);
    var inputs = row.querySelectorAll("input");
    inputs[0].name = day + "_start"; inputs[0].value = start || "";
    inputs[0].setAttribute("aria-label", legend + ", " + inputs[0].getAttribute("aria-label").toLowerCase());
    inputs[1].name = day + "_end"; inputs[1].value = end || "";
    inputs[1].setAttribute("aria-label", legend + ", " + inputs[1].getAttribute("aria-label").toLowerCase());
    fieldset.querySelector(".windows").appendChild(row);
    return row;
  }
  document.addEventListener("click", function (event) {
    var target = event.target;
    var form = target.closest && target.closest("[data-week-editor]");
    if (!form) { return; }
    if (target.matches("[data-add-window]")) {
      var row = addRow(target.closest("fieldset"));
      row.querySelector("input").focus();
      changed(form);
    } else if (target.matches("[data-remove-window]")) {
      target.closest(".window-row").remove();
      changed(form);
    } else if (target.matches("[data-copy-monday]")) {
      var monday = Array.prototype.map.call(
        form.querySelectorAll('[data-day="mon"] .window-row'),
        function (r) { var i = r.querySelectorAll("input"); return [i[0].value, i[1].value]; }
      );
      ["tue", "wed", "thu", "fri"].forEach(function (day) {
        var fieldset = form.querySelector('[data-day="' + day + '"]');
        fieldset.querySelector(".windows").innerHTML = "";
        monday.forEach(function (w) { addRow(fieldset, w[0], w[1]); });
      });
      changed(form);
    }
  });
})();
