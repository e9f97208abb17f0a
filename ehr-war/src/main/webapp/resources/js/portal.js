/* EHR Ledger portal: countdowns, busy buttons, confirmations. No inline scripts (the CSP forbids them). */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-until]").forEach(function (el) {
      var left = Math.floor((Number(el.getAttribute("data-until")) - now) / 1000);
      if (left <= 0) {
        el.textContent = "expired";
        el.classList.add("expired");
        return;
      }
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      el.textContent = (h > 0 ? h + ":" + pad(m) : m) + ":" + pad(s);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);

    // A running import's progress: its refresh button is clicked data-poll milliseconds after the page shows (a
    // postback of the same view); the page it brings has the button again while the import still runs.
    var poll = document.querySelector("[data-poll]");
    if (poll) {
      setTimeout(function () { poll.click(); }, Number(poll.getAttribute("data-poll")) || 2000);
    }

    document.querySelectorAll("[data-confirm]").forEach(function (b) {
      b.addEventListener("click", function (e) {
        if (!window.confirm(b.getAttribute("data-confirm"))) {
          e.preventDefault();
          e.stopImmediatePropagation();
        }
      });
    });

    // Long operations (key generation, consensus) show progress; a second click is ignored, but the button
    // is not disabled, so that its name is still submitted and the server knows which action was chosen.
    document.querySelectorAll("form").forEach(function (form) {
      var clicked = null;
      form.addEventListener("click", function (e) {
        if (e.target && e.target.type === "submit") { clicked = e.target; }
      });
      form.addEventListener("submit", function (e) {
        if (form.getAttribute("data-submitting") === "true") {
          e.preventDefault();
          return;
        }
        form.setAttribute("data-submitting", "true");
        if (clicked && clicked.getAttribute("data-busy")) {
          clicked.classList.add("busy");
          clicked.setAttribute("aria-busy", "true");
          clicked.value = clicked.getAttribute("data-busy");
        }
        // Downloads do not leave the page: allow another submit shortly after.
        setTimeout(function () { form.removeAttribute("data-submitting"); }, 4000);
      });
    });
  });
}());
