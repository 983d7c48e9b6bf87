// Live preview for the section editor: a progressive enhancement of the "Preview" button.
// The server renders the preview (the same renderer readers see); this only asks for it as you type.
(function () {
  "use strict";
  var form = document.querySelector("form.section-editor[data-preview-url]");
  var target = document.getElementById("live-preview");
  if (!form || !target || !window.fetch || !window.FormData) { return; }
  var textarea = form.querySelector("textarea[name=text]");
  var timer = null;
  var latest = 0;

  function refresh() {
    var body = new FormData();
    var token = form.querySelector("input[name=csrf_token]");
    if (token) { body.append("csrf_token", token.value); }
    body.append("text", textarea.value);
    body.append("section_key", form.getAttribute("data-section-key"));
    var ticket = ++latest;
    fetch(form.getAttribute("data-preview-url"), { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        if (ticket !== latest) { return; }  // an older answer arriving late
        // The fragment is rendered by our server from escaped text and the policy renderer (raw HTML off).
        var doc = new DOMParser().parseFromString(html, "text/html");
        target.replaceChildren.apply(target, Array.prototype.slice.call(doc.body.childNodes));
      })
      .catch(function () { /* the Preview button still works */ });
  }

  textarea.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 500);
  });
})();
