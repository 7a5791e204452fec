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

  // data-autosubmit: a sort select, a filter checkbox or a radio submits its form when it
  // changes (the form is boosted, so htmx swaps the page). The plain button next to it is
  // for browsers without JavaScript; data-js-hidden hides it here.
  document.addEventListener("change", function (event) {
    var control = event.target;
    if (!(control instanceof Element) || !control.hasAttribute("data-autosubmit")) { return; }
    if (control.form && control.form.requestSubmit) { control.form.requestSubmit(); }
  });

  // On a phone, a choice in the filter panel folds the panel away and brings the results into
  // view (the whole page is swapped, so the wish waits in sessionStorage for the new page).
  var PHONE = "(max-width: 767.98px)";
  function wantResults(form) {
    if (form && form.id === "catalog-filters" && window.matchMedia(PHONE).matches) {
      try { window.sessionStorage.setItem("kade-show-results", "1"); } catch (e) { /* private mode */ }
    }
  }
  document.addEventListener("submit", function (event) { wantResults(event.target); }, true);
  function showResults() {
    var wanted = false;
    try {
      wanted = window.sessionStorage.getItem("kade-show-results") === "1";
      window.sessionStorage.removeItem("kade-show-results");
    } catch (e) { return; }
    if (!wanted) { return; }
    var panel = document.querySelector("#catalog-filters .filter-panel");
    var results = document.getElementById("product-grid");
    if (panel) { panel.open = false; }
    if (results) { results.scrollIntoView({block: "start"}); }
  }
  document.addEventListener("htmx:afterSettle", showResults);
  document.addEventListener("DOMContentLoaded", showResults);

  // An open header menu (data-menu: the language switch) closes on a tap elsewhere.
  document.addEventListener("click", function (event) {
    var open = document.querySelectorAll("details[data-menu][open]");
    for (var i = 0; i < open.length; i++) {
      if (!open[i].contains(event.target)) { open[i].open = false; }
    }
  });

  // After htmx puts a new address in the bar (a variant picked on a product page), the
  // language switch must come back to that address, not to the one the page loaded with.
  document.addEventListener("htmx:pushedIntoHistory", function () {
    var fields = document.querySelectorAll('.language-form input[name="next"]');
    for (var i = 0; i < fields.length; i++) {
      fields[i].value = window.location.pathname + window.location.search;
    }
  });

  function hideFallbacks(root) {
    var found = root.querySelectorAll ? root.querySelectorAll("[data-js-hidden]") : [];
    for (var i = 0; i < found.length; i++) { found[i].hidden = true; }
  }
  if (window.htmx) {
    window.htmx.onLoad(hideFallbacks);
  } else {
    document.addEventListener("DOMContentLoaded", function () { hideFallbacks(document); });
  }

  // data-shows-for="a b" on a part of a form: shown only while the select marked
  // data-shows-control has one of those values (a promotion's benefit shows its own
  // settings). Without JavaScript every part shows, each with a hint saying when it counts.
  function showFor(root) {
    var controls = root.querySelectorAll ? root.querySelectorAll("select[data-shows-control]") : [];
    for (var i = 0; i < controls.length; i++) {
      var form = controls[i].form;
      var parts = form ? form.querySelectorAll("[data-shows-for]") : [];
      for (var j = 0; j < parts.length; j++) {
        var wanted = parts[j].getAttribute("data-shows-for").split(" ");
        parts[j].hidden = wanted.indexOf(controls[i].value) < 0 && !parts[j].querySelector(".field-error");
      }
    }
  }
  document.addEventListener("change", function (event) {
    var control = event.target;
    if (control instanceof HTMLSelectElement && control.hasAttribute("data-shows-control")) {
      showFor(control.parentNode);
    }
  });
  if (window.htmx) {
    window.htmx.onLoad(showFor);
  } else {
    document.addEventListener("DOMContentLoaded", function () { showFor(document); });
  }

  // data-preview="<img id>" on a file input (back-office pictures): show the chosen picture
  // before it is uploaded. A data: URL, which the CSP's img-src allows (blob: it does not);
  // the file is read in the browser and nothing leaves it until the form is submitted.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.dataset.preview) { return; }
    var preview = document.getElementById(input.dataset.preview);
    if (!preview) { return; }
    var file = input.files && input.files[0];
    preview.hidden = true;
    preview.removeAttribute("src");
    if (!file || file.type.indexOf("image/") !== 0) { return; }
    var reader = new FileReader();
    reader.onload = function () {
      preview.src = reader.result;
      preview.hidden = false;
    };
    reader.readAsDataURL(file);
  });
})();

// data-search-box (the header's search): the arrow keys move from the search box into its
// suggestions and between them; Escape goes back to the box. The suggestions are plain
// links, so Tab, Enter and a tap work without this.
(function () {
  "use strict";

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) { return; }
    var box = target.closest("[data-search-box]");
    if (!box) { return; }
    var input = box.querySelector("input[type=search]");
    var options = Array.prototype.slice.call(box.querySelectorAll("[role=option]"));
    var index = options.indexOf(target);
    var next = null;
    if (event.key === "ArrowDown" && options.length) {
      next = options[Math.min(index + 1, options.length - 1)];
    } else if (event.key === "ArrowUp" && index >= 0) {
      next = index === 0 ? input : options[index - 1];
    } else if (event.key === "Escape" && index >= 0) {
      next = input;
    }
    if (!next) { return; }
    event.preventDefault();
    options.forEach(function (option) {
      option.setAttribute("aria-selected", option === next ? "true" : "false");
    });
    next.focus();
  });
})();
