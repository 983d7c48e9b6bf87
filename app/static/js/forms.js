/* After a form was refused, move focus to the error summary, so keyboard and screen-reader users land on the
   list of what to fix (GOV.UK's pattern). Only summaries marked data-focus-on-load take focus: they are drawn
   for a failed submit, never on an ordinary page view. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-focus-on-load]");
    if (!summary) return;
    if (!summary.hasAttribute("tabindex")) summary.setAttribute("tabindex", "-1");
    summary.focus();
    /* A link in the summary moves focus to its field, not only the scroll position. */
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      var field = document.getElementById(link.getAttribute("href").slice(1));
      if (!field) return;
      event.preventDefault();
      field.focus();
      field.scrollIntoView({ block: "center" });
    });
  });
})();
