package server_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/auth/password"
)

// Issue 16 item 6: the passwords the probe got accepted are refused when a
// person changes their password, each with its own message, and the old
// password keeps working.
func TestPasswordChangeRefusesPredictablePasswords(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.person("pw@example.test", accounts.RoleApprentice)
		c := e.client()
		c.mustLogin("pw@example.test")
		for pw, want := range map[string]error{
			"aaaaaaaaaaaaaaa":     password.ErrRepeated,
			"123456789012345":     password.ErrSequence,
			"qwertyuiopasdfgh":    password.ErrKeyboard,
			"Skillgate2026!!!!":   password.ErrProduct,
			"skillgate-demo-2026": password.ErrDemo,
		} {
			c.get("/account")
			r := c.post("/account/password", url.Values{"current": {testPassword}, "new": {pw}, "confirm": {pw}})
			// A password the policy refuses breaks a rule: 422 (errkind.Invalid).
			if r.StatusCode != http.StatusUnprocessableEntity || !containsText(r.body, want.Error()) {
				t.Errorf("new password %q: %d, want 422 with %q\n%.500s", pw, r.StatusCode, want, r.body)
			}
		}
		if r := e.client().login("pw@example.test", testPassword); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("the old password stopped working: %d", r.StatusCode)
		}
	})
}

// containsText reports whether an HTML page shows text (escaped as the
// templates escape it).
func containsText(page, text string) bool {
	return strings.Contains(html.UnescapeString(page), text)
}
