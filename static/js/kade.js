// Small behaviour bound by data attributes; htmx is the only library (CSP: no inline scripts).
(function () {
  "use strict";

  // data-confirm: ask before a destructive submit. Listening in the capture phase on the
  // document runs before htmx's own submit handler on the form, so "Cancel" really cancels
  // a boosted form too.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) { return; }
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
