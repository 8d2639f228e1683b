package connectors

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

func TestParseScopes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []Scope
		wantErr string
	}{
		{"", nil, ""},
		{"Mail.Read", []Scope{MailRead}, ""},
		{"Mail.Read Mail.Send", []Scope{MailRead, MailSend}, ""},
		{"Mail.Read,Calendar.ReadWrite", []Scope{MailRead, CalendarReadWrite}, ""},
		{" Mail.Read , ,Mail.Read  Tasks.Read ", []Scope{MailRead, TasksRead}, ""},
		{"Mail.Read+Mail.Send", []Scope{MailRead, MailSend}, ""},
		{"mail.read", nil, `unknown scope "mail.read"`},
		{"Mail.Read Mail.Everything", nil, `unknown scope "Mail.Everything"`},
		{"Mail.Read;Mail.Send", nil, "unknown scope"},
		{"https://graph.microsoft.com/Mail.Read", nil, "unknown scope"},
		{"Mail.Read\x00", nil, "unknown scope"},
		{strings.Repeat("Mail.Read ", 500), nil, "longer than"},
	}
	for _, tc := range tests {
		got, err := ParseScopes(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseScopes(%.30q) err = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseScopes(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestMapScopes(t *testing.T) {
	t.Parallel()
	table := map[Scope][]string{MailRead: {"mail.read"}, MailSend: {"mail.send", "mail.read"}}
	got, err := MapScopes([]Scope{MailSend, MailRead}, table, "openid")
	if err != nil || !slices.Equal(got, []string{"openid", "mail.send", "mail.read"}) {
		t.Fatalf("MapScopes = %v, %v", got, err)
	}
	if _, err := MapScopes([]Scope{TasksRead}, table); !errors.Is(err, ErrUnsupportedScope) {
		t.Fatalf("err = %v, want ErrUnsupportedScope", err)
	}
	if u := UnifiedFromNative([]string{"mail.read"}, table); !slices.Equal(u, []Scope{MailRead}) {
		t.Fatalf("UnifiedFromNative = %v", u)
	}
}

type stubConnector struct{ st string }

func (s stubConnector) ServiceType() string                                     { return s.st }
func (stubConnector) NativeScopes([]Scope) ([]string, error)                    { return nil, nil }
func (stubConnector) AuthCodeURL(context.Context, AuthRequest) (string, error)  { return "", nil }
func (stubConnector) Exchange(context.Context, ExchangeRequest) (*Grant, error) { return nil, nil }
func (stubConnector) Refresh(context.Context, *oauth2.Token) (*oauth2.Token, error) {
	return nil, nil
}

func TestRegistry(t *testing.T) {
	t.Parallel()
	r, err := NewRegistry(stubConnector{"Salesforce"}, stubConnector{"Google"})
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := r.Get("google"); !ok || c.ServiceType() != "Google" {
		t.Fatalf("Get(google) = %v, %v", c, ok)
	}
	if _, ok := r.Get("Office365"); ok {
		t.Fatal("Get of an unregistered type succeeded")
	}
	if !slices.Equal(r.ServiceTypes(), []string{"Google", "Salesforce"}) {
		t.Fatalf("ServiceTypes = %v", r.ServiceTypes())
	}
	for _, bad := range [][]Connector{{stubConnector{"A"}, stubConnector{"a"}}, {stubConnector{""}}, {nil}} {
		if _, err := NewRegistry(bad...); err == nil {
			t.Errorf("NewRegistry(%v) accepted", bad)
		}
	}
	var nilReg *Registry
	if _, ok := nilReg.Get("x"); ok {
		t.Fatal("nil registry found a connector")
	}
}

func TestTokenErrorAndCallbackError(t *testing.T) {
	t.Parallel()
	for code, terminal := range map[string]bool{"invalid_grant": true, "invalid_client": true, "unauthorized_client": true, "temporarily_unavailable": false, "": false} {
		if got := (&TokenError{Code: code, Status: 400}).Terminal(); got != terminal {
			t.Errorf("Terminal(%q) = %v", code, got)
		}
	}
	if CallbackErrorFrom(url.Values{"code": {"x"}}) != nil {
		t.Fatal("callback without error reported one")
	}
	ce := CallbackErrorFrom(url.Values{"error": {"access_denied"}, "error_description": {"user said no"}})
	if ce == nil || ce.Code != "access_denied" || !strings.Contains(ce.Error(), "user said no") {
		t.Fatalf("CallbackErrorFrom = %v", ce)
	}
}
