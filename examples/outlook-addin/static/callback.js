// The sign-in dialog ends here: the aurinko backend redirects to this page
// with status=success|error, the task pane's state, and a one-time code
// (responseType=code) or details (on error). The page hands them to the
// task pane, which closes the dialog. The code is worth nothing without the
// app's client secret, which only the backend holds.
"use strict";
(function () {
  const q = new URLSearchParams(window.location.search);
  const message = JSON.stringify({
    status: q.get("status") || "error",
    code: q.get("code") || "",
    state: q.get("state") || "",
    details: q.get("details") || "",
  });
  // Remove the code from the address bar and history.
  history.replaceState(null, "", window.location.pathname);
  Office.onReady(function () {
    document.getElementById("status").textContent = "Signed in. You can close this window.";
    Office.context.ui.messageParent(message);
  });
})();
