// Task pane of the aurinko Outlook add-in sample. Plain JavaScript, no build
// step. It talks to two things on its own origin:
//   - the aurinko API under config.apiBase (/v1), with the user session as
//     "Authorization: Bearer ses_…" (X-Aurinko-Session works too): add-ins
//     run in iframes where third-party cookies are often blocked; on start,
//     when the server offers it (config.sso), it signs in without a popup
//     at POST /v1/auth/sso with a token from the Office host (see
//     signInWithSSO);
//   - the add-in's backend under /addin/ (session, link), which holds the
//     app's client secret;
// and, in the example server's sandbox (config.sandbox), to its sample
// webhook receiver and sample mail delivery under /sandbox/.
// Everything from the network reaches the page as textContent only.
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

  // Sign-in without a popup (add-in SSO). The Office host gives the add-in
  // an Entra access token for its own API (config.sso.resource), with no
  // dialog, and POST /v1/auth/sso trades it for a user session, as the code
  // exchange of the dialog sign-in does. Two ways to get the token:
  //   - nested app authentication (NAA) with MSAL.js, when the host
  //     supports NestedAppAuth 1.1 and the page has set
  //     window.aurinkoNestedAppAuth to an async function({clientId, scopes,
  //     loginHint}) that returns the token. This page has no build step to
  //     bundle MSAL.js with; README.md shows that function for a page that
  //     loads it;
  //   - Office.auth.getAccessToken, when the host supports IdentityAPI 1.3
  //     and the manifest has WebApplicationInfo.
  // The token goes to the server and nowhere else: never logged, shown or
  // stored.

  function supports(set, version) {
    const r = Office.context && Office.context.requirements;
    try { return !!(r && r.isSetSupported(set, version)); } catch (e) { return false; }
  }

  // ssoToken returns a token for the add-in's API from the host, or throws
  // (an Office error carries a 13xxx code).
  async function ssoToken() {
    const mailbox = Office.context.mailbox && Office.context.mailbox.userProfile;
    const naa = window.aurinkoNestedAppAuth;
    if (typeof naa === "function" && supports("NestedAppAuth", "1.1")) {
      try {
        const tok = await naa({ clientId: config.sso.clientId, scopes: config.sso.scopes,
          loginHint: (mailbox && mailbox.emailAddress) || undefined });
        if (typeof tok === "string" && tok) return tok;
      } catch (e) {
        // getAccessToken may still work.
      }
    }
    if (!supports("IdentityAPI", "1.3") || !Office.auth || typeof Office.auth.getAccessToken !== "function") {
      const e = new Error("single sign-on is not available in this host");
      e.code = "unsupported";
      throw e;
    }
    return Office.auth.getAccessToken({ allowSignInPrompt: true, allowConsentPrompt: true, forMSGraphAccess: false });
  }

  // signInWithSSO keeps a user session obtained without a popup and
  // returns true, or returns false on any failure (no SSO in this host, a
  // 13xxx error, the server's 401 or 403): the caller then offers the
  // dialog sign-in, without an error message.
  async function signInWithSSO() {
    if (!config.sso) return false;
    status("Signing in…");
    try {
      const q = new URLSearchParams({ clientId: config.clientId, serviceType: config.sso.serviceType });
      const resp = await fetch(config.apiBase + "/auth/sso?" + q.toString(), {
        method: "POST",
        headers: { Accept: "application/json", Authorization: "Bearer " + (await ssoToken()) },
        credentials: "omit",
      });
      const data = await resp.json().catch(() => ({}));
      if (!resp.ok || !data.userSession) {
        console.info("aurinko sample: the server refused sign-in without a popup (" + resp.status + "); offering the dialog");
        return false;
      }
      setSession(data.userSession);
      return true;
    } catch (e) {
      console.info("aurinko sample: no sign-in without a popup (" + ((e && e.code) || "error") + "); offering the dialog");
      return false;
    } finally {
      status("");
    }
  }

  async function signOut() {
    stopWatching();
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

  const pad = (n) => String(n).padStart(2, "0");
  const item = (text, cls) => {
    const x = document.createElement("li");
    if (cls) x.className = cls;
    x.textContent = text;
    return x;
  };

  // records reads a list of records from the API as the account; on
  // failure it says so in the list and returns null.
  async function records(list, path, accountId) {
    try {
      const resp = await api(path, { headers: { "X-Aurinko-Account-Id": String(accountId) } });
      if (resp.status === 404) { list.replaceChildren(item("not available for this account", "muted")); return null; }
      if (!resp.ok) { list.replaceChildren(item("could not load (" + resp.status + ")", "muted")); return null; }
      const data = await resp.json();
      return data.records || [];
    } catch (e) {
      list.replaceChildren(item("could not load", "muted"));
      return null;
    }
  }

  async function loadMail(accountId) {
    const list = $("mail");
    const recs = await records(list, "/email/messages?limit=5", accountId);
    if (!recs) return;
    const items = recs.slice(0, 5).map((m) => item((m.subject || "(no subject)") + " — " + ((m.from && m.from.address) || "")));
    list.replaceChildren(...(items.length ? items : [item("nothing here", "muted")]));
  }

  // rfc3339 writes d in the browser's zone with its offset, as the
  // calendar range wants: 2026-11-30T00:00:00+01:00.
  function rfc3339(d) {
    const off = -d.getTimezoneOffset();
    const abs = Math.abs(off);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) +
      (off < 0 ? "-" : "+") + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60);
  }

  // when is an event's time range on the day [dayStart, dayEnd): "all day",
  // or "09:30–10:15" (with the weekday for a time on another day).
  function when(ev, dayStart, dayEnd) {
    if (!ev.start || ev.start.dateOnly || !ev.start.dateTime) return "all day";
    const clock = (t) => {
      if (t.getTime() === dayEnd.getTime()) return "24:00";
      const hm = pad(t.getHours()) + ":" + pad(t.getMinutes());
      return t < dayStart || t > dayEnd ? t.toLocaleDateString(undefined, { weekday: "short" }) + " " + hm : hm;
    };
    const start = new Date(ev.start.dateTime);
    const end = ev.end && ev.end.dateTime ? new Date(ev.end.dateTime) : null;
    return end ? clock(start) + "–" + clock(end) : clock(start);
  }

  // joinLink is the https link of an online meeting, or null.
  function joinLink(ev) {
    const d = ev.meetingInfo && ev.meetingInfo.onlineMeetingDetails;
    if (!d || !d.url) return null;
    try {
      const u = new URL(d.url);
      if (u.protocol !== "https:") return null;
      const a = document.createElement("a");
      a.className = "join";
      a.href = u.href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      a.textContent = "Join";
      return a;
    } catch (e) {
      return null;
    }
  }

  // loadToday lists the primary calendar's events from local midnight to
  // the next midnight, all-day events first.
  async function loadToday(accountId) {
    const list = $("events");
    const dayStart = new Date();
    dayStart.setHours(0, 0, 0, 0);
    const dayEnd = new Date(dayStart);
    dayEnd.setDate(dayEnd.getDate() + 1);
    const q = new URLSearchParams({ timeMin: rfc3339(dayStart), timeMax: rfc3339(dayEnd), limit: "50" });
    const recs = await records(list, "/calendars/primary/events/range?" + q.toString(), accountId);
    if (!recs) return;
    const key = (ev) => (ev.start && ev.start.dateTime ? "1" + new Date(ev.start.dateTime).toISOString() : "0");
    recs.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    const items = recs.map((ev) => {
      const li = document.createElement("li");
      li.className = "event";
      const t = document.createElement("span");
      t.className = "when";
      t.textContent = when(ev, dayStart, dayEnd);
      const subject = document.createElement("span");
      subject.textContent = ev.subject || "(no title)";
      li.append(t, subject);
      const join = joinLink(ev);
      if (join) li.append(join);
      return li;
    });
    list.replaceChildren(...(items.length ? items : [item("nothing today", "muted")]));
  }

  // Sandbox webhooks: a subscription of the primary account's mail whose
  // notifications go to the example server's sample receiver, which
  // verifies them; the pane polls the receiver's list.
  let watching = null; // {subscription, accountId, timer, lastSeq (-1 before the first poll)}

  function stopWatching() {
    if (watching) window.clearInterval(watching.timer);
    watching = null;
    $("watch").disabled = false;
    $("watch").hidden = false;
    $("send-sample").hidden = true;
    $("watch-status").textContent = "";
    $("notifications").replaceChildren();
  }

  async function watchInbox() {
    error("");
    const primary = primaryAccount();
    if (!primary || !config.sandbox) return;
    const headers = { "X-Aurinko-Account-Id": String(primary.id) };
    const want = { resource: "/email/messages", notificationUrl: config.sandbox.notificationUrl };
    $("watch").disabled = true;
    $("watch-status").textContent = "Subscribing…";
    try {
      // An active subscription of this account to the sample receiver
      // (from before a reload) is reused.
      let sub = null;
      const listed = await api("/subscriptions", { headers });
      if (listed.ok) {
        const data = await listed.json();
        sub = (data.records || []).find((x) => x.active && x.resource === want.resource && x.notificationUrl === want.notificationUrl) || null;
      }
      if (!sub) {
        const resp = await api("/subscriptions", {
          method: "POST",
          headers: Object.assign({ "Content-Type": "application/json" }, headers),
          body: JSON.stringify(want),
        });
        const data = await resp.json().catch(() => ({}));
        if (!resp.ok) throw new Error(data.message || "POST /subscriptions failed (" + resp.status + ")");
        sub = data;
      }
      if (watching) window.clearInterval(watching.timer);
      watching = { subscription: sub.id, accountId: primary.id, lastSeq: -1, timer: 0 };
      watching.timer = window.setInterval(pollNotifications, 2000);
      $("watch").hidden = true;
      $("send-sample").hidden = false;
      $("watch-status").textContent = "Watching your inbox (subscription " + sub.id + "). Notifications appear below as the server delivers them.";
      await pollNotifications();
    } catch (e) {
      $("watch").disabled = false;
      $("watch-status").textContent = "";
      error(e.message);
    }
  }

  function describe(n) {
    if (n.lifecycleEvent) return "lifecycle: " + n.lifecycleEvent;
    const payloads = n.payloads || [];
    const kinds = Array.from(new Set(payloads.map((p) => p.changeType))).join(", ");
    return payloads.length + (payloads.length === 1 ? " change" : " changes") + " (" + kinds + ") in " + n.resource;
  }

  async function pollNotifications() {
    const w = watching;
    if (!w) return;
    try {
      const resp = await fetch(config.sandbox.inboxUrl, { headers: { Accept: "application/json" }, credentials: "omit", cache: "no-store" });
      if (!resp.ok || watching !== w) return;
      const data = await resp.json();
      const mine = (data.records || []).filter((r) => r.notification && r.notification.subscription === w.subscription);
      const items = mine.slice(0, 10).map((r) => {
        const at = new Date(r.receivedAt);
        return item(pad(at.getHours()) + ":" + pad(at.getMinutes()) + ":" + pad(at.getSeconds()) + " · " + describe(r.notification), "notification");
      });
      $("notifications").replaceChildren(...(items.length ? items : [item("no notification yet", "muted")]));
      const newest = mine.length ? mine[0].seq : 0;
      if (newest > w.lastSeq) {
        if (w.lastSeq >= 0) { // the inbox changed since the first poll
          $("watch-status").textContent = "Watching your inbox (subscription " + w.subscription + "): a notification arrived.";
          loadMail(w.accountId);
        }
        w.lastSeq = newest;
      }
    } catch (e) {
      // The next tick tries again.
    }
  }

  // sendSample asks the sandbox to deliver a new message to the inbox.
  async function sendSample() {
    error("");
    try {
      const resp = await fetch(config.sandbox.mailUrl, {
        method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: "{}", credentials: "omit",
      });
      const data = await resp.json().catch(() => ({}));
      if (!resp.ok) throw new Error(data.message || "sending failed (" + resp.status + ")");
      $("watch-status").textContent = "Delivered “" + data.subject + "”; its notification is on the way.";
    } catch (e) {
      error(e.message);
    }
  }

  function primaryAccount() {
    const accts = (user && user.accounts) || [];
    return accts.find((a) => a.type === "primary") || accts[0] || null;
  }

  // load shows the signed-in user, or the sign-in button.
  async function load() {
    if (!(await loadUser())) {
      status("");
      show("signed-out");
    }
  }

  // loadUser shows the user of the stored session and returns true, or
  // returns false (showing nothing) when there is no valid session.
  async function loadUser() {
    if (!session()) return false;
    status("Loading your account…");
    const resp = await api("/user");
    if (resp.status === 401) {
      setSession("");
      status("");
      return false;
    }
    if (!resp.ok) throw new Error("GET /user failed (" + resp.status + ")");
    user = await resp.json();
    renderUser();
    status("");
    show("signed-in");
    $("webhooks").hidden = !config.sandbox;
    const primary = primaryAccount();
    if (primary) {
      loadMail(primary.id);
      loadToday(primary.id);
    }
    return true;
  }

  async function init() {
    try {
      const resp = await fetch("config.json", { credentials: "omit" });
      if (!resp.ok) throw new Error("config.json: " + resp.status);
      config = await resp.json();
      $("sign-in").addEventListener("click", signIn);
      $("link").addEventListener("click", link);
      $("sign-out").addEventListener("click", signOut);
      $("watch").addEventListener("click", watchInbox);
      $("send-sample").addEventListener("click", sendSample);
      // A stored session first; else a sign-in without a popup; else the
      // dialog sign-in button.
      if (await loadUser()) return;
      if (await signInWithSSO() && await loadUser()) return;
      status("");
      show("signed-out");
    } catch (e) {
      status("");
      error("The add-in could not start: " + e.message);
    }
  }

  Office.onReady(init);
})();
