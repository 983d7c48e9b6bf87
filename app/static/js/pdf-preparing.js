/* "Preparing your PDF": check every few seconds whether the PDF is ready, then start the download.
   Without JavaScript the page's "Check again now" link does the same by hand. No timed page refresh,
   which would move a screen-reader user's place (WCAG 2.2.1). */
(function () {
  "use strict";
  var root = document.querySelector("[data-pdf-preparing]");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-pdf-url");
  var status = root.querySelector("[data-pdf-status]");
  var tries = 0;
  function check() {
    tries += 1;
    fetch(url, { method: "HEAD", credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (response.status === 202 && tries < 200) {
        window.setTimeout(check, 3000);
      } else if (response.ok) {
        status.textContent = root.getAttribute("data-ready-text");
        window.location.assign(url);
      } else {
        window.location.reload();  // shows the error page
      }
    }).catch(function () { window.setTimeout(check, 6000); });
  }
  window.setTimeout(check, 2000);
})();
