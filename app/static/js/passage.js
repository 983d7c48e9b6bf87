/* Choose a passage to comment on with the keyboard alone: a "select a passage" mode on the comment form.

   The clause's text takes focus; arrow keys move the selection by words (Left/Right) or sentences (Up/Down),
   with Shift they make it longer or shorter; Enter uses it (the quote field and its hidden context are filled),
   Escape leaves without changing anything. Every change is announced through an aria-live region. Mouse
   selection still works, and without JavaScript the quote field is typed as before. The picking itself is
   passage-keys.js's; this file says what a chosen passage fills. */
(function () {
  "use strict";

  var CONTEXT = 32;

  function setup(form) {
    var root = document.querySelector(".quoted-clause [data-clause-text]");
    var quote = form.querySelector("[name=quote_exact]");
    if (!root || !quote) return;
    var prefix = form.querySelector("[name=quote_prefix]");
    var suffix = form.querySelector("[name=quote_suffix]");
    var startField = form.querySelector("[name=quote_start]");
    var labels = form.dataset;

    var picker = window.KoreroPassageKeys.attach({
      root: root,
      labels: labels,
      after: root.closest(".quoted-clause"),
      helpId: "passage-help",
      label: "Clause text",
      sentences: true,
      blurCancels: true,
      moved: function (passage) {
        picker.say((labels.passageSelected || "Selected:") + " " + passage.text.slice(passage.start, passage.end) +
          " (" + passage.words + " " +
          (passage.words === 1 ? (labels.passageWord || "word") : (labels.passageWords || "words")) + ")");
      },
      use: function (passage) {
        var text = passage.text;
        var a = passage.start;
        var b = passage.end;
        quote.value = text.slice(a, b);
        if (prefix) prefix.value = text.slice(Math.max(0, a - CONTEXT), a);
        if (suffix) suffix.value = text.slice(b, b + CONTEXT);
        if (startField) startField.value = String(a);
        picker.clearSelection();
        picker.say((labels.passageChosen || "Passage chosen:") + " " + quote.value);
        quote.focus();
      },
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.comment-form[data-passage-start]");
    if (form && window.KoreroPassageKeys) setup(form);
  });
})();
