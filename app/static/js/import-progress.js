/* A table import's progress: ask the server how far it has got every second and move the bar; once it has
   finished, load the page again to show the outcome. Without JavaScript the page's "Check again now" link does
   the same by hand. No timed page refresh, which would move a screen-reader user's place (WCAG 2.2.1). */
(function () {
  "use strict";
  var root = document.querySelector("[data-import-progress]");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-progress-url");
  var bar = root.querySelector("progress");
  var text = root.querySelector("[data-progress-text]");
  var failures = 0;
  function check() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (state) {
        failures = 0;
        if (state.finished) { window.location.reload(); return; }
        bar.value = state.percent;
        bar.textContent = state.percent + "%";
        if (text.textContent !== state.text) { text.textContent = state.text; }
        window.setTimeout(check, 1000);
      })
      .catch(function () {
        failures += 1;
        if (failures < 30) { window.setTimeout(check, 3000); }
      });
  }
  window.setTimeout(check, 1000);
})();
