// Package outlookaddin is a sample Outlook add-in for an aurinko backend:
// a task pane (plain HTML and JavaScript, no build step), the dialog
// callback page, and both manifests (the add-in only XML manifest and the
// unified manifest for Microsoft 365). The example server
// (examples/server) serves it under /addin/ together with the add-in's
// backend part, which exchanges sign-in codes with the app's client secret
// so that the secret never reaches the browser.
//
// The manifests name https://localhost:3000 as the add-in's host, as
// Microsoft's samples do; the example server replaces it with its public
// URL when it serves them, so a manifest downloaded from
// PUBLIC_URL/addin/manifest.xml can be sideloaded as is.
//
// The flow, in static/taskpane.js:
//
//  1. GET /v1/user with the bearer session kept in localStorage; 200 shows
//     the user and accounts, 401 shows the sign-in button.
//  2. Sign-in opens Office.context.ui.displayDialogAsync at
//     /v1/auth/authorizeUser?accountRole=primary&responseType=code&returnUrl=
//     PUBLIC_URL/addin/callback.html; the provider sends the dialog back
//     there, and callback.html hands status, code and state to the task
//     pane with Office.context.ui.messageParent.
//  3. The task pane posts the one-time code to POST /addin/session; the
//     backend redeems it at POST /v1/auth/token/{code} with HTTP Basic
//     clientId:clientSecret and returns the user session token only.
//  4. "Link another account" asks POST /addin/link for a signed
//     authorizeUser URL (accountRole=secondary, userId, timestamp,
//     userSignature = HMAC-SHA256 of userId+timestamp keyed with the client
//     secret), computed by the backend for the session's user, and opens it
//     in the dialog: a dialog is a new browser window that may not carry
//     the task pane's cookies, so the signature, not a cookie, names the
//     user.
//
// Before step 2 the task pane tries to sign in without a popup: Office's
// SSO (Office.auth.getAccessToken, or nested app authentication where the
// page provides it) gives an Entra token for the add-in's API, which POST
// /v1/auth/sso trades for the user session; any failure falls back to the
// dialog. sso.go has the details and the manifest placeholders.
package outlookaddin

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// Files returns the add-in's files: taskpane.html, callback.html, their
// scripts and style, manifest.xml, manifest.json and assets/.
func Files() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return sub
}

// ManifestHost is the add-in host named in the manifests and pages, to be
// replaced by the serving server's public URL.
const ManifestHost = "https://localhost:3000"

// OfficeJSURL is where the task pane and callback pages load Office.js
// from: Microsoft's CDN, as Office requires. A server may replace it (tests
// load a stand-in).
const OfficeJSURL = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"
