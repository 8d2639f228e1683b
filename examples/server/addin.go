package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/apierr"
	outlookaddin "github.com/aurinko-go/aurinko/examples/outlook-addin"
	"github.com/aurinko-go/aurinko/session"
)

// addinBackend serves the Outlook add-in sample under /addin/ and is the
// add-in's own backend: the part of the app that holds its client secret.
// A real add-in's backend may run anywhere; this one shares the example
// server's process but talks to the aurinko API over HTTP like any client.
type addinBackend struct {
	clientID     string
	secret       string
	serviceType  string   // what the sign-in button signs in with
	serviceTypes []string // what "link another account" offers
	publicURL    string   // the server's public base URL
	basePath     string   // the API prefix, e.g. /v1
	officeJS     string   // where the pages load Office.js from
	apiURL       string   // where this backend reaches the API (the server's own listener)
	client       *http.Client
	sessions     *session.Manager
	now          func() time.Time
	logger       *slog.Logger
	files        fs.FS
	// sandbox tells the task pane about the sandbox's sample webhook
	// receiver and mail delivery.
	sandbox bool
	// sso, when not nil, lets the task pane sign in without a popup
	// (POST /v1/auth/sso) and fills in the manifests' WebApplicationInfo.
	sso *addinSSO
}

// callbackURL is the page the sign-in dialog returns to; it is added to the
// app's return URLs.
func (b *addinBackend) callbackURL() string { return b.publicURL + "/addin/callback.html" }

func (b *addinBackend) register(mux *http.ServeMux) {
	mux.HandleFunc("GET /addin/config.json", b.config)
	mux.HandleFunc("POST /addin/session", b.session)
	mux.Handle("POST /addin/link", b.sessions.Middleware(http.HandlerFunc(b.link)))
	mux.HandleFunc("GET /addin/{file...}", b.static)
	mux.Handle("GET /addin", http.RedirectHandler("/addin/taskpane.html", http.StatusFound))
}

