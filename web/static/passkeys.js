// Passkeys (WebAuthn): the browser's side of registering a passkey on the
// account page, logging in with one, and signing with one. Pages work
// without it (password and code); buttons marked data-passkey-* appear
// only where the browser offers passkeys.
"use strict";
(function () {
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }
  function b64u(buf) {
    var s = "", bytes = new Uint8Array(buf);
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function unb64u(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }
  // The page's CSRF token: the button's form's, or any on the page.
  function csrf(el) {
    var f = el.closest("form");
    var input = (f && f.querySelector("input[name=_csrf]")) || document.querySelector("input[name=_csrf]");
    return input ? input.value : "";
  }
  function post(url, body, token) {
    return fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-Csrf-Token": token },
      body: body === undefined ? "{}" : JSON.stringify(body) });
  }
  function say(el, text) {
    var out = document.getElementById(el.getAttribute("data-passkey-status"));
    if (out) { out.textContent = text; }
  }
  function assertionJSON(cred) {
    return { id: cred.id, rawId: b64u(cred.rawId), type: cred.type, response: {
      authenticatorData: b64u(cred.response.authenticatorData), clientDataJSON: b64u(cred.response.clientDataJSON),
      signature: b64u(cred.response.signature), userHandle: cred.response.userHandle ? b64u(cred.response.userHandle) : null } };
  }
  async function get(optionsURL, token) {
    var res = await post(optionsURL, {}, token);
    if (!res.ok) { throw new Error("options " + res.status); }
    var opts = (await res.json()).publicKey;
    opts.challenge = unb64u(opts.challenge);
    (opts.allowCredentials || []).forEach(function (c) { c.id = unb64u(c.id); });
    return assertionJSON(await navigator.credentials.get({ publicKey: opts }));
  }
  document.querySelectorAll("[data-passkey-register],[data-passkey-login],[data-passkey-sign]").forEach(function (b) { b.hidden = false; });
  document.addEventListener("click", async function (ev) {
    var el = ev.target.closest("[data-passkey-register],[data-passkey-login],[data-passkey-sign]");
    if (!el) { return; }
    ev.preventDefault();
    var token = csrf(el);
    try {
      if (el.hasAttribute("data-passkey-register")) {
        var name = document.getElementById("f-passkey_name").value.trim();
        if (!name) { say(el, "Give the passkey a name first."); return; }
        var res = await post("/account/passkeys/options", {}, token);
        var opts = (await res.json()).publicKey;
        opts.challenge = unb64u(opts.challenge);
        opts.user.id = unb64u(opts.user.id);
        (opts.excludeCredentials || []).forEach(function (c) { c.id = unb64u(c.id); });
        var cred = await navigator.credentials.create({ publicKey: opts });
        var done = await post("/account/passkeys?name=" + encodeURIComponent(name), { id: cred.id, rawId: b64u(cred.rawId), type: cred.type,
          response: { attestationObject: b64u(cred.response.attestationObject), clientDataJSON: b64u(cred.response.clientDataJSON),
            transports: cred.response.getTransports ? cred.response.getTransports() : [] } }, token);
        var body = await done.json();
        if (done.ok) { window.location = body.next; } else { say(el, (body.error && body.error.message) || "The passkey was not saved."); }
      } else if (el.hasAttribute("data-passkey-login")) {
        var answer = await get("/login/passkey/options", token);
        var next = el.getAttribute("data-next") || "/";
        var r = await post("/login/passkey?next=" + encodeURIComponent(next), answer, token);
        var b = await r.json();
        if (r.ok) { window.location = b.next; } else { say(el, (b.error && b.error.message) || "The passkey was not accepted."); }
      } else {
        var form = el.closest("form");
        form.querySelector("input[name=passkey]").value = JSON.stringify(await get("/account/passkeys/reauth", token));
        form.querySelectorAll("input[type=password],input[name=code]").forEach(function (i) { i.required = false; });
        form.submit();
      }
    } catch (e) {
      say(el, "The passkey did not answer (" + e.name + ": " + e.message + "). Try again, or use your password.");
    }
  });
})();
