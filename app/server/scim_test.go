package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// TestSCIMMount drives /scim/v2 through the whole server on both engines:
// an administrator makes the token on the admin page (with the password)
// and revokes it; the SCIM token is required (and a person's API token is
// not one), the
// IdP writes without CSRF or a session, a mapped group grants its role at
// the named site, and PATCH active "False" ends the person's session and
// API token at once.
func TestSCIMMount(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		e := newEnvWith(t, d, map[string]string{"SKILLGATE_TRUSTED_PROXIES": "0.0.0.0", "SKILLGATE_SECOND_FACTOR_ROLES": "none",
			"SKILLGATE_SSO_GROUP_MAP": "sg-pre=preceptor@Eastside Clinic"})
		ctx := audit.WithActor(context.Background(), audit.System("test"))
		admin := e.client()
		admin.mustLogin(e.person("root@example.test", accounts.RoleAdmin).Email)
		admin.get("/admin/scim")
		if r := admin.post("/admin/scim/tokens", url.Values{"name": {"Okta"}, "password": {"wrong password here"}}); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("token with a wrong password: %d", r.StatusCode)
		}
		page := admin.post("/admin/scim/tokens", url.Values{"name": {"Okta"}, "password": {testPassword}})
		secret := regexp.MustCompile(`sgscim_[A-Za-z0-9_-]+`).FindString(page.body)
		if page.StatusCode != http.StatusCreated || secret == "" {
			t.Fatalf("token page: %d %s", page.StatusCode, page.body)
		}
		if again := admin.get("/admin/scim"); strings.Contains(again.body, secret) || !strings.Contains(again.body, "Okta") {
			t.Error("the token is shown again, or not listed")
		}
		p := e.person("pat@example.test", accounts.RoleApprentice)
		_, apiToken, err := e.store.CreateToken(ctx, p.ID, "ehr", 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		browser := e.client()
		browser.mustLogin(p.Email)

		call := func(method, path, bearer, body string, want int) response {
			t.Helper()
			h := map[string]string{"Content-Type": "application/scim+json"}
			if bearer != "" {
				h["Authorization"] = "Bearer " + bearer
			}
			r := e.client().do(method, "/scim/v2"+path, strings.NewReader(body), h)
			if r.StatusCode != want {
				t.Fatalf("%s %s: %d, want %d: %s", method, path, r.StatusCode, want, r.body)
			}
			return r
		}
		if r := call("GET", "/Users", "", "", 401); !strings.Contains(r.body, "urn:ietf:params:scim:api:messages:2.0:Error") || r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("401 without a token: %v %s", r.Header, r.body)
		}
		call("GET", "/Users", apiToken, "", 401)
		call("GET", "/ServiceProviderConfig", secret, "", 200)

		var lookup struct {
			Resources []struct{ ID string } `json:"Resources"`
		}
		decode(t, call("GET", `/Users?filter=userName+eq+%22PAT@example.test%22`, secret, "", 200), &lookup)
		if len(lookup.Resources) != 1 || lookup.Resources[0].ID != p.ID {
			t.Fatalf("lookup: %+v", lookup)
		}
		var g struct{ ID string }
		decode(t, call("POST", "/Groups", secret, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"sg-pre",
			"members":[{"value":"`+p.ID+`"}]}`, 201), &g)
		if got, _ := e.store.ByID(ctx, p.ID); !got.Has(accounts.RolePreceptor) || got.Has(accounts.RoleApprentice) {
			t.Errorf("roles after the mapped group: %v (the IdP's groups decide them)", got.Roles)
		}

		call("PATCH", "/Users/"+p.ID, secret, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"replace","value":{"active":"False"}}]}`, 200)
		if r := browser.get("/"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Errorf("the session survived deactivation: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
		if r := apiCall(e, "GET", "/api/v1/me", apiToken, ""); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("the API token survived deactivation: %d", r.StatusCode)
		}

		toks, err := e.svc.SCIM.Tokens(ctx)
		if err != nil || len(toks) != 1 {
			t.Fatalf("tokens: %v %v", toks, err)
		}
		admin.get("/admin/scim")
		if r := admin.post("/admin/scim/tokens/"+toks[0].ID+"/revoke", nil); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("revoke: %d", r.StatusCode)
		}
		call("GET", "/ServiceProviderConfig", secret, "", 401)
	})
}
