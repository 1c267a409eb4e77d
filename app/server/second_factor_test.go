package server_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/curriculum"
)

// code is the authenticator app's code for secret at the env's clock.
func (e *env) code(secret string) string {
	e.t.Helper()
	c, err := accounts.TOTPCode(secret, e.clock.Now(), accounts.TOTPDigits, otp.AlgorithmSHA1)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// enrolThroughPages sets up an authenticator app as a person would, on
// the pages, and returns its secret and the recovery codes shown.
func (c *client) enrolThroughPages() (string, []string) {
	t := c.e.t
	t.Helper()
	page := c.post("/account/second-factor/start", nil)
	secret := regexpFind(`Key: <code class="secret">([A-Z2-7]+)</code>`, page.body)
	if page.StatusCode != http.StatusOK || secret == "" {
		t.Fatalf("start: %d, no key shown", page.StatusCode)
	}
	qr := c.get("/account/second-factor/qr.png")
	if qr.StatusCode != http.StatusOK || !bytes.HasPrefix([]byte(qr.body), []byte("\x89PNG")) {
		t.Fatalf("QR code: %d %q", qr.StatusCode, qr.Header.Get("Content-Type"))
	}
	bad := c.post("/account/second-factor/confirm", url.Values{"code": {"000000"}})
	if bad.StatusCode != http.StatusUnauthorized || !strings.Contains(bad.body, "not accepted") || !strings.Contains(bad.body, secret) {
		t.Fatalf("a wrong first code: %d", bad.StatusCode)
	}
	done := c.post("/account/second-factor/confirm", url.Values{"code": {c.e.code(secret)}})
	codes := regexpAll(`<li><code class="secret">([a-z0-9-]+)</code></li>`, done.body)
	if done.StatusCode != http.StatusOK || len(codes) != accounts.RecoveryCodes {
		t.Fatalf("confirm: %d, %d recovery codes shown", done.StatusCode, len(codes))
	}
	return secret, codes
}

// TestSecondFactorPolicyLoginAndCodes: a preceptor, whose role must have a
// second factor, is led to set one up at login and can reach nothing
// else (pages redirect, the API answers 403) until done; from then on
// logging in takes the password and then a code, a code works once, and a
// recovery code works once.
func TestSecondFactorPolicyLoginAndCodes(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		e := newEnvWith(t, d, map[string]string{"SKILLGATE_SECOND_FACTOR_ROLES": "preceptor", "SKILLGATE_TRUSTED_PROXIES": "0.0.0.0"})
		p := e.person("nurse@example.test", accounts.RolePreceptor)
		e.person("learner@example.test", accounts.RoleApprentice)
		c := e.client()
		c.mustLogin(p.Email)
		for _, path := range []string{"/", "/review", "/account"} {
			if r := c.get(path); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/account/second-factor") {
				t.Errorf("%s before enrolment: %d to %q, want the enrolment page", path, r.StatusCode, r.Header.Get("Location"))
			}
		}
		if r := c.do("GET", "/api/v1/me", nil, map[string]string{"Accept": "application/json"}); r.StatusCode != http.StatusForbidden {
			t.Errorf("the API before enrolment: %d, want 403", r.StatusCode)
		}
		if r := c.get("/account/second-factor"); r.StatusCode != http.StatusOK || !strings.Contains(r.body, "Your role needs a second factor") {
			t.Errorf("the enrolment page: %d", r.StatusCode)
		}
		secret, recovery := c.enrolThroughPages()
		if r := c.get("/"); r.StatusCode != http.StatusOK {
			t.Fatalf("home after enrolment: %d", r.StatusCode)
		}
		// An apprentice's role needs none: no detour.
		a := e.client()
		a.mustLogin("learner@example.test")
		if r := a.get("/"); r.StatusCode != http.StatusOK {
			t.Errorf("an apprentice's home: %d", r.StatusCode)
		}

		// Logging in again: the password leads to the code, not in.
		e.clock.Advance(time.Minute)
		c = e.client()
		r := c.login(p.Email, testPassword)
		if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login/code") {
			t.Fatalf("password with a second factor: %d to %q", r.StatusCode, r.Header.Get("Location"))
		}
		if r := c.get("/"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Fatalf("home between password and code: %d %q", r.StatusCode, r.Header.Get("Location"))
		}
		c.get("/login/code")
		if r := c.post("/login/code", url.Values{"code": {"123456"}}); r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, "not accepted") {
			t.Fatalf("a wrong code: %d", r.StatusCode)
		}
		code := e.code(secret)
		if r := c.post("/login/code", url.Values{"code": {code}}); r.StatusCode != http.StatusSeeOther || strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Fatalf("the right code: %d to %q", r.StatusCode, r.Header.Get("Location"))
		}
		if r := c.get("/"); r.StatusCode != http.StatusOK {
			t.Fatalf("home after the code: %d", r.StatusCode)
		}
		// The same code again, in another browser within its window: refused.
		other := e.client()
		other.login(p.Email, testPassword)
		other.get("/login/code")
		if r := other.post("/login/code", url.Values{"code": {code}}); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("a code used twice: %d", r.StatusCode)
		}
		if r := other.post("/login/code", url.Values{"code": {recovery[3]}}); r.StatusCode != http.StatusSeeOther {
			t.Errorf("a recovery code: %d", r.StatusCode)
		}
		third := e.client()
		third.login(p.Email, testPassword)
		third.get("/login/code")
		if r := third.post("/login/code", url.Values{"code": {recovery[3]}}); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("a recovery code used twice: %d", r.StatusCode)
		}
	})
}

