package google

import (
	"slices"
	"strings"

	"github.com/aurinko-go/aurinko/connectors"
)

// Google's OAuth scopes for the unified scopes, and the sign-in scopes the
// connector always requests.
const (
	ScopeOpenID          = "openid"
	ScopeEmail           = "email"
	ScopeProfile         = "profile"
	ScopeGmailReadonly   = "https://www.googleapis.com/auth/gmail.readonly"
	ScopeGmailModify     = "https://www.googleapis.com/auth/gmail.modify"
	ScopeGmailSend       = "https://www.googleapis.com/auth/gmail.send"
	ScopeGmailCompose    = "https://www.googleapis.com/auth/gmail.compose"
	ScopeMailFull        = "https://mail.google.com/"
	ScopeCalendarRead    = "https://www.googleapis.com/auth/calendar.readonly"
	ScopeCalendar        = "https://www.googleapis.com/auth/calendar"
	ScopeContactsRead    = "https://www.googleapis.com/auth/contacts.readonly"
	ScopeContacts        = "https://www.googleapis.com/auth/contacts"
	ScopeTasksRead       = "https://www.googleapis.com/auth/tasks.readonly"
	ScopeTasks           = "https://www.googleapis.com/auth/tasks"
	scopeUserinfoEmail   = "https://www.googleapis.com/auth/userinfo.email"
	scopeUserinfoProfile = "https://www.googleapis.com/auth/userinfo.profile"
)

// DefaultScopeMap returns the default mapping of unified scopes to Google
// scopes, a new map on every call.
func DefaultScopeMap() map[connectors.Scope][]string {
	return map[connectors.Scope][]string{
		connectors.MailRead:          {ScopeGmailReadonly},
		connectors.MailReadWrite:     {ScopeGmailModify},
		connectors.MailSend:          {ScopeGmailSend},
		connectors.MailDrafts:        {ScopeGmailCompose},
		connectors.MailAll:           {ScopeMailFull},
		connectors.CalendarRead:      {ScopeCalendarRead},
		connectors.CalendarReadWrite: {ScopeCalendar},
		connectors.ContactsRead:      {ScopeContactsRead},
		connectors.ContactsReadWrite: {ScopeContacts},
		connectors.TasksRead:         {ScopeTasksRead},
		connectors.TasksReadWrite:    {ScopeTasks},
	}
}

// signInScopes are requested in every code flow.
var signInScopes = []string{ScopeOpenID, ScopeEmail, ScopeProfile}

// wider lists, for a Google scope, the scopes that include it: a grant of
// any of them allows what the scope allows (Google's scope documentation of
// the Gmail, Calendar, People and Tasks APIs).
func wider(scope string) []string {
	switch scope {
	case ScopeGmailReadonly:
		return []string{ScopeGmailModify, ScopeMailFull}
	case ScopeGmailSend:
		return []string{ScopeGmailCompose, ScopeGmailModify, ScopeMailFull}
	case ScopeGmailCompose:
		return []string{ScopeGmailModify, ScopeMailFull}
	case ScopeGmailModify:
		return []string{ScopeMailFull}
	case ScopeCalendarRead:
		return []string{ScopeCalendar}
	case ScopeContactsRead:
		return []string{ScopeContacts}
	case ScopeTasksRead:
		return []string{ScopeTasks}
	}
	return nil
}

// normalizeScope maps the short sign-in scopes to the URIs Google answers
// with ("email" is granted as ".../auth/userinfo.email").
func normalizeScope(s string) string {
	switch s {
	case ScopeEmail:
		return scopeUserinfoEmail
	case ScopeProfile:
		return scopeUserinfoProfile
	}
	return s
}

// allows reports whether the granted scopes include scope, directly or
// through a wider scope.
func allows(granted []string, scope string) bool {
	scope = normalizeScope(scope)
	for _, g := range granted {
		g = normalizeScope(g)
		if g == scope || slices.Contains(wider(scope), g) {
			return true
		}
	}
	return false
}

var _ connectors.ScopeChecker = (*Connector)(nil)

// MissingScopes returns the unified scopes among requested that the
// granted Google scopes do not allow, in the order requested; nil when
// everything asked for was granted. granted is what the token endpoint
// answered in "scope" (connectors.Grant.Scopes), as a list or as one
// space-separated string.
//
// Google's consent screen lets a user untick scopes (granular consent), and
// a grant then succeeds with fewer scopes than requested. Exchange does not
// fail for it: the auth layer compares and tells the user which unified
// scopes are missing. A wider Google scope allows the narrower ones
// (https://mail.google.com/ allows Mail.Read; calendar allows
// calendar.readonly), and a unified scope the connector's ScopeMap does
// not map is reported missing.
func (c *Connector) MissingScopes(requested []connectors.Scope, granted []string) []connectors.Scope {
	var flat []string
	for _, g := range granted {
		flat = append(flat, strings.Fields(g)...)
	}
	var missing []connectors.Scope
	for _, u := range requested {
		native, ok := c.scopeMap[u]
		if !ok || len(native) == 0 {
			missing = append(missing, u)
			continue
		}
		for _, n := range native {
			if !allows(flat, n) {
				missing = append(missing, u)
				break
			}
		}
	}
	return missing
}
