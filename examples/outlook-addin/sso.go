package outlookaddin

// Sign-in without a popup (add-in SSO). On start the task pane asks the
// Office host for an Entra access token to the add-in's own API, without
// any dialog: with nested app authentication when the host supports the
// NestedAppAuth 1.1 requirement set and the page has loaded MSAL.js and set
// window.aurinkoNestedAppAuth (see README.md), else with
// Office.auth.getAccessToken({allowSignInPrompt: true, allowConsentPrompt:
// true, forMSGraphAccess: false}). It sends the token to POST
// /v1/auth/sso?clientId=…&serviceType=Office365 as "Authorization: Bearer",
// keeps the user session of the answer as the dialog sign-in does, and shows
// the user. Any failure (no SSO in this host, a 13xxx error code, the
// server's 401 or 403) falls back, silently, to the dialog sign-in button.
// The token is never logged, shown or stored.
//
// getAccessToken needs the add-in's Entra app registration in the
// manifests (WebApplicationInfo in manifest.xml, webApplicationInfo in
// manifest.json). The files carry the placeholders below; a server that
// serves them fills in its Office365 connector's client id and SSO
// Application ID URI, or leaves the element out when it has no SSO.

// SSOClientIDPlaceholder is the application (client) id in the manifests'
// WebApplicationInfo Id and webApplicationInfo.id: the Entra app
// registration of the add-in's backend (the Office365 connector's client
// id).
const SSOClientIDPlaceholder = "00000000-0000-0000-0000-000000000000"

// SSOResourcePlaceholder is the Application ID URI in the manifests'
// WebApplicationInfo Resource and webApplicationInfo.resource: the API
// the tokens are for, api://{add-in host}/{client id}. It is replaced
// before ManifestHost, which it contains.
const SSOResourcePlaceholder = "api://localhost:3000/" + SSOClientIDPlaceholder
