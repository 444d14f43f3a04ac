// Intervention sheets: small helpers; every page also works without JavaScript.
(function () {
  "use strict";
  // New sheet: choosing another client reloads its sites, contracts and equipment (keeping what was typed).
  document.querySelectorAll("select[data-reload]").forEach(function (select) {
    select.addEventListener("change", function () {
      var form = select.form;
      var params = new URLSearchParams();
      ["title", "mode", "ticket"].forEach(function (name) {
        var field = form.elements[name];
        if (field && field.value) { params.set(name, field.value); }
      });
      params.set(select.name, select.value);
      window.location.search = params.toString();
    });
  });
  // A photo taken with the camera is sent at once.
  document.querySelectorAll("input[type=file][data-autosubmit]").forEach(function (input) {
    input.addEventListener("change", function () {
      if (input.files && input.files.length) { input.form.submit(); }
    });
  });
  // A form is sent once: a double tap on a slow network does not post twice.
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function () {
      if (form.hasAttribute("hx-post")) { return; }
      setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
      }, 0);
    });
  });
  // Back to the page from the history: the buttons work again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[method=post] button[type=submit]").forEach(function (button) { button.disabled = false; });
  });
})();