// TestResetWithoutMailDoesNotGiveTheSecondFactor replays the
// impersonation of issue 20 without mail: the administrator reads the
// link, sets the preceptor's password and logs in with it, and is stopped
// at the code: a password link never resets a second factor.
func TestResetWithoutMailDoesNotGiveTheSecondFactor(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		admin := e.person("admin@example.test", accounts.RoleAdmin)
		prec := e.person("preceptor@example.test", accounts.RolePreceptor)
		pc := e.client()
		pc.mustLogin(prec.Email)
		pc.get("/account/second-factor")
		pc.enrolThroughPages()

		ac := e.client()
		ac.mustLogin(admin.Email)
		ac.get("/admin/people/" + prec.ID)
		link := regexpFind(`(/reset/[A-Za-z0-9_-]+)`, ac.post("/admin/people/"+prec.ID+"/reset", nil).body)
		if link == "" {
			t.Fatal("no link shown without mail")
		}
		chosen := "the administrator picked this phrase"
		ac2 := e.client()
		ac2.get(link)
		if r := ac2.post(link, url.Values{"new": {chosen}, "confirm": {chosen}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("the administrator completes the reset: %d", r.StatusCode)
		}
		r := ac2.login(prec.Email, chosen)
		if !strings.HasPrefix(r.Header.Get("Location"), "/login/code") {
			t.Fatalf("the chosen password alone logs in as the preceptor: %d to %q", r.StatusCode, r.Header.Get("Location"))
		}
		for _, guess := range []string{"000000", "123456", "999999"} {
			if r := ac2.post("/login/code", url.Values{"code": {guess}}); r.StatusCode != http.StatusUnauthorized {
				t.Fatalf("a guessed code: %d", r.StatusCode)
			}
		}
		if r := ac2.get("/"); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("the administrator reached the preceptor's home: %d", r.StatusCode)
		}
	})
}

// TestSignOffTakesTwoComponents: a preceptor with an authenticator app
// cannot sign with the password alone (page and API), nor with a wrong
// code; with the password and a code the sign-off is made and records
// "password+totp" as how she re-authenticated.
func TestSignOffTakesTwoComponents(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		priya, jordan := people["preceptor@demo.test"], people["apprentice@demo.test"]
		key, err := e.store.StartTOTP(t.Context(), priya)
		if err != nil {
			t.Fatal(err)
		}
		if _, waiting, err := e.store.ConfirmTOTP(t.Context(), priya, e.code(key.Secret())); err != nil || waiting {
			t.Fatalf("enrol: %v %v", waiting, err)
		}
		_, tok, err := e.store.CreateToken(t.Context(), priya.ID, "tablet", 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		var ens struct{ Enrollments []struct{ ID string } }
		decode(t, apiCall(e, "GET", "/api/v1/enrollments?person="+jordan.ID, tok, ""), &ens)
		base := "/api/v1/enrollments/" + ens.Enrollments[0].ID
		today := e.clock.Now().In(e.cfg.Location()).Format("2006-01-02")
		steps := make([]string, 0)
		ma, _ := curriculum.MedicalAssistantProgram()
		for i := range ma.Program.Competency("PHL-VENI").Checklist {
			steps = append(steps, `{"index":`+itoa(i)+`,"met":true}`)
		}
		// The demo has Jordan at 8 of 10 venipunctures: two more.
		for _, k := range []string{"two-obs-0001", "two-obs-0002"} {
			if r := apiCall(e, "POST", base+"/observations", tok, `{"idempotency_key":"`+k+`","competency":"PHL-VENI","performed_on":"`+today+
				`","steps":[`+strings.Join(steps, ",")+`]}`); r.StatusCode != http.StatusCreated {
				t.Fatalf("observation: %d %s", r.StatusCode, r.body)
			}
		}

		// The page asks for the code, and refuses the password alone.
		c := e.client()
		if r := c.login(priya.Email, demo.Password); !strings.HasPrefix(r.Header.Get("Location"), "/login/code") {
			t.Fatalf("login: %d %q", r.StatusCode, r.Header.Get("Location"))
		}
		e.clock.Advance(accounts.TOTPPeriod * time.Second)
		c.get("/login/code")
		if r := c.post("/login/code", url.Values{"code": {e.code(key.Secret())}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("login code: %d", r.StatusCode)
		}
		form := c.get("/enrollments/" + ens.Enrollments[0].ID + "/signoff/PHL-VENI")
		if !strings.Contains(form.body, `name="code"`) {
			t.Fatalf("the sign-off form has no code field: %d", form.StatusCode)
		}
		r := c.post("/enrollments/"+ens.Enrollments[0].ID+"/signoff/PHL-VENI", url.Values{"key": {formValue(form.body, "key")},
			"kind": {"initial"}, "password": {demo.Password}})
		if r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, "second factor") {
			t.Fatalf("page sign-off with the password alone: %d", r.StatusCode)
		}

		sign := func(key, extra string) response {
			return apiCall(e, "POST", base+"/signoffs", tok, `{"idempotency_key":"`+key+`","competency":"PHL-VENI","password":"`+demo.Password+`"`+extra+`}`)
		}
		if r := sign("two-sign-0001", ""); r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, `"code"`) {
			t.Fatalf("API sign-off with the password alone: %d %s", r.StatusCode, r.body)
		}
		if r := sign("two-sign-0002", `,"code":"000000"`); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("API sign-off with a wrong code: %d %s", r.StatusCode, r.body)
		}
		e.clock.Advance(accounts.TOTPPeriod * time.Second)
		r = sign("two-sign-0003", `,"code":"`+e.code(key.Secret())+`"`)
		if r.StatusCode != http.StatusCreated || !strings.Contains(r.body, `"auth_method":"password+totp"`) {
			t.Fatalf("API sign-off with password and code: %d %s", r.StatusCode, r.body)
		}
	})
}
