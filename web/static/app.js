// Skillgate's only script: progressive enhancements. Every page works
// without it. Served from /static so the CSP can forbid inline script.
"use strict";
document.addEventListener("submit", function (ev) {
  var form = ev.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    ev.preventDefault();
    return;
  }
  // Stop double submission; the server is idempotent anyway.
  if (form.dataset.submitted) {
    ev.preventDefault();
    return;
  }
  form.dataset.submitted = "1";
  window.setTimeout(function () { delete form.dataset.submitted; }, 4000);
});
// A confirmation the page opened at (#done) gets the focus, so a screen
// reader announces it and the next action is one Tab away.
document.addEventListener("DOMContentLoaded", function () {
  var done = window.location.hash === "#done" && document.getElementById("done");
  if (done) { done.focus(); }
});
