package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
)

func TestAPITokenAuthAndRevocation(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		p := e.person("api@example.test", accounts.RoleHR)
		if r := apiCall(e, "GET", "/api/v1/me", "", ""); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("anonymous /me: %d", r.StatusCode)
		}
		// A browser session creates a token through the API (CSRF header required).
		c := e.client()
		c.mustLogin("api@example.test")
		c.get("/account")
		h := map[string]string{"Content-Type": "application/json", "Accept": "application/json"}
		if r := c.do("POST", "/api/v1/tokens", strings.NewReader(`{"name":"EHR","days":30,"password":"`+testPassword+`"}`), h); r.StatusCode != http.StatusForbidden {
			t.Fatalf("cookie-authenticated API write without X-Csrf-Token: %d", r.StatusCode)
		}
		h["X-Csrf-Token"] = c.csrf
		r := c.do("POST", "/api/v1/tokens", strings.NewReader(`{"name":"EHR","days":30,"password":"`+testPassword+`"}`), h)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("create token: %d %s", r.StatusCode, r.body)
		}
		var tok struct{ ID, Token string }
		decode(t, r, &tok)
		if !strings.HasPrefix(tok.Token, accounts.TokenPrefix) {
			t.Fatalf("token %q", tok.Token)
		}
		me := apiCall(e, "GET", "/api/v1/me", tok.Token, "")
		var got struct {
			ID    string
			Roles []string
		}
		decode(t, me, &got)
		if me.StatusCode != 200 || got.ID != p.ID || !slices.Contains(got.Roles, "hr") {
			t.Fatalf("/me with token: %d %s", me.StatusCode, me.body)
		}
		// Bearer calls need no CSRF token; but a token may not make another
		// (issue 16), even with the password.
		if r := apiCall(e, "POST", "/api/v1/tokens", tok.Token, `{"name":"second","days":7,"password":"`+testPassword+`"}`); r.StatusCode != http.StatusForbidden {
			t.Fatalf("bearer create: %d %s", r.StatusCode, r.body)
		}
		if r := apiCall(e, "DELETE", "/api/v1/tokens/"+tok.ID, tok.Token, ""); r.StatusCode != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", r.StatusCode, r.body)
		}
		r = apiCall(e, "GET", "/api/v1/me", tok.Token, "")
		if r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, "not valid") {
			t.Fatalf("revoked token: %d %s", r.StatusCode, r.body)
		}
		if strings.Contains(e.logText(), tok.Token) || strings.Contains(e.logText(), c.cookies["sg_session"]) {
			t.Fatal("a token or session id appears in the log")
		}
	})
}

func TestAPIBadInput(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.person("bi@example.test", accounts.RoleHR)
		_, secret, err := e.store.CreateToken(t.Context(), mustByEmail(t, e, "bi@example.test").ID, "t", 24*3600e9)
		if err != nil {
			t.Fatal(err)
		}
		// Tokens are made with a session (a token may not make one).
		c := e.client()
		c.mustLogin("bi@example.test")
		c.get("/account")
		h := map[string]string{"Content-Type": "application/json", "Accept": "application/json", "X-Csrf-Token": c.csrf}
		r := c.do("POST", "/api/v1/tokens", strings.NewReader(`{"name": "x", "days": "many"`), h)
		if r.StatusCode != http.StatusBadRequest {
			t.Fatalf("malformed JSON: %d %s", r.StatusCode, r.body)
		}
		r = c.do("POST", "/api/v1/tokens", strings.NewReader(`{"name": "", "days": 9999}`), h)
		var body struct {
			Error struct {
				Status int
				Fields map[string]string
			}
			RequestID string `json:"request_id"`
		}
		decode(t, r, &body)
		if r.StatusCode != 400 || body.Error.Fields["name"] == "" || body.Error.Fields["days"] == "" || body.RequestID == "" {
			t.Fatalf("invalid fields: %d %s", r.StatusCode, r.body)
		}
		toks, _ := e.store.Tokens(t.Context(), mustByEmail(t, e, "bi@example.test").ID)
		if len(toks) != 1 {
			t.Fatalf("bad input created tokens: %d", len(toks))
		}
		if r := apiCall(e, "DELETE", "/api/v1/tokens/no-such-id", secret, ""); r.StatusCode != 404 {
			t.Fatalf("unknown token id: %d", r.StatusCode)
		}
		if r := apiCall(e, "GET", "/api/v1/people?role=wizard", secret, ""); r.StatusCode != 400 {
			t.Fatalf("bad role filter: %d", r.StatusCode)
		}
		if r := apiCall(e, "GET", "/api/v1/nothing-here", secret, ""); r.StatusCode != 404 || !strings.Contains(r.body, `"error"`) {
			t.Fatalf("unknown API path: %d %s", r.StatusCode, r.body)
		}
	})
}

func mustByEmail(t *testing.T, e *env, email string) *accounts.Person {
	t.Helper()
	p, err := e.store.ByEmail(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The OpenAPI document and the registered /api/v1 routes must list the
// same operations, so neither can drift from the other.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		r := apiCall(e, "GET", "/api/v1/openapi.json", "", "")
		var doc struct {
			OpenAPI string                    `json:"openapi"`
			Paths   map[string]map[string]any `json:"paths"`
		}
		if err := json.Unmarshal([]byte(r.body), &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
			t.Fatalf("openapi.json: %v %q", err, doc.OpenAPI)
		}
		documented := map[string]bool{}
		for p, ops := range doc.Paths {
			for m := range ops {
				documented[strings.ToUpper(m)+" /api/v1"+p] = true
			}
		}
		registered := map[string]bool{}
		for _, rt := range e.srv.App().GetRoutes(true) {
			if !strings.HasPrefix(rt.Path, "/api/v1/") || rt.Method == "HEAD" {
				continue
			}
			registered[rt.Method+" "+openAPIPath(rt.Path)] = true
		}
		for op := range registered {
			if !documented[op] {
				t.Errorf("route %s is not in openapi.json", op)
			}
		}
		for op := range documented {
			if !registered[op] {
				t.Errorf("openapi.json documents %s, which no route serves", op)
			}
		}
	})
}

// openAPIPath turns Fiber's /tokens/:id into OpenAPI's /tokens/{id}.
func openAPIPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			parts[i] = "{" + strings.TrimSuffix(s[1:], "?") + "}"
		}
	}
	return strings.Join(parts, "/")
}
