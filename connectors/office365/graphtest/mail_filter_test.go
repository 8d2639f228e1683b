package graphtest_test

import (
	"net/url"
	"testing"

	"github.com/aurinko-go/aurinko/connectors/office365/graphtest"
)

// TestListMessages_filterWithOrderby: Graph takes $filter beside $orderby
// only when the ordered property leads the filter; otherwise 400
// InefficientFilter.
func TestListMessages_filterWithOrderby(t *testing.T) {
	t.Parallel()
	u := graphtest.User{ObjectID: "00000000-0000-0000-0000-0000000000f1", TenantID: "00000000-0000-0000-0000-0000000000f2",
		UserPrincipalName: "fil@contoso.example", Mail: "fil@contoso.example", DisplayName: "Fil"}
	s := graphtest.New(t, graphtest.Options{ClientID: clientID, ClientSecret: clientSecret, Users: []graphtest.User{u}})
	tok := pimToken(t, s, u, "Mail.Read")
	for _, tc := range []struct {
		filter string
		want   int
	}{
		{"from/emailAddress/address eq 'a@example.com'", 400},
		{"isRead eq false and receivedDateTime ge 2020-01-01T00:00:00Z", 400},
		{"receivedDateTime ge 1900-01-01T00:00:00Z and from/emailAddress/address eq 'a@example.com'", 200},
		{"receivedDateTime ge 2020-01-01T00:00:00Z", 200},
	} {
		q := url.Values{"$filter": {tc.filter}, "$orderby": {"receivedDateTime desc"}}
		a := pimCall(t, "GET", s.URL()+"/v1.0/me/messages?"+q.Encode(), tok, "")
		if a.status != tc.want {
			t.Errorf("$filter=%s with $orderby = %d %s, want %d", tc.filter, a.status, a.raw, tc.want)
		}
		if tc.want == 400 && a.body["error"].(map[string]any)["code"] != "InefficientFilter" {
			t.Errorf("$filter=%s: error %v", tc.filter, a.body)
		}
	}
}
