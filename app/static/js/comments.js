/* Kōrero comments: comment on a selected passage, highlight quoted passages, print receipts.
   Progressive enhancement only: every feature here also works without JavaScript. */
(function () {
  "use strict";

  var CONTEXT = 32;

  function clauseTextOf(node) {
    var el = node && (node.nodeType === 1 ? node : node.parentElement);
    return el ? el.closest("[data-clause-text]") : null;
  }

  /* Character offset of (container, offset) inside root's text content. */
  function offsetIn(root, container, offset) {
    var range = document.createRange();
    range.selectNodeContents(root);
    range.setEnd(container, offset);
    return range.toString().length;
  }

  var button = null;
  var live = null;

  function ensureUi() {
    if (button) return;
    button = document.createElement("a");
    button.className = "button passage-button";
    button.hidden = true;
    live = document.createElement("p");
    live.className = "visually-hidden";
    live.setAttribute("role", "status");
    live.setAttribute("aria-live", "polite");
    document.body.appendChild(live);
  }

  function hide() {
    if (button && !button.hidden && document.activeElement !== button) {
      button.hidden = true;
    }
  }

  function onSelection() {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) {
      hide();
      return;
    }
    var range = selection.getRangeAt(0);
    var root = clauseTextOf(range.startContainer);
    if (!root || root !== clauseTextOf(range.endContainer)) {
      hide();
      return;
    }
    var clause = root.closest(".clause");
    var holder = clause && clause.querySelector("[data-comment-url]");
    if (!holder) {
      hide();
      return;
    }
    var exact = range.toString();
    if (!exact.trim()) {
      hide();
      return;
    }
    var text = root.textContent;
    var start = offsetIn(root, range.startContainer, range.startOffset);
    var end = start + exact.length;
    var params = new URLSearchParams({
      quote: exact.trim(),
      prefix: text.slice(Math.max(0, start - CONTEXT), start),
      suffix: text.slice(end, end + CONTEXT),
      start: String(start)
    });
    ensureUi();
    button.textContent = holder.getAttribute("data-passage-label") || "Comment on this passage";
    button.href = holder.getAttribute("data-comment-url") + "?" + params.toString();
    /* Right after the clause text, so Tab reaches it next and it sits near the selection. */
    if (button.previousElementSibling !== root) {
      root.insertAdjacentElement("afterend", button);
    }
    var wasHidden = button.hidden;
    button.hidden = false;
    if (wasHidden) {
      live.textContent = holder.getAttribute("data-passage-hint") || "";
    }
  }

  function highlightQuotes() {
    var comments = document.querySelectorAll("[data-quote-exact]");
    Array.prototype.forEach.call(comments, function (comment) {
      var clause = comment.closest(".clause");
      var root = clause && clause.querySelector(".clause__body[data-clause-text]");
      if (!root || root.getAttribute("data-marked") === "1") return;
      markFirst(root, comment.getAttribute("data-quote-exact"), parseInt(comment.getAttribute("data-quote-start"), 10));
    });
  }

  /* Wrap the occurrence of `exact` nearest `hint` in <mark>, across text nodes. */
  function markFirst(root, exact, hint) {
    var squash = function (s) { return s.replace(/\s+/g, " "); };
    var text = root.textContent;
    var target = squash(exact.trim());
    if (!target) return;
    var best = -1;
    var from = 0;
    var flat = squash(text);
    var found;
    while ((found = flat.indexOf(target, from)) !== -1) {
      if (best === -1 || (!isNaN(hint) && Math.abs(found - hint) < Math.abs(best - hint))) best = found;
      from = found + 1;
    }
    if (best === -1 || flat.length !== text.length) return; /* whitespace differs: skip rather than guess */
    var start = best;
    var end = best + target.length;
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var pos = 0;
    var pieces = [];
    var node;
    while ((node = walker.nextNode())) {
      var len = node.nodeValue.length;
      var a = Math.max(start, pos);
      var b = Math.min(end, pos + len);
      if (a < b) pieces.push([node, a - pos, b - pos]);
      pos += len;
    }
    pieces.forEach(function (piece) {
      var range = document.createRange();
      range.setStart(piece[0], piece[1]);
      range.setEnd(piece[0], piece[2]);
      var mark = document.createElement("mark");
      mark.className = "quoted-passage";
      range.surroundContents(mark);
    });
    root.setAttribute("data-marked", "1");
  }

  function enablePrint() {
    var print = document.querySelector("[data-print]");
    if (!print) return;
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }

  /* A sign of a person for the anti-bot check: someone typed or pasted into a posting form. A quick paste
     and send is then not taken for a bot (app/comments/antibot.py). */
  function markActivity() {
    var fields = document.querySelectorAll("input[data-activity]");
    Array.prototype.forEach.call(fields, function (field) {
      var form = field.form;
      if (!form) return;
      var mark = function () { field.value = "1"; };
      ["input", "paste", "keydown"].forEach(function (name) {
        form.addEventListener(name, mark);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    markActivity();
    if (document.querySelector("[data-comment-url]")) {
      document.addEventListener("selectionchange", function () {
        window.clearTimeout(onSelection.timer);
        onSelection.timer = window.setTimeout(onSelection, 150);
      });
    }
    highlightQuotes();
    enablePrint();
  });
})();
