package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
)

// TestAccountListsAndEndsSessions: the account page lists where one is
// logged in (device, address, last seen) and marks this browser; ending
// the other browser's session logs it out, and another person's session
// cannot be ended (404).
func TestAccountListsAndEndsSessions(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		p := e.person("nurse@example.test", accounts.RolePreceptor)
		other := e.person("other@example.test", accounts.RolePreceptor)
		phone := e.client()
		phone.ip = "198.51.100.23"
		phone.do("GET", "/login", nil, map[string]string{"User-Agent": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/130.0 Mobile Safari/537.36"})
		phone.mustLogin(p.Email)
		desk := e.client()
		desk.mustLogin(p.Email)
		o := e.client()
		o.mustLogin(other.Email)

		page := desk.get("/account")
		if page.StatusCode != http.StatusOK || strings.Count(page.body, `action="/account/sessions/`) != 2 ||
			!strings.Contains(page.body, "198.51.100.23") || !strings.Contains(page.body, "(this one)") {
			t.Fatalf("sessions on the account page: %d\n%s", page.StatusCode, regexpFind(`(?s)(<h2>Where you are logged in</h2>.*?</table>)`, page.body))
		}
		sessions, err := e.store.Sessions(t.Context(), p.ID, accounts.SessionPolicy{Idle: e.cfg.SessionIdle, Absolute: e.cfg.SessionAbsolute})
		if err != nil || len(sessions) != 2 {
			t.Fatalf("sessions: %v %v", sessions, err)
		}
		theirs, err := e.store.Sessions(t.Context(), other.ID, accounts.SessionPolicy{Idle: e.cfg.SessionIdle, Absolute: e.cfg.SessionAbsolute})
		if err != nil || len(theirs) != 1 {
			t.Fatal(err)
		}
		if r := desk.post("/account/sessions/"+theirs[0].ID+"/end", nil); r.StatusCode != http.StatusNotFound {
			t.Errorf("ending another person's session: %d", r.StatusCode)
		}
		if r := o.get("/"); r.StatusCode != http.StatusOK {
			t.Errorf("the other person was logged out: %d", r.StatusCode)
		}
		var phoneID string
		for _, s := range sessions {
			if s.IP == "198.51.100.23" {
				phoneID = s.ID
			}
		}
		if r := desk.post("/account/sessions/"+phoneID+"/end", nil); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("ending the phone's session: %d", r.StatusCode)
		}
		if r := phone.get("/"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Errorf("the phone after its session was ended: %d %q", r.StatusCode, r.Header.Get("Location"))
		}
		if r := desk.get("/"); r.StatusCode != http.StatusOK {
			t.Errorf("this browser after ending the other: %d", r.StatusCode)
		}
	})
}
