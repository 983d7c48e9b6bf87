/* Tag a passage of an item by selecting it: the coding page's "From character" and "To character" fields are
   filled from a selection in the item's text, made with the mouse or with the keyboard.

   With the mouse: select words in the text; the fields follow the selection. With the keyboard: "Select a
   passage with the keyboard" gives the text focus; Left/Right move to the previous or next word, Shift with
   them makes the passage longer or shorter, Home/End go to the first or last word, Enter keeps the passage and
   moves on to the tag, Escape leaves and puts the fields back. Each chosen passage is announced through an
   aria-live region. Without JavaScript the fields are typed, as before. The keyboard picking is
   passage-keys.js's; this file fills the fields.

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

  function setup(form, root) {
    var startField = form.querySelector("[name=start]");
    var endField = form.querySelector("[name=end]");
    if (!startField || !endField) return;
    var labels = form.dataset;
    var text = root.textContent;

    var chosen = document.createElement("p");
    chosen.className = "passage-chosen";
    chosen.id = "passage-chosen";
    chosen.hidden = true;

    var before = { start: "", end: "" };
    var picker = window.KoreroPassageKeys.attach({
      root: root,
      labels: labels,
      after: root,
      helpId: "passage-keys",
      label: "The item's text",
      between: [chosen],
      settle: 250,
      enter: function () {
        before = { start: startField.value, end: endField.value };
      },
      moved: function (passage) {
        fill(passage.start, passage.end);
      },
      use: function () {
        var next = form.querySelector("[name=tag]");
        if (next) next.focus();
      },
      cancel: function () {
        startField.value = before.start;
        endField.value = before.end;
        chosen.hidden = true;
      },
    });

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
      picker.say(chosen.textContent);
    }

    document.addEventListener("selectionchange", function () {
      var sel = window.getSelection();
      if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return;
      var range = sel.getRangeAt(0);
      if (!root.contains(range.startContainer) || !root.contains(range.endContainer)) return;
      fill(offsetIn(root, range.startContainer, range.startOffset), offsetIn(root, range.endContainer, range.endOffset));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-passage-coding]");
    var root = document.getElementById("item-text");
    if (form && root && window.KoreroPassageKeys) setup(form, root);
  });
})();
