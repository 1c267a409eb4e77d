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
// A confirmation the page opened at (#done) is brought into view and
// given the focus, so a screen reader announces it and the next action is
// one Tab away (also after a send by fetch, whose URL drops the #done).
document.addEventListener("DOMContentLoaded", function () {
  var done = document.getElementById("done");
  if (done) {
    done.scrollIntoView({ block: "center" });
    done.focus({ preventScroll: true });
  }
});

// "All steps met": marks every step not answered yet as met, so only the
// exceptions need a tap. The server does the same for steps sent without
// an answer, so the form works without this script.
document.addEventListener("change", function (ev) {
  var box = ev.target;
  if (box.name !== "all_met" || !box.checked) { return; }
  box.form.querySelectorAll("input[type=radio][value=met]").forEach(function (r) {
    if (!box.form.querySelector("input[type=radio][name='" + r.name + "']:checked")) { r.checked = true; }
  });
  box.form.dispatchEvent(new Event("input", { bubbles: true }));
});

// Work in progress survives: a form with data-draft keeps what was
// entered in this browser (localStorage) until it is sent, so a tablet
// that sleeps, reloads or loses the network loses nothing. The draft keeps
// the form's idempotency key too: sending it again can never record twice.
// It is sent with fetch, so a failed send leaves the page as it was with a
// message; it is cleared once the server accepted it.
(function () {
  var PREFIX = "skillgate-draft:";
  function store() { try { return window.localStorage; } catch (e) { return null; } }
  function say(text, kind) {
    var box = document.getElementById("draft-status");
    if (!box) { return; }
    box.className = "draft-status" + (text ? " flash flash-" + kind : "");
    box.textContent = text;
  }
  function save(form) {
    var s = store();
    if (!s) { return; }
    var fields = {};
    form.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (!el.name || el.name === "_csrf") { return; }
      if ((el.type === "radio" || el.type === "checkbox")) {
        if (el.checked) { fields[el.name] = el.value; }
        return;
      }
      fields[el.name] = el.value;
    });
    try { s.setItem(PREFIX + form.dataset.draft, JSON.stringify({ at: Date.now(), fields: fields })); } catch (e) { /* full: keep going */ }
  }
  function restore(form) {
    var s = store();
    var raw = s && s.getItem(PREFIX + form.dataset.draft);
    if (!raw) { return; }
    var draft;
    try { draft = JSON.parse(raw); } catch (e) { return; }
    form.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (!el.name || el.name === "_csrf" || !(el.name in draft.fields) && el.type !== "radio" && el.type !== "checkbox") { return; }
      var v = draft.fields[el.name];
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = v === el.value;
      } else {
        el.value = v;
      }
    });
    // The time in the organisation's zone, named, like every time shown.
    var when;
    try {
      when = new Date(draft.at).toLocaleTimeString("en-US", { hour: "2-digit", minute: "2-digit", timeZone: form.dataset.zone, timeZoneName: "short" });
    } catch (e) {
      when = new Date(draft.at).toISOString().slice(11, 16) + " UTC";
    }
    say("Your entries from " + when + " were kept on this device; they are not sent yet.", "info");
  }
  function clear(name) {
    var s = store();
    if (s) { s.removeItem(PREFIX + name); }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-draft]").forEach(function (form) {
      // A form the server sent back with a problem shows what was sent;
      // the draft is the same entries.
      if (!document.querySelector(".flash-error, .error-summary")) { restore(form); }
      form.addEventListener("input", function () { save(form); });
      form.addEventListener("change", function () { save(form); });
    });
    // The confirmation of a sent draft clears it (also when the form was
    // sent without this script).
    var done = document.querySelector("[data-clear-draft]");
    if (done) {
      var s = store();
      var prefix = PREFIX + done.getAttribute("data-clear-draft");
      for (var i = s ? s.length - 1 : -1; i >= 0; i--) {
        var k = s.key(i);
        if (k && k.indexOf(prefix) === 0) { s.removeItem(k); }
      }
    }
  });
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.dataset.draft || ev.defaultPrevented || !window.fetch) { return; }
    ev.preventDefault();
    save(form);
    say("Sending…", "info");
    var body = new URLSearchParams(new FormData(form));
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin", redirect: "follow" }).then(function (res) {
      if (res.redirected && res.ok) {
        clear(form.dataset.draft);
        window.location.assign(res.url);
        return;
      }
      // The server answered with the form again (a problem to fix) or an
      // error page: show it as a normal submission would. Nothing was
      // stored, so sending again under the same key is safe.
      delete form.dataset.submitted;
      HTMLFormElement.prototype.submit.call(form);
    }).catch(function () {
      delete form.dataset.submitted;
      say("Not sent: there is no connection to Skillgate. Your entries are kept on this device; send again when the connection is back.", "error");
    });
  });
})();
// A form that came back with a mistake: move focus to its summary, as the
// GOV.UK pattern does, so a screen reader announces it first.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
});

// Printing opens every closed section (the print stylesheet hides forms
// and navigation), so the paper holds what the page holds; closing them
// again afterwards restores the page as it was.
(function () {
  var opened = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (d) {
      d.open = true;
      opened.push(d);
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
})();
