package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
)

// TestReadOnlyTokenIsRefusedEveryWrite extends the route × role table
// with token scopes: the HR auditor's token made read-only gets 403 on
// every write route of the table (pages and API), and on every read the
// same answer as the same person's full token.
func TestReadOnlyTokenIsRefusedEveryWrite(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		f := newAccessFixture(t, e)
		hr := f.people["hr-river@demo.test"]
		_, readOnly, err := e.store.CreateScopedToken(context.Background(), hr.ID, "clearance checks", 24*time.Hour, accounts.TokenScope{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		full := f.bearer
		writes := 0
		for _, rule := range accessRules {
			want := strings.Fields(rule.want)[token]
			refused := rule.method != "GET" && !idpPosts[rule.pattern]
			if refused {
				want = "403"
				writes++
			}
			f.bearer = readOnly
			res := f.send(f.clients[token], token, rule.method, f.expand(rule.target(), f.own))
			f.bearer = full
			if msg := check(res, want); msg != "" {
				t.Errorf("%s %s with a read-only token: %s", rule.method, rule.pattern, msg)
			}
			if refused && !strings.Contains(res.body, "read-only") {
				t.Errorf("%s %s with a read-only token: the answer does not say the token is read-only", rule.method, rule.pattern)
			}
		}
		if writes < 40 {
			t.Fatalf("only %d write routes in the table", writes)
		}
	})
}

// TestSiteScopedToken: a token limited to one site reads that site's
// people and not another's the owner could otherwise see; an
// administrator's site-limited token is not an administrator; a token
// cannot be limited to a site its owner does not belong to.
func TestSiteScopedToken(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		ctx := context.Background()
		hr := people["hr@demo.test"] // HR at both clinics
		jordan, riley := people["apprentice@demo.test"], people["apprentice3@demo.test"]
		if len(hr.SiteIDs) < 2 || jordan.SiteIDs[0] == riley.SiteIDs[0] {
			t.Fatalf("the demo changed: HR sites %v", hr.SiteIDs)
		}
		_, scoped, err := e.store.CreateScopedToken(ctx, hr.ID, "Riverside EHR", 24*time.Hour, accounts.TokenScope{SiteIDs: []string{jordan.SiteIDs[0]}})
		if err != nil {
			t.Fatal(err)
		}
		_, whole, err := e.store.CreateToken(ctx, hr.ID, "everything", 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			bearer, person string
			want           int
		}{{whole, riley.ID, 200}, {scoped, jordan.ID, 200}, {scoped, riley.ID, 404}} {
			if r := apiCall(e, "GET", "/api/v1/people/"+c.person+"/credentials", c.bearer, ""); r.StatusCode != c.want {
				t.Errorf("credentials of %s: %d, want %d", c.person, r.StatusCode, c.want)
			}
		}
		admin, err := e.store.Create(ctx, accounts.NewPerson{Email: "admin-river@demo.test", Name: "Ada Riverside",
			Roles: []accounts.Role{accounts.RoleAdmin, accounts.RoleHR}, SiteIDs: jordan.SiteIDs[:1], Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		_, adminScoped, err := e.store.CreateScopedToken(ctx, admin.ID, "one site", 24*time.Hour, accounts.TokenScope{SiteIDs: admin.SiteIDs[:1]})
		if err != nil {
			t.Fatal(err)
		}
		if r := apiCall(e, "GET", "/api/v1/people/"+riley.ID+"/credentials", adminScoped, ""); r.StatusCode != http.StatusNotFound {
			t.Errorf("an administrator's site-limited token reads another site's person: %d, want 404", r.StatusCode)
		}
		if r := apiCall(e, "GET", "/api/v1/people/"+jordan.ID+"/credentials", adminScoped, ""); r.StatusCode != http.StatusOK {
			t.Errorf("an administrator's site-limited token (also HR there) reads its site's person: %d, want 200", r.StatusCode)
		}
		if _, _, err := e.store.CreateScopedToken(ctx, jordan.ID, "elsewhere", time.Hour, accounts.TokenScope{SiteIDs: riley.SiteIDs}); err == nil {
			t.Error("a token was limited to a site its owner does not belong to")
		}
		// The account page: a scope chosen there is kept and shown.
		c := e.client()
		c.mustLoginAs(hr.Email)
		c.get("/account")
		r := c.post("/account/tokens", url.Values{"name": {"read it"}, "days": {"30"}, "read_only": {"true"},
			"sites": {jordan.SiteIDs[0]}, "password": {"wrong password for sure"}})
		if r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, `value="read it"`) {
			t.Errorf("a refused token form: %d", r.StatusCode)
		}
	})
}
