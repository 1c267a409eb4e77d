package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
)

func TestLoginSuccessAndFailure(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.person("ana@example.test", accounts.RoleApprentice)
		c := e.client()

		r := c.login("ana@example.test", "not the right password")
		if r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, "do not match an account") {
			t.Fatalf("wrong password: %d\n%s", r.StatusCode, r.body)
		}
		if !strings.Contains(r.body, `value="ana@example.test"`) {
			t.Error("the email typed was lost after a failed login")
		}
		if _, ok := c.cookies["sg_session"]; ok {
			t.Fatal("a failed login set a session cookie")
		}
		r = c.login("ana@example.test", testPassword)
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/" {
			t.Fatalf("good login: %d to %q", r.StatusCode, r.Header.Get("Location"))
		}
		setCookie := strings.Join(r.Header.Values("Set-Cookie"), "\n")
		if !strings.Contains(setCookie, "sg_session=") || !strings.Contains(setCookie, "HttpOnly") || !strings.Contains(strings.ToLower(setCookie), "samesite=lax") {
			t.Fatalf("session cookie flags: %s", setCookie)
		}
		if home := c.get("/"); home.StatusCode != 200 || !strings.Contains(home.body, "Person ana@example.test") {
			t.Fatalf("home after login: %d", home.StatusCode)
		}
		if strings.Contains(e.logText(), testPassword) {
			t.Fatal("a password appears in the log")
		}
	})
}

func TestLoginValidationMessages(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		c := e.client()
		c.get("/login")
		r := c.post("/login", url.Values{"email": {"not-an-email"}})
		if r.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d", r.StatusCode)
		}
		for _, want := range []string{"Email must be a valid email address", "Password is a required field", `aria-invalid="true"`} {
			if !strings.Contains(r.body, want) {
				t.Errorf("missing %q next to the field", want)
			}
		}
	})
}

func TestLoginRedirectStaysOnSite(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.person("nx@example.test", accounts.RoleHR)
		for next, want := range map[string]string{"/account": "/account", "//evil.test/x": "/", "https://evil.test": "/", "/\\evil.test": "/"} {
			c := e.client()
			c.get("/login")
			r := c.post("/login", url.Values{"email": {"nx@example.test"}, "password": {testPassword}, "next": {next}})
			if got := r.Header.Get("Location"); got != want {
				t.Errorf("next=%q redirected to %q, want %q", next, got, want)
			}
		}
	})
}

func TestLoginRateLimitPerIP(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		c := e.client()
		c.get("/login")
		var last response
		for i := 0; i < 21; i++ {
			last = c.post("/login", url.Values{"email": {"who" + string(rune('a'+i)) + "@example.test"}, "password": {"whatever it is now"}})
		}
		if last.StatusCode != http.StatusTooManyRequests || !strings.Contains(last.body, "Too many attempts") {
			t.Fatalf("21st attempt from one IP: %d\n%s", last.StatusCode, last.body)
		}
		other := e.client()
		other.ip = "192.0.2.99"
		if r := other.login("someone@example.test", "whatever it is now"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("another IP was limited too: %d", r.StatusCode)
		}
	})
}

// Issue 16 item 4: after repeated failures from one network, a real
// account and an email nobody has get the same 429 and message; the
// person, from another network, still logs in.
func TestAccountLockoutMessage(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.person("lk@example.test", accounts.RoleApprentice)
		attempt := func(ip, email string) (int, string) {
			var r response
			for i := 0; i < accounts.ThrottleAfter; i++ {
				c := e.client()
				c.ip = ip
				r = c.login(email, "a wrong guess again")
			}
			return r.StatusCode, regexpFind(`(Too many failed attempts[^<]*)`, r.body)
		}
		realStatus, realMsg := attempt("198.51.100.1", "lk@example.test")
		noneStatus, noneMsg := attempt("198.51.100.2", "nobody@example.test")
		if realStatus != http.StatusTooManyRequests || !strings.Contains(realMsg, "Too many failed attempts with this email address from your network") {
			t.Fatalf("after %d failures: %d %q", accounts.ThrottleAfter, realStatus, realMsg)
		}
		if noneStatus != realStatus || noneMsg != realMsg {
			t.Fatalf("an unknown email answers %d %q, a real account %d %q", noneStatus, noneMsg, realStatus, realMsg)
		}
		c := e.client()
		c.ip = "192.0.2.77"
		c.mustLogin("lk@example.test")
	})
}

func TestSessionExpiryAndLogout(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.person("se@example.test", accounts.RoleApprentice)
		c := e.client()
		c.mustLogin("se@example.test")
		e.clock.Advance(31 * time.Minute)
		r := c.get("/account")
		if r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "msg=session-expired") {
			t.Fatalf("idle session: %d to %q", r.StatusCode, r.Header.Get("Location"))
		}
		if !strings.Contains(r.Header.Get("Location"), "next=%2Faccount") {
			t.Errorf("the page asked for is not kept for after login: %q", r.Header.Get("Location"))
		}
		page := c.get(r.Header.Get("Location"))
		if !strings.Contains(page.body, "Your session expired") {
			t.Fatal("the login page does not say the session expired")
		}

		c.mustLogin("se@example.test")
		if r := c.post("/logout", nil); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout: %d", r.StatusCode)
		}
		if r := c.get("/"); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("after logout the home page answered %d", r.StatusCode)
		}
	})
}

