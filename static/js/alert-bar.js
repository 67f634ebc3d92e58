// The alert bar (templates/incidents/_bar.html): keep the drawer open and the focus in it
// when a poll brings a new version, and show the number of open incidents in the tab title.
(function () {
  "use strict";
  var state = null;

  function bar() { return document.getElementById("alert-bar"); }

  function setTitle() {
    var el = bar();
    if (!el) { return; }
    var count = parseInt(el.getAttribute("data-count") || "0", 10);
    var base = document.title.replace(/^\(\d+\) /, "");
    document.title = count > 0 ? "(" + count + ") " + base : base;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var el = bar();
    if (!el || event.detail.target !== el) { return; }
    var drawer = el.querySelector("[data-drawer]");
    var active = document.activeElement;
    state = {
      open: drawer ? drawer.open : false,
      focus: active && el.contains(active) ? (active.closest("[data-incident-id]") ? "incident-" + active.closest("[data-incident-id]").getAttribute("data-incident-id") : "summary") : null
    };
  });

  document.addEventListener("htmx:afterSettle", function () {
    var el = bar();
    if (!el) { return; }
    setTitle();
    if (!state) { return; }
    var drawer = el.querySelector("[data-drawer]");
    if (drawer && state.open) { drawer.open = true; }
    if (state.focus) {
      var target = null;
      if (state.focus.indexOf("incident-") === 0) {
        var item = el.querySelector('[data-incident-id="' + state.focus.slice(9) + '"]');
        target = item ? item.querySelector("a, button") : null;
      }
      (target || el.querySelector("summary")).focus();
    }
    state = null;
  });

  // Escape closes the drawer and gives the focus back to its summary.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var el = bar();
    var drawer = el ? el.querySelector("[data-drawer]") : null;
    if (drawer && drawer.open) {
      drawer.open = false;
      drawer.querySelector("summary").focus();
    }
  });
})();
