package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"

	outlookaddin "github.com/aurinko-go/aurinko/examples/outlook-addin"
)

// addinSSO is the add-in's sign-in without a popup: the Office365
// connector's SSO settings, which the task pane learns from config.json
// and the manifests carry as WebApplicationInfo.
type addinSSO struct {
	serviceType string // the connector that validates the tokens: Office365
	clientID    string // the Entra app's client id (WebApplicationInfo Id)
	apiAppID    string // the Application ID URI of its API (Resource)
	scope       string // the scope the API exposes, e.g. access_as_user
}

// newAddinSSO returns the add-in's SSO settings, or nil when the Office365
// connector has none.
func newAddinSSO(o *office365Config) *addinSSO {
	if o == nil || o.SSO.APIAppID == "" {
		return nil
	}
	return &addinSSO{serviceType: "Office365", clientID: o.ClientID, apiAppID: o.SSO.APIAppID, scope: o.SSO.Scope}
}

// config is what config.json says of SSO: the service type to name at
// POST /v1/auth/sso, and for nested app authentication (MSAL.js) the
// client id and the full scope to request, {Application ID URI}/{scope}.
func (s *addinSSO) config() map[string]any {
	return map[string]any{
		"serviceType": s.serviceType,
		"clientId":    s.clientID,
		"resource":    s.apiAppID,
		"scopes":      []string{strings.TrimSuffix(s.apiAppID, "/") + "/" + s.scope},
	}
}

// manifest fills in the WebApplicationInfo of a manifest (".xml" or
// ".json"): the connector's client id and Application ID URI replace the
// placeholders, or, with no SSO (s is nil), the element is left out, so
// that Office never asks Entra for a token of a placeholder app. It runs
// before the add-in host is replaced, since the placeholder URI names it.
func (s *addinSSO) manifest(ext, doc string) (string, error) {
	if s == nil {
		switch ext {
		case ".xml":
			return withoutXMLElement(doc, "WebApplicationInfo")
		case ".json":
			return withoutJSONMember(doc, "webApplicationInfo")
		}
		return doc, nil
	}
	esc := func(v string) string { return v }
	switch ext {
	case ".xml":
		esc = func(v string) string {
			var b strings.Builder
			_ = xml.EscapeText(&b, []byte(v))
			return b.String()
		}
	case ".json":
		esc = func(v string) string {
			b, _ := json.Marshal(v)
			return string(b[1 : len(b)-1])
		}
	}
	doc = strings.ReplaceAll(doc, outlookaddin.SSOResourcePlaceholder, esc(s.apiAppID))
	return strings.ReplaceAll(doc, outlookaddin.SSOClientIDPlaceholder, esc(s.clientID)), nil
}

// withoutXMLElement removes the element <name>…</name> (one, not nested,
// without attributes) and the indentation and line break around it.
func withoutXMLElement(doc, name string) (string, error) {
	open, end := "<"+name+">", "</"+name+">"
	i := strings.Index(doc, open)
	if i < 0 {
		return doc, nil
	}
	j := strings.Index(doc[i:], end)
	if j < 0 {
		return "", fmt.Errorf("manifest: <%s> is not closed", name)
	}
	j += i + len(end)
	i = len(strings.TrimRight(doc[:i], " \t"))
	if strings.HasPrefix(doc[j:], "\n") {
		j++
	}
	return doc[:i] + doc[j:], nil
}

// withoutJSONMember removes the member key of the JSON object doc, with
// the comma that separated it, and keeps every other byte.
func withoutJSONMember(doc, key string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", errors.New("manifest: not a JSON object")
	}
	prevEnd := dec.InputOffset() // after '{' or the previous value
	first := true
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return "", fmt.Errorf("manifest: %w", err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return "", fmt.Errorf("manifest: %w", err)
		}
		end := dec.InputOffset()
		if t == key {
			if first { // drop the comma after it instead of the one before
				rest := bytes.TrimLeft([]byte(doc[end:]), " \t\r\n")
				if len(rest) > 0 && rest[0] == ',' {
					end = int64(len(doc)-len(rest)) + 1
				}
			}
			return doc[:prevEnd] + doc[end:], nil
		}
		prevEnd, first = end, false
	}
	return doc, nil
}
