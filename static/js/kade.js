// Small behaviour bound by data attributes; htmx is the only library (CSP: no inline scripts).
(function () {
  "use strict";
  function bind(root) {
    // data-confirm: ask before a destructive submit.
    root.querySelectorAll("form[data-confirm]").forEach(function (form) {
      if (form.dataset.bound) return;
      form.dataset.bound = "1";
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (window.htmx) { window.htmx.onLoad(bind); } else { bind(document); }
  });
})();
