package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/store"
)

// httpError is an error with the status and message the operator sees.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return "admin: " + e.msg }

func errNotFound(msg string) error   { return &httpError{http.StatusNotFound, msg} }
func errBadRequest(msg string) error { return &httpError{http.StatusBadRequest, msg} }
func errForbidden(msg string) error  { return &httpError{http.StatusForbidden, msg} }
func errConflict(msg string) error   { return &httpError{http.StatusConflict, msg} }
func errUnauthorized() error {
	return &httpError{http.StatusUnauthorized, "admin credentials required"}
}

// statusOf maps an error to the status and message shown. Errors without a
// known meaning are 500 with a fixed message: their text may name internals.
func statusOf(err error) (int, string) {
	var he *httpError
	if errors.As(err, &he) {
		return he.status, he.msg
	}
	var ae *apierr.Error
	if errors.As(err, &ae) {
		return apierr.Status(ae.Code), ae.Message
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "not found"
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict, "conflict: the record changed or is in a state that does not allow this"
	}
	return http.StatusInternalServerError, "internal error (see the server log)"
}

// apiKey marks the requests of the JSON API in their context.
type apiKey struct{}

// markAPI marks every request it passes on as one of the JSON API.
func markAPI(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), apiKey{}, true)))
	})
}

// isAPI reports whether a request is for the JSON API.
func isAPI(r *http.Request) bool {
	api, _ := r.Context().Value(apiKey{}).(bool)
	return api
}

// fail answers err as JSON for the API and as a page otherwise.
func (c *console) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := statusOf(err)
	if status >= 500 {
		c.logger.ErrorContext(r.Context(), "admin: request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	if isAPI(r) || principal(r.Context()) == "" {
		if isAPI(r) {
			writeJSON(w, status, map[string]string{"code": http.StatusText(status), "message": msg})
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintln(w, msg)
		return
	}
	c.render(w, r, status, "error", "Error", map[string]any{"Status": status, "Message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// pageFunc loads the data of a page, served as HTML and as JSON.
type pageFunc func(r *http.Request) (title string, data any, err error)

// page serves fn at GET path of pages (HTML, template name) and of api
// (JSON).
func (c *console) page(pages, api *http.ServeMux, path, name string, fn pageFunc) {
	pages.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
		title, data, err := fn(r)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		c.render(w, r, http.StatusOK, name, title, data)
	})
	api.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
		_, data, err := fn(r)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, data)
	})
}

// actionFunc performs a POSTed action and says where to go next (a path
// under the console) and which notice to show there.
type actionFunc func(r *http.Request) (next, done string, err error)

// maxFormBytes bounds the body of an action.
const maxFormBytes = 64 << 10

// action serves fn at POST path, after checking the CSRF token.
func (c *console) action(mux *http.ServeMux, path string, fn actionFunc) {
	mux.HandleFunc("POST "+path, func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			c.fail(w, r, errBadRequest("malformed form"))
			return
		}
		if !c.checkCSRF(principal(r.Context()), r.PostForm.Get("csrf")) {
			c.fail(w, r, errForbidden("missing or invalid CSRF token: reload the page and try again"))
			return
		}
		next, done, err := fn(r)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		u := c.base(r) + next
		if done != "" {
			sep := "?"
			if strings.Contains(u, "?") {
				sep = "&"
			}
			u += sep + "done=" + url.QueryEscape(done)
		}
		http.Redirect(w, r, u, http.StatusSeeOther)
	})
}

// apiActionFunc performs an action of the JSON API and returns the status
// and body of its answer.
type apiActionFunc func(r *http.Request) (int, ActionResult, error)

// apiAction serves fn at pattern (a method and a path) of the JSON API. A
// POST must say Content-Type: application/json (its body is not read):
// a browser cannot send such a request cross-site without a CORS preflight,
// which the console never answers, so the header stands in for the CSRF
// token of the forms (http.CrossOriginProtection checks the origin too).
func (c *console) apiAction(mux *http.ServeMux, pattern string, fn apiActionFunc) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
				c.fail(w, r, &httpError{http.StatusUnsupportedMediaType, "send Content-Type: application/json"})
				return
			}
		}
		status, res, err := fn(r)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		res.Message = notices[res.Done]
		writeJSON(w, status, res)
	})
}

// notices are the messages an action's redirect can ask for (?done=).
// Only these fixed texts are ever shown, so the parameter cannot inject
// anything.
var notices = map[string]string{
	"deactivated": "Account deactivated.",
	"deleted":     "Account deleted; its grant was revoked at the provider where the provider allows it.",
	"refreshed":   "Token refreshed.",
	"unchanged":   "The token was not refreshed: it does not expire.",
	"requeued":    "Job queued again.",
	"rotating":    "Re-sealing started.",
}

// view is what every template gets.
type view struct {
	Base   string // the console's path prefix
	Title  string
	Who    string
	CSRF   string
	Notice string
	Now    time.Time
	Data   any
}

func (c *console) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	t, ok := c.pages[name]
	if !ok {
		c.logger.Error("admin: no template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	who := principal(r.Context())
	v := view{Base: c.base(r), Title: title, Who: who, CSRF: c.csrfToken(who), Notice: notices[r.URL.Query().Get("done")],
		Now: c.now(), Data: data}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		c.logger.Error("admin: render", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// templateFuncs are the helpers the templates use.
var templateFuncs = template.FuncMap{
	"esc": url.PathEscape,
	"ts": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"join": strings.Join,
	"list": func(s ...string) []string { return s },
}

// parsePages parses every page template together with the layout.
func parsePages() (map[string]*template.Template, error) {
	layout, err := template.New("layout").Funcs(templateFuncs).ParseFS(files, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("admin: parse layout: %w", err)
	}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("admin: templates: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(files, n)
		if err != nil {
			return nil, fmt.Errorf("admin: parse %s: %w", n, err)
		}
		pages[name] = t
	}
	return pages, nil
}