// config tells the task pane what it needs; nothing in it is secret.
func (b *addinBackend) config(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	// What the task pane shows, recent mail and today's events, needs
	// these scopes from the mailbox providers; other connectors sign in
	// with none.
	scopes := ""
	if b.serviceType == "Office365" || b.serviceType == "Google" {
		scopes = "Mail.Read Calendar.Read"
	}
	out := map[string]any{
		"clientId":     b.clientID,
		"serviceType":  b.serviceType,
		"serviceTypes": b.serviceTypes,
		"apiBase":      b.basePath,
		"callbackUrl":  b.callbackURL(),
		"scopes":       scopes,
	}
	if b.sso != nil {
		out["sso"] = b.sso.config()
	}
	if b.sandbox {
		out["sandbox"] = map[string]string{
			"notificationUrl": b.publicURL + sandboxInboxPath, // where the provider-facing server posts
			"inboxUrl":        sandboxInboxPath,               // what the task pane polls
			"mailUrl":         sandboxMailPath,
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// session is POST /addin/session {"code"}: it redeems the one-time code of
// a sign-in at POST /v1/auth/token/{code} with the app's credentials and
// returns the user session token, and nothing else (no account token).
func (b *addinBackend) session(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Code string `json:"code"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&in); err != nil || in.Code == "" || len(in.Code) > 256 {
		b.fail(w, r, apierr.New(apierr.InvalidInput, "want {\"code\": \"...\"}"))
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, b.apiURL+b.basePath+"/auth/token/"+url.PathEscape(in.Code), http.NoBody)
	if err != nil {
		b.fail(w, r, err)
		return
	}
	req.SetBasicAuth(b.clientID, b.secret)
	resp, err := b.client.Do(req)
	if err != nil {
		b.fail(w, r, fmt.Errorf("addin: token exchange: %w", err))
		return
	}
	defer resp.Body.Close()
	var out struct {
		AccountID   int64  `json:"accountId"`
		UserID      string `json:"userId"`
		UserSession string `json:"userSession"`
	}
	if resp.StatusCode != http.StatusOK {
		b.logger.Warn("addin: token exchange refused", "status", resp.StatusCode)
		b.fail(w, r, apierr.New(apierr.InvalidInput, "the sign-in code is invalid, expired or already used"))
		return
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&out); err != nil || out.UserSession == "" {
		b.fail(w, r, fmt.Errorf("addin: token exchange answer without a user session"))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"userSession": out.UserSession, "userId": out.UserID, "accountId": out.AccountID})
}

// link is POST /addin/link {"serviceType", "state"} with the user's
// session: it returns the authorizeUser URL that links a secondary account
// to that user, signed with userId + timestamp + userSignature. The dialog
// that opens it is a new window which may not carry the task pane's
// cookies, so the signature names the user.
func (b *addinBackend) link(w http.ResponseWriter, r *http.Request) {
	p, ok := session.FromContext(r.Context())
	if !ok || p.Kind != session.KindUser || p.AppID != b.clientID {
		b.fail(w, r, apierr.New(apierr.Unauthorized, "sign in first"))
		return
	}
	var in struct {
		ServiceType string `json:"serviceType"`
		State       string `json:"state"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&in); err != nil || len(in.State) > 256 {
		b.fail(w, r, apierr.New(apierr.InvalidInput, "want {\"serviceType\": \"...\", \"state\": \"...\"}"))
		return
	}
	if !slices.Contains(b.serviceTypes, in.ServiceType) {
		b.fail(w, r, apierr.New(apierr.InvalidInput, "unknown serviceType"))
		return
	}
	ts := strconv.FormatInt(b.now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(b.secret))
	mac.Write([]byte(p.UserID + ts))
	q := url.Values{
		"clientId":      {b.clientID},
		"serviceType":   {in.ServiceType},
		"accountRole":   {"secondary"},
		"responseType":  {"none"},
		"returnUrl":     {b.callbackURL()},
		"userId":        {p.UserID},
		"timestamp":     {ts},
		"userSignature": {hex.EncodeToString(mac.Sum(nil))},
	}
	if in.State != "" {
		q.Set("state", in.State)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]string{"url": b.publicURL + b.basePath + "/auth/authorizeUser?" + q.Encode()})
}

// static serves the add-in's files. Pages and manifests name
// https://localhost:3000 as their host and Microsoft's CDN for Office.js;
// both are replaced here, and the manifests get the SSO settings (see
// addinSSO.manifest).
func (b *addinBackend) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if name == "" {
		http.Redirect(w, r, "/addin/taskpane.html", http.StatusFound)
		return
	}
	if !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	data, err := fs.ReadFile(b.files, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	ext := path.Ext(name)
	switch ext {
	case ".html", ".xml", ".json":
		s := string(data)
		if ext != ".html" && strings.HasPrefix(name, "manifest.") {
			if s, err = b.sso.manifest(ext, s); err != nil {
				b.fail(w, r, err)
				return
			}
		}
		if ext == ".html" {
			s = strings.ReplaceAll(s, outlookaddin.OfficeJSURL, b.officeJS)
		}
		s = strings.ReplaceAll(s, outlookaddin.ManifestHost, b.publicURL)
		if u, err := url.Parse(b.publicURL); err == nil {
			s = strings.ReplaceAll(s, strings.TrimPrefix(outlookaddin.ManifestHost, "https://"), u.Host)
		}
		data = []byte(s)
	}
	ctype := mime.TypeByExtension(ext)
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	// callback.html carries the one-time code in its URL: no referrer, no
	// cache.
	h.Set("Referrer-Policy", "no-referrer")
	if ext == ".html" {
		h.Set("Cache-Control", "no-store")
	}
	w.Write(data)
}

func (b *addinBackend) fail(w http.ResponseWriter, r *http.Request, err error) {
	apierr.Write(w, r, b.logger, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// pickServiceType returns the add-in's sign-in service type: the
// configured one, else the only connector, else Office365 when present,
// else the first.
func pickServiceType(configured string, have []string) (string, error) {
	if len(have) == 0 {
		return "", errAt("addin", "the add-in needs at least one connector to sign in with")
	}
	if configured != "" {
		for _, h := range have {
			if strings.EqualFold(h, configured) {
				return h, nil
			}
		}
		return "", errAt("addin.serviceType", "%s is not a configured connector (have %s)", quote(configured), strings.Join(have, ", "))
	}
	for _, h := range have {
		if h == "Office365" {
			return h, nil
		}
	}
	return have[0], nil
}