func TestCSRFRejection(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.person("cs@example.test", accounts.RoleHR)
		c := e.client()
		c.mustLogin("cs@example.test")
		c.get("/account")
		good := c.csrf
		c.csrf = "forged-token"
		r := c.post("/account/tokens", url.Values{"name": {"x"}, "days": {"30"}})
		if r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "This form has expired") {
			t.Fatalf("forged token: %d\n%s", r.StatusCode, r.body)
		}
		// Without any token, and from a client without the cookie.
		r = c.do("POST", "/account/tokens", strings.NewReader("name=x&days=30"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		if r.StatusCode != http.StatusForbidden {
			t.Fatalf("no token: %d", r.StatusCode)
		}
		c.csrf = good
		if r := c.post("/account/tokens", url.Values{"name": {"x"}, "days": {"30"}, "password": {testPassword}}); r.StatusCode != http.StatusCreated {
			t.Fatalf("with the real token: %d", r.StatusCode)
		}
		// Login itself is protected (login CSRF).
		fresh := e.client()
		if r := fresh.post("/login", url.Values{"email": {"cs@example.test"}, "password": {testPassword}}); r.StatusCode != http.StatusForbidden {
			t.Fatalf("login without a token: %d", r.StatusCode)
		}
	})
}

func TestPasswordResetByAdmin(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.person("root@example.test", accounts.RoleAdmin)
		target := e.person("fg@example.test", accounts.RoleApprentice)
		admin := e.client()
		admin.mustLogin("root@example.test")
		admin.get("/admin/people/" + target.ID)
		r := admin.post("/admin/people/"+target.ID+"/reset", nil)
		link := regexpFind(`/reset/([A-Za-z0-9_-]{20,})`, r.body)
		if r.StatusCode != 200 || link == "" {
			t.Fatalf("reset link not shown: %d", r.StatusCode)
		}
		if strings.Contains(e.logText(), link) {
			t.Fatal("the reset code appears in the log")
		}
		u := e.client()
		page := u.get("/reset/" + link)
		if page.StatusCode != 200 || !strings.Contains(page.body, "fg@example.test") {
			t.Fatalf("reset page: %d", page.StatusCode)
		}
		if r := u.post("/reset/"+link, url.Values{"new": {"a new long passphrase ok"}, "confirm": {"a different one entirely"}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "not the same") {
			t.Fatalf("mismatched confirmation: %d", r.StatusCode)
		}
		if r := u.post("/reset/"+link, url.Values{"new": {"a new long passphrase ok"}, "confirm": {"a new long passphrase ok"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("reset: %d\n%s", r.StatusCode, r.body)
		}
		if r := u.login("fg@example.test", "a new long passphrase ok"); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("login with the new password: %d", r.StatusCode)
		}
		if r := e.client().get("/reset/" + link); r.StatusCode != http.StatusNotFound {
			t.Fatalf("used link still works: %d", r.StatusCode)
		}
	})
}

// With secure cookies both cookies carry the __Host- prefix (issue 16
// item 14): browsers take such a cookie only from this host over HTTPS,
// with path "/" and no domain, so a sibling subdomain cannot plant a
// session or a CSRF token. Login and a write work with them.
func TestSecureCookiesUseTheHostPrefix(t *testing.T) {
	forEachWith(t, map[string]string{"SKILLGATE_SECURE_COOKIES": "true"}, func(t *testing.T, e *env) {
		e.person("host@example.test", accounts.RoleApprentice)
		c := e.client()
		check := func(r response, name string) {
			t.Helper()
			for _, ck := range r.Cookies() {
				if ck.Name == name {
					if !ck.Secure || ck.Path != "/" || ck.Domain != "" || !ck.HttpOnly {
						t.Fatalf("%s: secure %v, path %q, domain %q, HttpOnly %v", name, ck.Secure, ck.Path, ck.Domain, ck.HttpOnly)
					}
					return
				}
			}
			t.Fatalf("no %s cookie in %v", name, r.Header.Values("Set-Cookie"))
		}
		check(c.get("/login"), "__Host-sg_csrf")
		r := c.post("/login", url.Values{"email": {"host@example.test"}, "password": {testPassword}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", r.StatusCode)
		}
		check(r, "__Host-sg_session")
		check(c.get("/notifications"), "__Host-sg_csrf") // a token for the person now
		if r := c.post("/notifications/read", nil); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("a write with the __Host- cookies: %d", r.StatusCode)
		}
		if _, ok := c.cookies["sg_session"]; ok {
			t.Fatal("an unprefixed session cookie was set")
		}
	})
}
