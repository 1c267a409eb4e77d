package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
)

// A NUL character anywhere a text field can come from is a 400 that says
// so, on both engines, instead of a server error from the database.
func TestNULIsRefusedWithA400(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.person("admin@x.test", accounts.RoleAdmin)
		c := e.client()
		c.mustLogin("admin@x.test")
		refused := func(what string, r response) {
			t.Helper()
			if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "NUL character") {
				t.Errorf("%s: %d %.300s", what, r.StatusCode, r.body)
			}
		}
		refused("query", c.get("/admin/people?q=a%00b"))
		refused("path id", c.get("/admin/people/%00"))
		refused("form field", c.post("/admin/people", url.Values{"name": {"Ana\x00"}, "email": {"ana@x.test"}}))
		api := map[string]string{"Content-Type": "application/json", "Accept": "application/json", "X-Csrf-Token": c.csrf}
		refused("JSON escape", c.do("POST", "/api/v1/tokens", strings.NewReader(`{"name":"a\u0000b"}`), api))
		// Six characters \u0000 in a JSON string (escaped backslash) are text.
		if r := c.do("POST", "/api/v1/tokens", strings.NewReader(`{"name":"a\\u0000b"}`), api); r.StatusCode >= 400 && strings.Contains(r.body, "NUL character") {
			t.Errorf("an escaped backslash before u0000 was taken for a NUL: %d", r.StatusCode)
		}
		if r := c.get("/admin/people?q=ana"); r.StatusCode != http.StatusOK {
			t.Errorf("a plain query: %d", r.StatusCode)
		}
	})
}
