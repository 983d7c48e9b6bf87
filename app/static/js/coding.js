/* Tag a passage of an item by selecting it: the coding page's "From character" and "To character" fields are
   filled from a selection in the item's text, made with the mouse or with the keyboard.

   With the mouse: select words in the text; the fields follow the selection. With the keyboard: "Select a
   passage with the keyboard" gives the text focus; Left/Right move to the previous or next word, Shift with
   them makes the passage longer or shorter, Home/End go to the first or last word, Enter keeps the passage and
   moves on to the tag, Escape leaves and puts the fields back. Each chosen passage is announced through an
   aria-live region. Without JavaScript the fields are typed, as before.

   Positions are counted in characters as the server counts them (Unicode code points), not in the UTF-16
   units the DOM counts, so a passage after an emoji still starts where it should. */
(function () {
  "use strict";

  function points(text) {
    return Array.from(text).length;
  }

  function offsetIn(root, container, offset) {
    var before = document.createRange();
    before.selectNodeContents(root);
    before.setEnd(container, offset);
    return before.toString().length;
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

  function wordsOf(text) {
    var words = [];
    var re = /\S+/g;
    var m;
    while ((m = re.exec(text)) !== null) words.push({ start: m.index, end: m.index + m[0].length });
    return words;
  }

  function setup(form, root) {
    var startField = form.querySelector("[name=start]");
    var endField = form.querySelector("[name=end]");
    if (!startField || !endField) return;
    var labels = form.dataset;
    var text = root.textContent;

    var live = document.createElement("p");
    live.className = "visually-hidden";
    live.id = "passage-live";
    live.setAttribute("aria-live", "polite");
    live.setAttribute("aria-atomic", "true");

    var help = document.createElement("p");
    help.className = "hint passage-help";
    help.id = "passage-keys";
    help.hidden = true;
    help.textContent = labels.passageHelp || "";

    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary passage-start";
    button.textContent = labels.passageStart || "Select a passage with the keyboard";

    var chosen = document.createElement("p");
    chosen.className = "passage-chosen";
    chosen.id = "passage-chosen";
    chosen.hidden = true;

    root.insertAdjacentElement("afterend", button);
    button.insertAdjacentElement("afterend", help);
    help.insertAdjacentElement("afterend", chosen);
    chosen.insertAdjacentElement("afterend", live);

    var timer = null;
    function say(message) {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { live.textContent = message; }, 250);
    }

    function describe(a, b) {
      return (labels.passageChosen || "Passage chosen:") + " “" + text.slice(a, b) + "” (" +
        (labels.passageFrom || "from character") + " " + points(text.slice(0, a)) + " " +
        (labels.passageTo || "to") + " " + points(text.slice(0, b)) + ")";
    }

    /* Fill the fields from DOM offsets a < b (UTF-16), trimmed of spaces at either end. */
    function fill(a, b) {
      while (a < b && /\s/.test(text.charAt(a))) a++;
      while (b > a && /\s/.test(text.charAt(b - 1))) b--;
      if (a >= b) return;
      startField.value = String(points(text.slice(0, a)));
      endField.value = String(points(text.slice(0, b)));
      chosen.hidden = false;
      chosen.textContent = describe(a, b);
      say(chosen.textContent);
    }

    document.addEventListener("selectionchange", function () {
      var sel = window.getSelection();
      if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return;
      var range = sel.getRangeAt(0);
      if (!root.contains(range.startContainer) || !root.contains(range.endContainer)) return;
      fill(offsetIn(root, range.startContainer, range.startOffset), offsetIn(root, range.endContainer, range.endOffset));
    });

    /* The keyboard mode. */
    var words = wordsOf(text);
    var first = 0;
    var last = 0;
    var active = false;
    var before = { start: "", end: "" };

    function show() {
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(rangeFor(root, words[first].start, words[last].end));
      fill(words[first].start, words[last].end);
    }

    function enter() {
      if (!words.length) return;
      before = { start: startField.value, end: endField.value };
      first = 0;
      last = 0;
      active = true;
      root.setAttribute("tabindex", "0");
      root.setAttribute("role", "group");
      root.setAttribute("aria-roledescription", labels.passageRole || "passage selector");
      root.setAttribute("aria-label", labels.passageLabel || "The item's text");
      root.setAttribute("aria-describedby", "passage-keys");
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

    function cancel() {
      leave();
      window.getSelection().removeAllRanges();
      startField.value = before.start;
      endField.value = before.end;
      chosen.hidden = true;
      say(labels.passageCancelled || "Passage selection cancelled.");
      button.focus();
    }

    root.addEventListener("keydown", function (event) {
      if (!active) return;
      var key = event.key;
      var n = words.length;
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
      } else if (key === "Home") {
        first = 0; last = 0;
      } else if (key === "End") {
        first = n - 1; last = n - 1;
      } else if (key === "Enter" || key === " ") {
        event.preventDefault();
        leave();
        var next = form.querySelector("[name=tag]");
        if (next) next.focus();
        return;
      } else if (key === "Escape") {
        event.preventDefault();
        cancel();
        return;
      } else {
        return;
      }
      event.preventDefault();
      show();
    });

    root.addEventListener("blur", function () {
      if (active) leave();
    });

    button.addEventListener("click", enter);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-passage-coding]");
    var root = document.getElementById("item-text");
    if (form && root) setup(form, root);
  });
})();
