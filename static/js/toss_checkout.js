// Opens Toss Payments' payment window (their v2 JavaScript SDK, loaded by the page) for the
// charge on this page; Toss sends the browser back to the success or fail URL.
(function () {
  "use strict";
  var box = document.getElementById("toss-checkout");
  var button = document.getElementById("toss-pay");
  var error = document.getElementById("toss-error");
  if (!box || !button) {
    return;
  }
  function show(message) {
    error.textContent = message;
    error.hidden = false;
    button.disabled = false;
  }
  button.addEventListener("click", function () {
    if (typeof window.TossPayments !== "function") {
      show(box.dataset.unavailable);
      return;
    }
    button.disabled = true;
    var payment = window.TossPayments(box.dataset.clientKey).payment({
      customerKey: box.dataset.customerKey,
    });
    payment
      .requestPayment({
        method: "CARD",
        amount: { currency: "KRW", value: Number(box.dataset.amount) },
        orderId: box.dataset.orderId,
        orderName: box.dataset.orderName,
        successUrl: box.dataset.successUrl,
        failUrl: box.dataset.failUrl,
      })
      .catch(function (problem) {
        show((problem && problem.message) || box.dataset.unavailable);
      });
  });
})();
