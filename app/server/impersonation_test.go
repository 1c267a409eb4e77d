package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/reminders/smtptest"
)

// TestResetLinkGoesOnlyToThePersonWithMail replays the impersonation of
// issue 20 with mail configured: an administrator starts a password reset
// for a preceptor and looks for the link everywhere they can (the page,
// the log, the audit trail). The link reaches the preceptor's own inbox
// and nowhere else; the administrator is told it was sent. The
// preceptor's API tokens are revoked with the start of the reset, and the
// completed reset is recorded as done through the link the administrator
// issued, not as "changed by the preceptor".
func TestResetLinkGoesOnlyToThePersonWithMail(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		mail := smtptest.Start(t)
		e := newEnvWith(t, d, map[string]string{"SKILLGATE_SMTP_URL": mail.URL(), "SKILLGATE_TRUSTED_PROXIES": "0.0.0.0"})
		admin := e.person("admin@example.test", accounts.RoleAdmin)
		prec := e.person("preceptor@example.test", accounts.RolePreceptor)
		_, bearer, err := e.store.CreateToken(t.Context(), prec.ID, "ehr", 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		ac := e.client()
		ac.mustLogin(admin.Email)
		ac.get("/admin/people/" + prec.ID)
		page := ac.post("/admin/people/"+prec.ID+"/reset", nil)
		if page.StatusCode != http.StatusOK || !strings.Contains(page.body, "A password link was sent to "+prec.Email) {
			t.Fatalf("reset with mail: %d, no word that it was sent\n%s", page.StatusCode, page.body)
		}
		if strings.Contains(page.body, "/reset/") {
			t.Fatal("the issuer's page shows the password link")
		}
		got := mail.To(prec.Email)
		if len(got) != 1 || len(mail.Messages()) != 1 {
			t.Fatalf("messages: %d to the preceptor, %d in all; want one, to her", len(got), len(mail.Messages()))
		}
		link := regexpFind(`(/reset/[A-Za-z0-9_-]+)`, got[0].Body)
		if link == "" {
			t.Fatalf("no link in the email:\n%s", got[0].Body)
		}
		code := strings.TrimPrefix(link, "/reset/")
		if strings.Contains(e.logText(), code) {
			t.Error("the log holds the reset code")
		}
		trail := ac.get("/audit")
		if strings.Contains(trail.body, code) || strings.Contains(trail.body, link) {
			t.Error("the audit trail shows the reset code")
		}
		// Her tokens went with the start of the reset.
		if r := apiCall(e, "GET", "/api/v1/me", bearer, ""); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("her token after a reset started by someone else: %d, want 401", r.StatusCode)
		}
		if e := audittest.Last(t, e.db, accounts.ActionResetStart); !strings.Contains(e.After, `"api_tokens_revoked":1`) {
			t.Errorf("reset start entry %s does not count the revoked token", e.After)
		}

		// The preceptor uses her link.
		pc := e.client()
		pc.get(link)
		newPassword := "a kettle of violet herons at dawn"
		if r := pc.post(link, url.Values{"new": {newPassword}, "confirm": {newPassword}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("completing the reset: %d", r.StatusCode)
		}
		done := audittest.Last(t, e.db, accounts.ActionResetComplete)
		if done.Actor != audit.AnonymousActor || !strings.Contains(done.Via, admin.ID) || !strings.Contains(done.After, `"issued_by":"`+admin.ID+`"`) ||
			!strings.Contains(done.After, `"completed_through":"reset link"`) {
			t.Errorf("reset complete entry: actor %q via %q after %s", done.Actor, done.Via, done.After)
		}
		if r := e.client().login(prec.Email, newPassword); r.StatusCode != http.StatusSeeOther {
			t.Errorf("the preceptor cannot log in with her new password: %d", r.StatusCode)
		}
	})
}

// TestResetLinkIsShownWithoutMail: without mail (a small clinic's first
// set-up) the issuer is shown the link to pass on, and nothing is sent.
func TestResetLinkIsShownWithoutMail(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		admin := e.person("admin@example.test", accounts.RoleAdmin)
		prec := e.person("preceptor@example.test", accounts.RolePreceptor)
		ac := e.client()
		ac.mustLogin(admin.Email)
		ac.get("/admin/people/" + prec.ID)
		page := ac.post("/admin/people/"+prec.ID+"/reset", nil)
		if page.StatusCode != http.StatusOK || regexpFind(`(/reset/[A-Za-z0-9_-]+)`, page.body) == "" || strings.Contains(page.body, "was sent to") {
			t.Fatalf("reset without mail: %d, want the link shown", page.StatusCode)
		}
	})
}
