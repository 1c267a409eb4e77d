package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
)

// TestTokensNeedThePasswordAndASession: a token is made only by a login
// session with the password typed again in the same request, on the
// account page and through POST /api/v1/tokens; a request authenticated by
// a token gets 403 even with the password; a missing or wrong password
// makes nothing and says so beside the field, keeping what was typed.
func TestTokensNeedThePasswordAndASession(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		p := e.person("tokens@example.test", accounts.RoleHR)
		count := func() int {
			toks, err := e.store.Tokens(t.Context(), p.ID)
			if err != nil {
				t.Fatal(err)
			}
			return len(toks)
		}
		_, bearer, err := e.store.CreateToken(t.Context(), p.ID, "first", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		c := e.client()
		c.mustLogin("tokens@example.test")
		c.get("/account")
		api := func(body string) response {
			return c.do("POST", "/api/v1/tokens", strings.NewReader(body), map[string]string{"Content-Type": "application/json",
				"Accept": "application/json", "X-Csrf-Token": c.csrf})
		}
		var body struct {
			Error struct{ Fields map[string]string }
		}
		r := api(`{"name":"EHR","days":30}`)
		decode(t, r, &body)
		if r.StatusCode != http.StatusBadRequest || body.Error.Fields["password"] == "" {
			t.Errorf("API, no password: %d %s", r.StatusCode, r.body)
		}
		r = api(`{"name":"EHR","days":30,"password":"not the password at all"}`)
		body.Error.Fields = nil
		decode(t, r, &body)
		if r.StatusCode != http.StatusUnauthorized || !strings.Contains(body.Error.Fields["password"], "not accepted") {
			t.Errorf("API, wrong password: %d %s", r.StatusCode, r.body)
		}
		page := c.post("/account/tokens", url.Values{"name": {"Scheduling"}, "days": {"30"}, "password": {"not the password at all"}})
		if page.StatusCode != http.StatusUnauthorized || !strings.Contains(page.body, "not accepted") || !strings.Contains(page.body, `value="Scheduling"`) {
			t.Errorf("page, wrong password: %d", page.StatusCode)
		}
		if page := c.post("/account/tokens", url.Values{"name": {"Scheduling"}, "days": {"30"}}); page.StatusCode != http.StatusBadRequest {
			t.Errorf("page, no password: %d", page.StatusCode)
		}
		for _, h := range []map[string]string{{"Content-Type": "application/json", "Accept": "application/json"},
			{"Content-Type": "application/x-www-form-urlencoded"}} {
			h["Authorization"] = "Bearer " + bearer
			path, body := "/api/v1/tokens", `{"name":"child","days":366,"password":"`+testPassword+`"}`
			if !strings.Contains(h["Content-Type"], "json") {
				path, body = "/account/tokens", "name=child&days=366&password="+url.QueryEscape(testPassword)
			}
			if r := e.client().do("POST", path, strings.NewReader(body), h); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "cannot create") {
				t.Errorf("%s with a token: %d %s", path, r.StatusCode, r.body)
			}
		}
		if n := count(); n != 1 {
			t.Fatalf("%d tokens after the refusals, want 1", n)
		}
		if r := api(`{"name":"EHR","days":30,"password":"` + testPassword + `"}`); r.StatusCode != http.StatusCreated || !strings.Contains(r.body, accounts.TokenPrefix) {
			t.Errorf("API with the password: %d %s", r.StatusCode, r.body)
		}
		c.get("/account")
		if page := c.post("/account/tokens", url.Values{"name": {"Scheduling"}, "days": {"30"}, "password": {testPassword}}); page.StatusCode != http.StatusCreated ||
			!strings.Contains(page.body, accounts.TokenPrefix) {
			t.Errorf("page with the password: %d", page.StatusCode)
		}
		if n := count(); n != 3 {
			t.Fatalf("%d tokens, want 3", n)
		}
	})
}
