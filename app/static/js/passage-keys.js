/* The keyboard passage picker that the comment form (passage.js) and the staff coding page (coding.js) share.

   A "Select a passage with the keyboard" button turns a text into a focusable passage selector: Left/Right move
   to the previous or next word, Shift with them makes the passage longer or shorter, Home/End go to the first
   or last word and, where the page asks for it, Up/Down move by sentence. Enter keeps the passage, Escape
   cancels, and focus leaving the text leaves the mode. The passage is shown as the document's selection and
   announced through one aria-live region.

   This module only picks words. What a passage fills, and how its offsets are counted, is the page's: it is
   given the passage's start and end as the DOM counts them (UTF-16 units into the text's textContent) and
   converts them itself where the server counts otherwise. Load it before the page's script (both `defer`). */
(function () {
  "use strict";

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

  /* A function that announces a message in `live`. With `settle` (ms) only the last of a quick run of messages
     is announced, once they stop (a mouse drag changes the selection many times); without it each message is
     announced, the region cleared first so the same words twice are heard twice. */
  function announcer(live, settle) {
    var timer = null;
    if (settle) {
      return function (message) {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () { live.textContent = message; }, settle);
      };
    }
    return function (message) {
      live.textContent = "";
      window.setTimeout(function () { live.textContent = message; }, 30);
    };
  }

  /* Give `options.root` a keyboard passage picker. Options:
       root       the element whose text is picked from
       labels     the form's dataset (passageStart, passageHelp, passageRole, passageLabel, passageCancelled)
       after      the element the button, the help, `between` and the live region are placed after, in order
       helpId     the help text's id (the text's aria-describedby while picking)
       label      the text's accessible name while picking, when labels.passageLabel is missing
       between    elements of the page's to place between the help and the live region (optional)
       sentences  true: Up/Down move by sentence (and Shift with them lengthens or shortens by one)
       settle     see `announcer` (optional)
       enter()            the mode is about to start (optional)
       moved(passage)     the passage changed; the selection shows it
       use(passage)       Enter: the mode has ended; the selection still shows the passage
       cancel()           Escape: the mode has ended and the selection is gone; "cancelled" is announced next,
                          then the button takes focus (optional)
       blurCancels        true: focus leaving the text mid-way clears the selection and announces "cancelled";
                          otherwise the last passage stays
     A passage is { start, end, words, text }: DOM offsets into `text` (the root's textContent) and its number of
     words. Returns { say(message), clearSelection() } for the page's own announcements. */
  function attach(options) {
    var root = options.root;
    var labels = options.labels;
    var cancelled = labels.passageCancelled || "Passage selection cancelled.";

    var live = document.createElement("p");
    live.className = "visually-hidden";
    live.id = "passage-live";
    live.setAttribute("aria-live", "polite");
    live.setAttribute("aria-atomic", "true");

    var help = document.createElement("p");
    help.className = "hint passage-help";
    help.id = options.helpId;
    help.hidden = true;
    help.textContent = labels.passageHelp || "";

    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary passage-start";
    button.textContent = labels.passageStart || "Select a passage with the keyboard";

    options.after.insertAdjacentElement("afterend", button);
    var previous = help;
    button.insertAdjacentElement("afterend", help);
    (options.between || []).forEach(function (element) {
      previous.insertAdjacentElement("afterend", element);
      previous = element;
    });
    previous.insertAdjacentElement("afterend", live);

    var say = announcer(live, options.settle);
    var text = "";
    var words = [];
    var starts = [];
    var first = 0;
    var last = 0;
    var active = false;

    function clearSelection() {
      window.getSelection().removeAllRanges();
    }

    function passage() {
      return { start: words[first].start, end: words[last].end, words: last - first + 1, text: text };
    }

    function show() {
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(rangeFor(root, words[first].start, words[last].end));
      options.moved(passage());
    }

    function enter() {
      text = root.textContent;
      words = wordsOf(text);
      if (!words.length) return;
      starts = options.sentences ? sentenceStarts(text, words) : [];
      if (options.enter) options.enter();
      first = 0;
      last = 0;
      active = true;
      root.setAttribute("tabindex", "0");
      root.setAttribute("role", "group");
      root.setAttribute("aria-roledescription", labels.passageRole || "passage selector");
      root.setAttribute("aria-label", labels.passageLabel || options.label);
      root.setAttribute("aria-describedby", options.helpId);
      root.classList.add("passage-selecting");
      help.hidden = false;
      button.hidden = true;
      root.focus();
      show();
    }

    function leave() {
      active = false;
      root.removeAttribute("tabindex");
      root.removeAttribute("role");
      root.removeAttribute("aria-roledescription");
      root.removeAttribute("aria-label");
      root.removeAttribute("aria-describedby");
      root.classList.remove("passage-selecting");
      help.hidden = true;
      button.hidden = false;
    }

    /* Move the passage for `key`; false when the key is not one of the picker's (the browser keeps it). */
    function move(key, shift) {
      var n = words.length;
      if (key === "ArrowRight" && shift) {
        last = Math.min(n - 1, last + 1);
      } else if (key === "ArrowLeft" && shift) {
        last = Math.max(first, last - 1);
      } else if (key === "ArrowRight") {
        first = Math.min(n - 1, last + 1);
        last = first;
      } else if (key === "ArrowLeft") {
        first = Math.max(0, first - 1);
        last = first;
      } else if (options.sentences && key === "ArrowDown" && shift) {
        var nextEnd = sentenceOf(starts, last) + 1;
        last = nextEnd < starts.length ? (nextEnd + 1 < starts.length ? starts[nextEnd + 1] - 1 : n - 1) : n - 1;
      } else if (options.sentences && key === "ArrowUp" && shift) {
        var candidate = starts[sentenceOf(starts, last)] - 1;
        last = candidate >= first ? candidate : last;
      } else if (options.sentences && (key === "ArrowDown" || key === "ArrowUp")) {
        var current = sentenceOf(starts, first);
        var target = key === "ArrowDown" ? Math.min(starts.length - 1, current + 1) : Math.max(0, current - 1);
        first = starts[target];
        last = target + 1 < starts.length ? starts[target + 1] - 1 : n - 1;
      } else if (key === "Home") {
        first = 0; last = 0;
      } else if (key === "End") {
        first = n - 1; last = n - 1;
      } else {
        return false;
      }
      return true;
    }

    root.addEventListener("keydown", function (event) {
      if (!active) return;
      var key = event.key;
      if (key === "Enter" || key === " ") {
        event.preventDefault();
        var chosen = passage();
        leave();
        options.use(chosen);
      } else if (key === "Escape") {
        event.preventDefault();
        leave();
        clearSelection();
        if (options.cancel) options.cancel();
        say(cancelled);
        button.focus();
      } else if (move(key, event.shiftKey)) {
        event.preventDefault();
        show();
      }
    });

    root.addEventListener("blur", function () {
      if (!active) return;
      leave();
      if (options.blurCancels) {
        clearSelection();
        say(cancelled);
      }
    });

    button.addEventListener("click", enter);

    return { say: say, clearSelection: clearSelection };
  }

  window.KoreroPassageKeys = { attach: attach };
})();
