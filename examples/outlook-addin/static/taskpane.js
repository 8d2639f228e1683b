// Task pane of the aurinko Outlook add-in sample. Plain JavaScript, no build
// step. It talks to two things on its own origin:
//   - the aurinko API under config.apiBase (/v1), with the user session as
//     "Authorization: Bearer ses_…" (X-Aurinko-Session works too): add-ins
//     run in iframes where third-party cookies are often blocked;
//   - the add-in's backend under /addin/ (session, link), which holds the
//     app's client secret.
"use strict";

(function () {
  const SESSION_KEY = "aurinko.sample.session";
  const STATE_KEY = "aurinko.sample.state";
  let config = null;
  let user = null;

  const $ = (id) => document.getElementById(id);

  function show(section) {
    $("signed-out").hidden = section !== "signed-out";
    $("signed-in").hidden = section !== "signed-in";
  }
  function status(text) { $("status").textContent = text; }
  function error(text) {
    const e = $("error");
    e.textContent = text || "";
    e.hidden = !text;
  }

  function session() { return window.localStorage.getItem(SESSION_KEY) || ""; }
  function setSession(tok) {
    if (tok) window.localStorage.setItem(SESSION_KEY, tok);
    else window.localStorage.removeItem(SESSION_KEY);
  }

  // api calls the aurinko API with the bearer session.
  async function api(path, opts) {
    opts = opts || {};
    const headers = Object.assign({ Accept: "application/json" }, opts.headers || {});
    if (session()) headers.Authorization = "Bearer " + session();
    return fetch(config.apiBase + path, Object.assign({}, opts, { headers, credentials: "omit" }));
  }

  // backend calls the add-in's own backend (same origin).
  async function backend(path, body) {
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (session()) headers.Authorization = "Bearer " + session();
    const resp = await fetch(path, { method: "POST", headers, body: JSON.stringify(body || {}), credentials: "omit" });
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) throw new Error(data.message || "request failed (" + resp.status + ")");
    return data;
  }

  function randomState() {
    const b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  // openDialog opens url in the Office dialog and resolves with the
  // message that callback.html sends back.
  function openDialog(url) {
    return new Promise((resolve, reject) => {
      Office.context.ui.displayDialogAsync(url, { height: 60, width: 30, promptBeforeOpen: false }, (res) => {
        if (res.status === Office.AsyncResultStatus.Failed) {
          reject(new Error("The sign-in window could not open (" + (res.error && res.error.code) + ")."));
          return;
        }
        const dialog = res.value;
        dialog.addEventHandler(Office.EventType.DialogMessageReceived, (arg) => {
          dialog.close();
          try { resolve(JSON.parse(arg.message)); } catch (e) { reject(new Error("Unexpected answer from the sign-in window.")); }
        });
        dialog.addEventHandler(Office.EventType.DialogEventReceived, (arg) => {
          // 12006: the user closed the dialog.
          reject(new Error(arg.error === 12006 ? "The sign-in window was closed." : "The sign-in window failed (" + arg.error + ")."));
        });
      });
    });
  }

  // runFlow opens an authorize URL in the dialog, checks the returned
  // state, and exchanges a returned code for a session.
  async function runFlow(authorizeURL, state) {
    window.sessionStorage.setItem(STATE_KEY, state);
    const msg = await openDialog(authorizeURL);
    const want = window.sessionStorage.getItem(STATE_KEY);
    window.sessionStorage.removeItem(STATE_KEY);
    if (!msg || msg.state !== want) throw new Error("The sign-in answer does not belong to this window.");
    if (msg.status !== "success") throw new Error("Sign-in failed: " + (msg.details || "unknown error"));
    if (msg.code) {
      const out = await backend("/addin/session", { code: msg.code });
      setSession(out.userSession);
    }
  }

  async function signIn() {
    error("");
    const state = randomState();
    const q = new URLSearchParams({
      clientId: config.clientId,
      serviceType: config.serviceType,
      accountRole: "primary",
      responseType: "code",
      returnUrl: config.callbackUrl,
      state: state,
    });
    if (config.scopes) q.set("scopes", config.scopes);
    const mailbox = Office.context.mailbox && Office.context.mailbox.userProfile;
    if (mailbox && mailbox.emailAddress) q.set("loginHint", mailbox.emailAddress);
    try {
      status("Signing in…");
      await runFlow(config.apiBase + "/auth/authorizeUser?" + q.toString(), state);
      await load();
    } catch (e) {
      status("");
      error(e.message);
    }
  }

  async function link() {
    error("");
    const state = randomState();
    try {
      const out = await backend("/addin/link", { serviceType: $("link-service").value, state: state });
      status("Linking an account…");
      await runFlow(out.url, state);
      await load();
    } catch (e) {
      status("");
      error(e.message);
    }
  }

  async function signOut() {
    try { await api("/user/logout", { method: "POST" }); } catch (e) { /* the session is dropped anyway */ }
    setSession("");
    await load();
  }

  function renderUser() {
    $("user-name").textContent = user.name || "";
    $("user-email").textContent = user.email || "";
    const list = $("accounts");
    list.replaceChildren();
    for (const a of user.accounts || []) {
      const li = document.createElement("li");
      li.className = "account";
      li.dataset.accountId = String(a.id);
      li.textContent = (a.email || a.name || "account " + a.id) + " · " + a.serviceType;
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = a.type;
      li.appendChild(badge);
      list.appendChild(li);
    }
    const sel = $("link-service");
    sel.replaceChildren();
    for (const st of config.serviceTypes) {
      const o = document.createElement("option");
      o.value = st;
      o.textContent = st;
      sel.appendChild(o);
    }
  }

  // placeholder fills a list from an API that later releases deliver; a
  // 404 says "not available yet".
  async function placeholder(listId, path, accountId, render) {
    const list = $(listId);
    const li = (text) => { const x = document.createElement("li"); x.className = "muted"; x.textContent = text; return x; };
    try {
      const resp = await api(path, { headers: { "X-Aurinko-Account-Id": String(accountId) } });
      if (resp.status === 404) { list.replaceChildren(li("not available yet")); return; }
      if (!resp.ok) { list.replaceChildren(li("could not load (" + resp.status + ")")); return; }
      const data = await resp.json();
      const items = (data.records || []).slice(0, 5).map(render);
      list.replaceChildren(...(items.length ? items : [li("nothing here")]));
    } catch (e) {
      list.replaceChildren(li("could not load"));
    }
  }

  async function load() {
    if (!session()) { status(""); show("signed-out"); return; }
    status("Loading your account…");
    const resp = await api("/user");
    if (resp.status === 401) {
      setSession("");
      status("");
      show("signed-out");
      return;
    }
    if (!resp.ok) throw new Error("GET /user failed (" + resp.status + ")");
    user = await resp.json();
    renderUser();
    status("");
    show("signed-in");
    const primary = (user.accounts || []).find((a) => a.type === "primary") || (user.accounts || [])[0];
    if (primary) {
      const li = (text) => { const x = document.createElement("li"); x.textContent = text; return x; };
      const start = new Date(); start.setHours(0, 0, 0, 0);
      const end = new Date(start.getTime() + 24 * 3600 * 1000);
      placeholder("mail", "/email/messages?limit=5", primary.id, (m) => li((m.subject || "(no subject)") + " — " + ((m.from && m.from.address) || "")));
      placeholder("events", "/calendars/primary/events/range?timeMin=" + encodeURIComponent(start.toISOString()) +
        "&timeMax=" + encodeURIComponent(end.toISOString()), primary.id, (ev) => li(ev.subject || "(no title)"));
    }
  }

  async function init() {
    try {
      const resp = await fetch("config.json", { credentials: "omit" });
      if (!resp.ok) throw new Error("config.json: " + resp.status);
      config = await resp.json();
      $("sign-in").addEventListener("click", signIn);
      $("link").addEventListener("click", link);
      $("sign-out").addEventListener("click", signOut);
      await load();
    } catch (e) {
      status("");
      error("The add-in could not start: " + e.message);
    }
  }

  Office.onReady(init);
})();
