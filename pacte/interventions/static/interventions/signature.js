/* The signature pad: draw with a finger, a stylus or the mouse (pointer events), high-DPI aware.
 *
 * Strokes are kept in CSS pixels so the drawing survives a resize or a rotation of the device; the
 * canvas's backing store is scaled by the device pixel ratio (capped so the PNG stays within
 * 3000 × 1500 px). On submit the drawing is sent as a PNG data URL in the hidden ``signature`` field;
 * an empty pad is refused here too (the server checks everything again).
 */
(function () {
  "use strict";

  var MAX_WIDTH = 3000;
  var MAX_HEIGHT = 1500;

  function setup(canvas) {
    var form = canvas.closest("form");
    var field = form.querySelector("#signature-data");
    var clear = form.querySelector("#signature-clear");
    var error = form.querySelector("#signature-error");
    var context = canvas.getContext("2d");
    var strokes = [];
    var current = null;
    var scale = 1;

    function ink() {
      context.lineCap = "round";
      context.lineJoin = "round";
      context.strokeStyle = "#111827";
      context.fillStyle = "#111827";
    }

    function width(point) {
      var pressure = point.p > 0 && point.p !== 0.5 ? point.p : 0.5;
      return 1.2 + pressure * 2.6;
    }

    function drawStroke(stroke) {
      var points = stroke.points;
      if (points.length === 1) {
        context.beginPath();
        context.arc(points[0].x, points[0].y, width(points[0]) / 2, 0, Math.PI * 2);
        context.fill();
        return;
      }
      for (var i = 1; i < points.length; i++) {
        drawSegment(points[i - 1], points[i]);
      }
    }

    function drawSegment(from, to) {
      context.beginPath();
      context.lineWidth = width(to);
      context.moveTo(from.x, from.y);
      context.lineTo(to.x, to.y);
      context.stroke();
    }

    function resize() {
      var box = canvas.getBoundingClientRect();
      if (!box.width || !box.height) return;
      var ratio = window.devicePixelRatio || 1;
      scale = Math.max(1, Math.min(ratio, MAX_WIDTH / box.width, MAX_HEIGHT / box.height));
      canvas.width = Math.floor(box.width * scale);
      canvas.height = Math.floor(box.height * scale);
      context.setTransform(scale, 0, 0, scale, 0, 0);
      ink();
      strokes.forEach(drawStroke);
    }

    function point(event) {
      var box = canvas.getBoundingClientRect();
      return { x: event.clientX - box.left, y: event.clientY - box.top, p: event.pressure || 0 };
    }

    function hideError() {
      if (error && !error.dataset.server) {
        error.hidden = true;
        error.textContent = "";
      }
    }

    canvas.addEventListener("pointerdown", function (event) {
      if (event.button !== undefined && event.button > 0) return;
      event.preventDefault();
      if (canvas.setPointerCapture) {
        try { canvas.setPointerCapture(event.pointerId); } catch (ignored) { /* synthetic events */ }
      }
      current = { points: [point(event)] };
      strokes.push(current);
      drawStroke(current);
      hideError();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!current) return;
      event.preventDefault();
      var events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
      if (!events.length) events = [event];
      events.forEach(function (each) {
        var next = point(each);
        var last = current.points[current.points.length - 1];
        current.points.push(next);
        drawSegment(last, next);
      });
    });
    function end() { current = null; }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("lostpointercapture", end);

    clear.addEventListener("click", function () {
      strokes = [];
      current = null;
      context.save();
      context.setTransform(1, 0, 0, 1, 0, 0);
      context.clearRect(0, 0, canvas.width, canvas.height);
      context.restore();
      field.value = "";
    });

    form.addEventListener("submit", function (event) {
      if (!strokes.length) {
        event.preventDefault();
        if (error) {
          error.textContent = canvas.dataset.emptyMessage || "";
          error.hidden = false;
          delete error.dataset.server;
        }
        canvas.focus();
        return;
      }
      field.value = canvas.toDataURL("image/png");
      var button = form.querySelector("button[type=submit]");
      if (button) button.setAttribute("aria-busy", "true");
    });

    var pending = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(resize, 100);
    });
    if (error && !error.hidden) error.dataset.server = "1";
    resize();
  }

  function start() {
    var canvas = document.getElementById("signature-pad");
    if (canvas && canvas.getContext) setup(canvas);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
