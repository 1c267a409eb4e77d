package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
)

// TestPasskeyOnlyPersonCreatesATokenWithAPasskey: a person whose only
// second factor is a passkey creates a token (page and API) after a
// passkey assertion to their own re-authentication ceremony; the password
// alone, nothing, an answer for another origin or a replayed answer make
// nothing; and a request authenticated by a token cannot create one even
// with a fresh passkey answer.
func TestPasskeyOnlyPersonCreatesATokenWithAPasskey(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		const rpID, origin = "localhost", "http://localhost:8080"
		p := e.person("passkeyonly@example.test", accounts.RolePreceptor)
		count := func() int {
			toks, err := e.store.Tokens(t.Context(), p.ID)
			if err != nil {
				t.Fatal(err)
			}
			return len(toks)
		}
		k := newSoftKey(t)
		c := e.client()
		c.mustLogin(p.Email)
		c.get("/account")
		opts := c.postJSON("/account/passkeys/options", "{}")
		if r := c.postJSON("/account/passkeys?name=phone", k.register(t, opts.body, rpID, origin)); r.StatusCode != http.StatusCreated {
			t.Fatalf("registration: %d %s", r.StatusCode, r.body)
		}
		page := c.get("/account")
		if !strings.Contains(page.body, "Create token with a passkey") {
			t.Fatal("the token form offers no passkey")
		}
		answer := func(o string) string {
			so := c.postJSON("/account/passkeys/reauth", "{}")
			if so.StatusCode != http.StatusOK {
				t.Fatalf("re-authentication options: %d %s", so.StatusCode, so.body)
			}
			return k.assert(t, so.body, rpID, o)
		}

		// Refused: the password alone (she has a passkey), nothing at all,
		// an answer made for another origin.
		r := c.post("/account/tokens", url.Values{"name": {"Scheduling"}, "days": {"30"}, "password": {testPassword}})
		if r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, "uses a passkey") || !strings.Contains(r.body, `value="Scheduling"`) {
			t.Errorf("page, the password alone: %d %s", r.StatusCode, regexpFind(`(?s)(<p class="error".*?</p>)`, r.body))
		}
		if r := c.post("/account/tokens", url.Values{"name": {"Scheduling"}, "days": {"30"}}); r.StatusCode != http.StatusBadRequest {
			t.Errorf("page, no password and no passkey: %d", r.StatusCode)
		}
		if r := c.post("/account/tokens", url.Values{"name": {"Scheduling"}, "days": {"30"}, "passkey": {answer("https://evil.example")}}); r.StatusCode != http.StatusUnauthorized ||
			!strings.Contains(r.body, "no token was created") {
			t.Errorf("page, an answer for another origin: %d %s", r.StatusCode, regexpFind(`(?s)(<p class="error".*?</p>)`, r.body))
		}
		if n := count(); n != 0 {
			t.Fatalf("%d tokens after the refusals, want 0", n)
		}

		// Accepted: a passkey answer, on the page and through the API.
		good := answer(origin)
		r = c.post("/account/tokens", url.Values{"name": {"Scheduling"}, "days": {"30"}, "passkey": {good}})
		if r.StatusCode != http.StatusCreated || !strings.Contains(r.body, accounts.TokenPrefix) {
			t.Fatalf("page with a passkey: %d %s", r.StatusCode, regexpFind(`(?s)(<p class="error".*?</p>)`, r.body))
		}
		bearer := regexpFind(`<code class="secret">([^<]+)</code>`, r.body)
		if !strings.HasPrefix(bearer, accounts.TokenPrefix) {
			t.Fatalf("no secret shown: %q", bearer)
		}
		// The same answer again: its challenge was used.
		if r := c.post("/account/tokens", url.Values{"name": {"Again"}, "days": {"30"}, "passkey": {good}}); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("page, a replayed answer: %d", r.StatusCode)
		}
		body := `{"name":"EHR","days":30,"passkey":` + jsonString(answer(origin)) + `}`
		if r := c.postJSON("/api/v1/tokens", body); r.StatusCode != http.StatusCreated || !strings.Contains(r.body, accounts.TokenPrefix) {
			t.Errorf("API with a passkey: %d %s", r.StatusCode, r.body)
		}
		if n := count(); n != 2 {
			t.Fatalf("%d tokens, want 2", n)
		}

		// A token cannot create a token, even with a fresh passkey answer.
		for _, path := range []string{"/api/v1/tokens", "/account/tokens"} {
			h := map[string]string{"Authorization": "Bearer " + bearer, "Content-Type": "application/json", "Accept": "application/json"}
			body := `{"name":"child","days":366,"passkey":` + jsonString(answer(origin)) + `}`
			if path == "/account/tokens" {
				h["Content-Type"] = "application/x-www-form-urlencoded"
				body = url.Values{"name": {"child"}, "days": {"366"}, "passkey": {answer(origin)}}.Encode()
			}
			if r := e.client().do("POST", path, strings.NewReader(body), h); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "cannot create") {
				t.Errorf("%s with a token: %d %s", path, r.StatusCode, r.body)
			}
		}
		if n := count(); n != 2 {
			t.Errorf("%d tokens after a token tried, want 2", n)
		}
	})
}

// jsonString is s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
