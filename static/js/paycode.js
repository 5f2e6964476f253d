// The citizen's payment code: count down and fetch a fresh code before it expires.
(function () {
  "use strict";
  function schedule() {
    var box = document.getElementById("pay-code");
    if (!box) { return; }
    var expires = Date.parse(box.getAttribute("data-expires-at"));
    var label = box.querySelector(".countdown");
    var timer = window.setInterval(function () {
      var current = document.getElementById("pay-code");
      if (current !== box) { window.clearInterval(timer); return; }
      var left = Math.max(0, Math.round((expires - Date.now()) / 1000));
      if (label) {
        label.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      }
      if (left <= 5) {
        window.clearInterval(timer);
        if (window.htmx) { window.htmx.trigger(box, "refresh-code"); }
      }
    }, 1000);
  }
  document.addEventListener("DOMContentLoaded", schedule);
  document.body && document.body.addEventListener("htmx:afterSwap", schedule);
  document.addEventListener("htmx:afterSettle", schedule);
})();
