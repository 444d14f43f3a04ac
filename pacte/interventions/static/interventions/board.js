/* The planning board: drag a card onto a technician's day to move or reassign the sheet.
   Progressive enhancement: it posts the same form as the sheet's "Plan / Move" page (X-Board: 1 asks
   for a JSON answer); an overlap asks "plan anyway?" and posts again with allow_conflict. */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  /* "2026-12-07" + "09:30" + 90 min → ["2026-12-07T09:30", "2026-12-07T11:00"] (wall clock, no browser zone). */
  function slot(date, time, minutes) {
    var d = date.split("-").map(Number), t = time.split(":").map(Number);
    var start = new Date(Date.UTC(d[0], d[1] - 1, d[2], t[0], t[1]));
    var end = new Date(start.getTime() + minutes * 60000);
    function fmt(x) {
      return x.getUTCFullYear() + "-" + pad(x.getUTCMonth() + 1) + "-" + pad(x.getUTCDate()) +
        "T" + pad(x.getUTCHours()) + ":" + pad(x.getUTCMinutes());
    }
    return [fmt(start), fmt(end)];
  }

  function technicians(card, target) {
    var current = (card.dataset.technicians || "").split(",").filter(Boolean);
    var from = card.dataset.fromTechnician || "";
    if (!target) { return current; }
    var next = current.filter(function (id) { return id !== from && id !== target; });
    next.push(target);
    return next;
  }

  function post(card, cell, allowConflict) {
    var board = document.getElementById("board");
    var token = document.querySelector("#board-form input[name=csrfmiddlewaretoken]").value;
    var times = slot(cell.dataset.date, card.dataset.time || "09:00", parseInt(card.dataset.duration || "120", 10));
    var body = new FormData();
    body.append("csrfmiddlewaretoken", token);
    body.append("start", times[0]);
    body.append("end", times[1]);
    technicians(card, cell.dataset.technician || "").forEach(function (id) { body.append("technicians", id); });
    body.append("week", board.dataset.week || "");
    if (allowConflict) { body.append("allow_conflict", "on"); }
    card.classList.add("board-saving");
    fetch(card.dataset.planUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-Board": "1", "X-CSRFToken": token, "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (result) {
      card.classList.remove("board-saving");
      if (result.data.ok) { window.location.reload(); return; }
      var text = (result.data.errors || []).join("\n");
      if (result.data.conflict && !allowConflict) {
        if (window.confirm(text + "\n\n" + (board.dataset.confirm || "?"))) { post(card, cell, true); }
        return;
      }
      window.alert(text);
    }).catch(function () {
      card.classList.remove("board-saving");
      window.location.href = card.dataset.planUrl;
    });
  }

  function init() {
    var dragged = null;
    document.querySelectorAll(".board-card[draggable]").forEach(function (card) {
      card.addEventListener("dragstart", function (event) {
        dragged = card;
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", card.dataset.sheet);
        card.classList.add("board-dragging");
      });
      card.addEventListener("dragend", function () { card.classList.remove("board-dragging"); });
    });
    document.querySelectorAll("[data-drop]").forEach(function (cell) {
      cell.addEventListener("dragover", function (event) { event.preventDefault(); cell.classList.add("board-over"); });
      cell.addEventListener("dragleave", function () { cell.classList.remove("board-over"); });
      cell.addEventListener("drop", function (event) {
        event.preventDefault();
        cell.classList.remove("board-over");
        if (dragged) { post(dragged, cell, false); dragged = null; }
      });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
