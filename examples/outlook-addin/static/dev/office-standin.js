// A stand-in for Office.js, FOR THE BROWSER TEST AND THE SANDBOX ONLY: just
// what the sample add-in uses, so that the task pane runs in a plain
// browser tab outside Outlook. displayDialogAsync opens the dialog URL in an
// iframe on top of the task pane; messageParent posts to the parent window,
// and the stand-in hands the message to the dialog's DialogMessageReceived
// handler. Inside Outlook, the real Office.js is used.
"use strict";
(function () {
  const MSG = "office-standin-message";
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
    context: {
      mailbox: { userProfile: { emailAddress: "", displayName: "" } },
      ui: {
        displayDialogAsync: function (url, options, cb) {
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
