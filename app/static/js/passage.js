/* Choose a passage to comment on with the keyboard alone: a "select a passage" mode on the comment form.

   The clause's text takes focus; arrow keys move the selection by words (Left/Right) or sentences (Up/Down),
   with Shift they make it longer or shorter; Enter uses it (the quote field and its hidden context are filled),
   Escape leaves without changing anything. Every change is announced through an aria-live region. Mouse
   selection still works, and without JavaScript the quote field is typed as before. */
(function () {
  "use strict";

  var CONTEXT = 32;

  function wordsOf(text) {
    var words = [];
    var re = /\S+/g;
    var m;
    while ((m = re.exec(text)) !== null) words.push({ start: m.index, end: m.index + m[0].length });
    return words;
  }

  /* Index of the first word of each sentence. */
  function sentenceStarts(text, words) {
    var starts = [0];
    for (var i = 1; i < words.length; i++) {
      var prev = text.slice(words[i - 1].start, words[i - 1].end);
      if (/[.!?;:]["'”’)]*$/.test(prev)) starts.push(i);
    }
    return starts;
  }

  function sentenceOf(starts, index) {
    var s = 0;
    for (var i = 0; i < starts.length; i++) if (starts[i] <= index) s = i;
    return s;
  }

  function rangeFor(root, start, end) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var pos = 0;
    var range = document.createRange();
    var node;
    var startSet = false;
    while ((node = walker.nextNode())) {
      var len = node.nodeValue.length;
      if (!startSet && start <= pos + len) { range.setStart(node, start - pos); startSet = true; }
      if (startSet && end <= pos + len) { range.setEnd(node, end - pos); return range; }
      pos += len;
    }
    return range;
  }

  function setup(form) {
    var root = document.querySelector(".quoted-clause [data-clause-text]");
    var quote = form.querySelector("[name=quote_exact]");
    if (!root || !quote) return;
    var prefix = form.querySelector("[name=quote_prefix]");
    var suffix = form.querySelector("[name=quote_suffix]");
    var startField = form.querySelector("[name=quote_start]");
    var labels = form.dataset;

    var live = document.createElement("p");
    live.className = "visually-hidden";
    live.id = "passage-live";
    live.setAttribute("aria-live", "polite");
    live.setAttribute("aria-atomic", "true");

    var help = document.createElement("p");
    help.className = "hint passage-help";
    help.id = "passage-help";
    help.hidden = true;
    help.textContent = labels.passageHelp || "";

    var start = document.createElement("button");
    start.type = "button";
    start.className = "secondary passage-start";
    start.textContent = labels.passageStart || "Select a passage with the keyboard";
    var holder = root.closest(".quoted-clause");
    holder.insertAdjacentElement("afterend", start);
    start.insertAdjacentElement("afterend", help);
    help.insertAdjacentElement("afterend", live);

    var text = "";
    var words = [];
    var starts = [];
    var first = 0;
    var last = 0;
    var active = false;

    function say(message) {
      /* Clear first, so the same words twice are announced twice. */
      live.textContent = "";
      window.setTimeout(function () { live.textContent = message; }, 30);
    }

    function selected() {
      return text.slice(words[first].start, words[last].end);
    }

    function show() {
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(rangeFor(root, words[first].start, words[last].end));
      var count = last - first + 1;
      say((labels.passageSelected || "Selected:") + " " + selected() + " (" + count + " " +
          (count === 1 ? (labels.passageWord || "word") : (labels.passageWords || "words")) + ")");
    }

    function enter() {
      text = root.textContent;
      words = wordsOf(text);
      if (!words.length) return;
      starts = sentenceStarts(text, words);
      first = 0;
      last = 0;
      active = true;
      root.setAttribute("tabindex", "0");
      root.setAttribute("role", "group");
      root.setAttribute("aria-roledescription", labels.passageRole || "passage selector");
      root.setAttribute("aria-label", labels.passageLabel || "Clause text");
      root.setAttribute("aria-describedby", "passage-help");
      root.classList.add("passage-selecting");
      help.hidden = false;
      start.hidden = true;
      root.focus();
      show();
    }

    function leave(message) {
      active = false;
      root.removeAttribute("tabindex");
      root.removeAttribute("role");
      root.removeAttribute("aria-roledescription");
      root.removeAttribute("aria-label");
      root.removeAttribute("aria-describedby");
      root.classList.remove("passage-selecting");
      help.hidden = true;
      start.hidden = false;
      window.getSelection().removeAllRanges();
      say(message);
    }

    function use() {
      var a = words[first].start;
      var b = words[last].end;
      quote.value = text.slice(a, b);
      if (prefix) prefix.value = text.slice(Math.max(0, a - CONTEXT), a);
      if (suffix) suffix.value = text.slice(b, b + CONTEXT);
      if (startField) startField.value = String(a);
      leave((labels.passageChosen || "Passage chosen:") + " " + quote.value);
      quote.focus();
    }

    root.addEventListener("keydown", function (event) {
      if (!active) return;
      var key = event.key;
      var n = words.length;
      var handled = true;
      if (key === "ArrowRight" && event.shiftKey) {
        last = Math.min(n - 1, last + 1);
      } else if (key === "ArrowLeft" && event.shiftKey) {
        last = Math.max(first, last - 1);
      } else if (key === "ArrowRight") {
        first = Math.min(n - 1, last + 1);
        last = first;
      } else if (key === "ArrowLeft") {
        first = Math.max(0, first - 1);
        last = first;
      } else if (key === "ArrowDown" && event.shiftKey) {
        var nextEnd = sentenceOf(starts, last) + 1;
        last = nextEnd < starts.length ? (nextEnd + 1 < starts.length ? starts[nextEnd + 1] - 1 : n - 1) : n - 1;
      } else if (key === "ArrowUp" && event.shiftKey) {
        var s = sentenceOf(starts, last);
        var candidate = starts[s] - 1;
        last = candidate >= first ? candidate : last;
      } else if (key === "ArrowDown" || key === "ArrowUp") {
        var current = sentenceOf(starts, first);
        var target = key === "ArrowDown" ? Math.min(starts.length - 1, current + 1) : Math.max(0, current - 1);
        first = starts[target];
        last = target + 1 < starts.length ? starts[target + 1] - 1 : n - 1;
      } else if (key === "Home") {
        first = 0; last = 0;
      } else if (key === "End") {
        first = n - 1; last = n - 1;
      } else if (key === "Enter" || key === " ") {
        use();
        event.preventDefault();
        return;
      } else if (key === "Escape") {
        leave(labels.passageCancelled || "Passage selection cancelled.");
        start.focus();
        event.preventDefault();
        return;
      } else {
        handled = false;
      }
      if (handled) {
        event.preventDefault();
        show();
      }
    });

    root.addEventListener("blur", function () {
      if (active) leave(labels.passageCancelled || "Passage selection cancelled.");
    });

    start.addEventListener("click", enter);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.comment-form[data-passage-start]");
    if (form) setup(form);
  });
})();
