// The counter: scan the customer's QR with the camera (jsQR) and submit it.
(function () {
  "use strict";
  var details = document.querySelector(".scanner");
  var video = document.getElementById("scanner-video");
  var canvas = document.getElementById("scanner-canvas");
  var status = document.getElementById("scanner-status");
  var form = document.getElementById("identify-form");
  if (!details || !video || !form) { return; }
  var stream = null;

  function stop() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
  }

  function tick() {
    if (!stream) { return; }
    if (video.readyState === video.HAVE_ENOUGH_DATA && window.jsQR) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      var ctx = canvas.getContext("2d");
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = ctx.getImageData(0, 0, canvas.width, canvas.height);
      var found = window.jsQR(image.data, image.width, image.height);
      if (found && found.data) {
        form.querySelector("input[name=code]").value = found.data;
        stop();
        details.open = false;
        form.requestSubmit();
        return;
      }
    }
    window.requestAnimationFrame(tick);
  }

  details.addEventListener("toggle", function () {
    if (!details.open) { stop(); return; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status.textContent = status.dataset.unsupported || "Camera not available; type the code.";
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })
      .then(function (s) { stream = s; video.srcObject = s; video.play(); tick(); })
      .catch(function () { status.textContent = "Camera not available; type the code."; });
  });
  // Once a result is shown, clear the code field for the next customer (the result keeps the
  // code it needs) and put the focus where the clerk goes next: the bill's amount while a
  // customer is identified (after a refusal too, the amount kept), else the code field. Other
  // swaps (today's activity, polled) leave the focus alone.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "counter-result") { return; }
    var input = form.querySelector("input[name=code]");
    if (input) { input.value = ""; }
    var amount = document.querySelector("#counter-result input[name=amount]");
    if (amount) { amount.focus(); amount.select(); } else if (input) { input.focus(); }
  });
})();
