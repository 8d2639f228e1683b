package connectors

import (
	"fmt"
	"slices"
	"strings"
)

// Scope is a unified scope of the Aurinko API.
type Scope string

// The unified scopes.
const (
	MailRead           Scope = "Mail.Read"
	MailReadWrite      Scope = "Mail.ReadWrite"
	MailSend           Scope = "Mail.Send"
	MailDrafts         Scope = "Mail.Drafts"
	MailAll            Scope = "Mail.All"
	CalendarRead       Scope = "Calendar.Read"
	CalendarReadWrite  Scope = "Calendar.ReadWrite"
	ContactsRead       Scope = "Contacts.Read"
	ContactsReadWrite  Scope = "Contacts.ReadWrite"
	TasksRead          Scope = "Tasks.Read"
	TasksReadWrite     Scope = "Tasks.ReadWrite"
	maxScopeListLength       = 4096
)

// AllScopes lists every unified scope.
var AllScopes = []Scope{
	MailRead, MailReadWrite, MailSend, MailDrafts, MailAll,
	CalendarRead, CalendarReadWrite, ContactsRead, ContactsReadWrite, TasksRead, TasksReadWrite,
}

// Valid reports whether s is a unified scope (case-sensitive, as the API).
func (s Scope) Valid() bool { return slices.Contains(AllScopes, s) }

// SplitList splits a scope list separated by spaces, commas or both, and
// drops empty items and duplicates, keeping the first order.
func SplitList(s string) []string {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '+' })
	out := fields[:0]
	for _, f := range fields {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// ParseScopes parses a list of unified scopes separated by spaces or commas.
// An unknown scope is an error naming it. An empty list is no scopes.
func ParseScopes(s string) ([]Scope, error) {
	if len(s) > maxScopeListLength {
		return nil, fmt.Errorf("connectors: scope list longer than %d bytes", maxScopeListLength)
	}
	var out []Scope
	for _, f := range SplitList(s) {
		sc := Scope(f)
		if !sc.Valid() {
			return nil, fmt.Errorf("connectors: unknown scope %q", truncate(f, 64))
		}
		out = append(out, sc)
	}
	return out, nil
}

// MapScopes maps unified scopes through table, adds always, and returns the
// native scopes without duplicates. A scope missing from table wraps
// ErrUnsupportedScope. Connectors use it to implement NativeScopes.
func MapScopes(unified []Scope, table map[Scope][]string, always ...string) ([]string, error) {
	out := append([]string(nil), always...)
	for _, u := range unified {
		native, ok := table[u]
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrUnsupportedScope, u)
		}
		for _, n := range native {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out, nil
}

// UnifiedFromNative returns the unified scopes whose native scopes are all
// in granted: what a grant actually allows.
func UnifiedFromNative(granted []string, table map[Scope][]string) []Scope {
	var out []Scope
	for _, u := range AllScopes {
		native, ok := table[u]
		if !ok || len(native) == 0 {
			continue
		}
		all := true
		for _, n := range native {
			if !slices.Contains(granted, n) {
				all = false
				break
			}
		}
		if all {
			out = append(out, u)
		}
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
