// A stand-in for Office.js, FOR THE BROWSER TEST AND THE SANDBOX ONLY: just
// what the sample add-in uses, so that the task pane runs in a plain
// browser tab outside Outlook. displayDialogAsync opens the dialog URL in an
// iframe on top of the task pane; messageParent posts to the parent window,
// and the stand-in hands the message to the dialog's DialogMessageReceived
// handler. Inside Outlook, the real Office.js is used.
//
// Single sign-on is switched by the page's ?sso= query parameter, which is
// remembered in localStorage ("office-standin.sso") until another is given:
//   off (the default)  no SSO in this host: IdentityAPI 1.3 is not
//                      supported and Office.auth.getAccessToken rejects
//                      with code 13000;
//   on                 getAccessToken resolves with the token the example
//                      server's sandbox mints for its sample user
//                      (POST /sandbox/office-token), as Outlook would;
//   naa                as on, and the host also supports NestedAppAuth 1.1:
//                      the stand-in plays MSAL.js's part and sets
//                      window.aurinkoNestedAppAuth, which gets the same token;
//   refused            getAccessToken resolves with a token the server
//                      refuses (unsigned), as after a misconfiguration;
//   13001, 13002, …    getAccessToken rejects with that error code.
// window.officeStandin counts what the page called: dialogs opened,
// getAccessToken and nested app authentication calls.
"use strict";
(function () {
  const MSG = "office-standin-message";
  const SSO_KEY = "office-standin.sso";
  const TOKEN_URL = "/sandbox/office-token";
  const calls = { dialogs: 0, getAccessToken: 0, nestedAppAuth: 0 };
  window.officeStandin = calls;

  function ssoMode() {
    const q = new URLSearchParams(window.location.search).get("sso");
    try {
      if (q !== null) window.localStorage.setItem(SSO_KEY, q);
      return window.localStorage.getItem(SSO_KEY) || "off";
    } catch (e) {
      return q || "off";
    }
  }
  const mode = ssoMode();

  // The messages of the getAccessToken errors the stand-in produces, as
  // Microsoft's troubleshooting page describes them.
  const ERRORS = {
    13000: "The identity API is not supported for this add-in.",
    13001: "The user is not signed into Office.",
    13002: "The user aborted sign in or consent.",
    13003: "User type not supported.",
    13006: "Client error.",
    13007: "The Office application was unable to get an access token to the add-in's web service.",
    13012: "The add-in is running on a platform that does not support the getAccessToken API.",
  };
  function authError(code) {
    const e = new Error(ERRORS[code] || "Single sign-on failed.");
    e.name = "Error " + code;
    e.code = code;
    return e;
  }

  // officeToken gets the sandbox's token for the add-in's API.
  async function officeToken() {
    const resp = await fetch(TOKEN_URL, {
      method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: "{}", credentials: "omit", cache: "no-store",
    });
    if (!resp.ok) throw authError(13007);
    const data = await resp.json();
    if (!data.accessToken) throw authError(13007);
    return data.accessToken;
  }

  // An unsigned JWT (alg none) that no server accepts.
  function refusedToken() {
    const b64 = (o) => window.btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    return b64({ alg: "none", typ: "JWT" }) + "." + b64({ aud: "nobody", scp: "access_as_user" }) + ".";
  }

  const sets = { Mailbox: "1.13", DialogApi: "1.2" };
  if (mode !== "off") sets.IdentityAPI = "1.3";
  if (mode === "naa") sets.NestedAppAuth = "1.1";
  function isSetSupported(name, version) {
    const have = sets[name];
    if (!have) return false;
    const [hMaj, hMin] = have.split(".").map(Number);
    const [wMaj, wMin] = String(version || "1.1").split(".").map(Number);
    return hMaj > wMaj || (hMaj === wMaj && hMin >= (wMin || 0));
  }

  if (mode === "naa") {
    // What a page that loads MSAL.js defines (see the add-in's README):
    // here the host's broker is the sandbox's token endpoint.
    window.aurinkoNestedAppAuth = async function () {
      calls.nestedAppAuth++;
      return officeToken();
    };
  }

  function ready() {
    return new Promise(function (resolve) {
      const info = { host: "Outlook", platform: "OfficeOnline" };
      if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", function () { resolve(info); });
      } else {
        resolve(info);
      }
    });
  }
  window.Office = {
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    EventType: { DialogMessageReceived: "dialogMessageReceived", DialogEventReceived: "dialogEventReceived" },
    onReady: function (cb) {
      const p = ready();
      if (cb) p.then(cb);
      return p;
    },
    auth: {
      getAccessToken: async function (options) {
        calls.getAccessToken++;
        if (mode === "off") throw authError(13000);
        if (mode === "on" || mode === "naa") return officeToken();
        if (mode === "refused") return refusedToken();
        const code = Number(mode);
        throw authError(code >= 13000 && code < 14000 ? code : 13006);
      },
    },
    context: {
      requirements: { isSetSupported: isSetSupported },
      mailbox: { userProfile: { emailAddress: "", displayName: "" } },
      ui: {
        displayDialogAsync: function (url, options, cb) {
          calls.dialogs++;
          const frame = document.createElement("iframe");
          frame.id = "office-dialog";
          frame.title = "Office dialog";
          const handlers = {};
          function onMessage(ev) {
            if (ev.source !== frame.contentWindow || ev.origin !== window.location.origin) return;
            if (!ev.data || ev.data.type !== MSG) return;
            const h = handlers[window.Office.EventType.DialogMessageReceived];
            if (h) h({ message: ev.data.message, origin: ev.origin });
          }
          const dialog = {
            addEventHandler: function (type, h) { handlers[type] = h; },
            close: function () {
              window.removeEventListener("message", onMessage);
              frame.remove();
            },
          };
          window.addEventListener("message", onMessage);
          cb({ status: "succeeded", value: dialog });
          frame.src = url;
          document.body.appendChild(frame);
        },
        messageParent: function (message) {
          window.parent.postMessage({ type: MSG, message: String(message) }, window.location.origin);
        },
      },
    },
  };
})();
