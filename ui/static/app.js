// TalentChain progressive enhancements. Every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Copy buttons: <button data-copy="#id">.
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      var el = document.querySelector(b.getAttribute("data-copy"));
      if (!el || !navigator.clipboard) return;
      navigator.clipboard.writeText(el.value || el.textContent).then(function () {
        b.textContent = b.getAttribute("data-copied") || b.textContent;
      });
    });
  });
  // Live regions that refresh themselves: <div data-poll="/url" data-every="1000">;
  // the server answers the same fragment, with data-done once finished.
  document.querySelectorAll("[data-poll]").forEach(function (el) {
    var every = parseInt(el.getAttribute("data-every") || "1000", 10);
    function tick() {
      fetch(el.getAttribute("data-poll"), { headers: { "Accept": "text/html", "X-Fragment": "1" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var tmp = document.createElement("div");
          tmp.innerHTML = html;
          var next = tmp.firstElementChild;
          if (!next) return;
          el.replaceWith(next);
          el = next;
          if (!next.hasAttribute("data-done")) setTimeout(tick, every);
        })
        .catch(function () { setTimeout(tick, every * 3); });
    }
    if (!el.hasAttribute("data-done")) setTimeout(tick, every);
  });
  // Confirmations: <form data-confirm="text">.
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.getAttribute("data-confirm"))) e.preventDefault();
    });
  });
});
// verify: print buttons (<button data-print hidden>), shown only with JS.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-print]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () { window.print(); });
  });
});
