package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/sso"
	"github.com/skillgate/skillgate/app/sso/oidc/oidctest"
	"github.com/skillgate/skillgate/assessments"
)

// newOIDCEnv is a server whose OpenID provider is a real one on loopback
// (oidctest), with settings of the test's own on top.
func newOIDCEnv(t *testing.T, d *db.DB, extra map[string]string) (*env, *oidctest.OP) {
	t.Helper()
	o := oidctest.Start(t)
	o.AddClient("skillgate", "client-secret", "http://localhost:8080/auth/oidc/callback")
	settings := map[string]string{"SKILLGATE_OIDC_ISSUER": o.URL, "SKILLGATE_OIDC_CLIENT_ID": "skillgate",
		"SKILLGATE_OIDC_CLIENT_SECRET": "client-secret", "SKILLGATE_OIDC_NAME": "Test IdP",
		"SKILLGATE_SSO_GROUP_MAP": "sg-rn=preceptor@Eastside Clinic,sg-ma=apprentice@*"}
	for k, v := range extra {
		settings[k] = v
	}
	return newEnvWith(t, d, settings), o
}

// ssoVia follows a redirect to the provider, signs in there as user, and
// brings the provider's answer back to Skillgate (the callback).
func (c *client) ssoVia(o *oidctest.OP, r response, user string) response {
	c.e.t.Helper()
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, o.URL) {
		c.e.t.Fatalf("expected a redirect to the provider, got %d %q", r.StatusCode, loc)
	}
	back, err := o.SignIn(loc, user)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return c.get(localPath(c.e.t, back))
}

func localPath(t testing.TB, s string) string {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil || u.Path != "/auth/oidc/callback" {
		t.Fatalf("not the callback: %q", s)
	}
	return u.RequestURI()
}

// OpenID Connect sign-in against a real provider: just-in-time creation
// from the group mapping, a refused unmapped person (nothing created),
// linking an existing person only by a verified email, and the answers
// that must not sign anyone in (another browser's state, a replayed
// answer, a token signed with an unpublished key).
func TestOIDCLogin(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		e, o := newOIDCEnv(t, d, nil)
		ctx := context.Background()
		o.AddUser(oidctest.User{Name: "rita", Subject: "sub-rita", Email: "rita@clinic.test", FullName: "Rita Moreno", Groups: []string{"sg-rn"}})
		o.AddUser(oidctest.User{Name: "unmapped", Subject: "sub-x", Email: "x@clinic.test", EmailVerified: true, Groups: []string{"staff"}})
		o.AddUser(oidctest.User{Name: "pat-unverified", Subject: "sub-pat-u", Email: "pat@clinic.test", Groups: []string{"sg-ma"}})
		o.AddUser(oidctest.User{Name: "pat", Subject: "sub-pat", Email: "pat@clinic.test", EmailVerified: true})
		pat := e.person("pat@clinic.test", accounts.RoleApprentice)

		c := e.client()
		if page := c.get("/login"); !strings.Contains(page.body, `href="/auth/oidc/login"`) || !strings.Contains(page.body, "Sign in with Test IdP") ||
			!strings.Contains(page.body, `name="password"`) {
			t.Fatalf("login page: %s", page.body)
		}
		// Just in time: a preceptor at Eastside Clinic, from sg-rn.
		r := c.ssoVia(o, c.get("/auth/oidc/login?next=/people"), "rita")
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/people" {
			t.Fatalf("JIT sign-in: %d %q %s", r.StatusCode, r.Header.Get("Location"), r.body)
		}
		rita, err := e.store.ByEmail(ctx, "rita@clinic.test")
		if err != nil || rita.Name != "Rita Moreno" || !rita.Has(accounts.RolePreceptor) || len(rita.SiteIDs) != 1 || rita.SiteIDs[0] != e.siteID {
			t.Fatalf("JIT person %+v %v", rita, err)
		}
		if home := c.get("/"); home.StatusCode != http.StatusOK || !strings.Contains(home.body, "Rita Moreno") {
			t.Fatalf("signed-in home: %d", home.StatusCode)
		}

		// Unmapped: "ask your administrator", nobody created.
		n := audittest.Total(t, d)
		c = e.client()
		r = c.ssoVia(o, c.get("/auth/oidc/login"), "unmapped")
		if r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "ask your administrator") {
			t.Fatalf("unmapped: %d %s", r.StatusCode, r.body)
		}
		if _, err := e.store.ByEmail(ctx, "x@clinic.test"); !errors.Is(err, db.ErrNotFound) || audittest.Total(t, d) != n {
			t.Fatalf("an unmapped sign-in created something: %v", err)
		}

		// An existing person: not by an unverified email (even with mapped
		// groups), then by a verified one.
		c = e.client()
		if r = c.ssoVia(o, c.get("/auth/oidc/login"), "pat-unverified"); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "not say the email is verified") {
			t.Fatalf("unverified email: %d %s", r.StatusCode, r.body)
		}
		if r = c.ssoVia(o, c.get("/auth/oidc/login"), "pat"); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("verified email: %d %s", r.StatusCode, r.body)
		}
		if ids, _ := e.svc.SSO.Identities(ctx, pat.ID); len(ids) != 1 || ids[0].Subject != "sub-pat" {
			t.Fatalf("links %+v", ids)
		}
		// An administrator sees the link and can remove it (audited), never
		// point it elsewhere.
		e.person("admin@clinic.test", accounts.RoleAdmin)
		ac := e.client()
		ac.mustLogin("admin@clinic.test")
		if page := ac.get("/admin/people/" + pat.ID); !strings.Contains(page.body, "sub-pat") || !strings.Contains(page.body, "/sso/unlink") {
			t.Fatalf("person page: %d", page.StatusCode)
		}
		if r := ac.post("/admin/people/"+pat.ID+"/sso/unlink", url.Values{"issuer": {o.URL}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("unlink: %d %s", r.StatusCode, r.body)
		}
		if ids, _ := e.svc.SSO.Identities(ctx, pat.ID); len(ids) != 0 || audittest.Count(t, d, sso.ActionUnlink) != 1 {
			t.Fatalf("after unlinking %+v", ids)
		}

		// Answers that sign nobody in.
		c = e.client()
		start := c.get("/auth/oidc/login")
		back, err := o.SignIn(start.Header.Get("Location"), "rita")
		if err != nil {
			t.Fatal(err)
		}
		other := e.client() // another browser (no state cookie)
		if r := other.get(localPath(t, back)); r.StatusCode != http.StatusUnauthorized || other.cookies["sg_session"] != "" {
			t.Fatalf("another browser's answer: %d", r.StatusCode)
		}
		tampered := strings.Replace(localPath(t, back), "state=", "state=x", 1)
		if r := c.get(tampered); r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, "Start again") {
			t.Fatalf("state mismatch: %d %s", r.StatusCode, r.body)
		}
		c = e.client()
		start = c.get("/auth/oidc/login")
		back, _ = o.SignIn(start.Header.Get("Location"), "rita")
		saved := c.cookies["sg_sso"]
		if r := c.get(localPath(t, back)); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-in: %d", r.StatusCode)
		}
		c.cookies["sg_sso"] = saved
		if r := c.get(localPath(t, back)); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a replayed answer: %d", r.StatusCode)
		}
		o.SetTweak(oidctest.Tweak{ForeignKey: true})
		c = e.client()
		if r := c.ssoVia(o, c.get("/auth/oidc/login"), "rita"); r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, "could not verify") ||
			c.cookies["sg_session"] != "" {
			t.Fatalf("token signed by another key: %d %s", r.StatusCode, r.body)
		}
		o.SetTweak(oidctest.Tweak{})
		if !strings.Contains(e.logText(), "sso refused") || strings.Contains(e.logText(), "client-secret") {
			t.Error("refusals not logged, or the client secret logged")
		}
	})
}

// Signing under SSO: the signature waits on the server while the provider
// asks for the credentials again (prompt=login, max_age=0); a fresh answer
// for the signer signs once and records how, a stale one or another
// person's signs nothing.
func TestOIDCStepUpSigning(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		e, o := newOIDCEnv(t, d, nil)
		people := withDemo(t, e)
		priya, jordan := people["preceptor@demo.test"], people["apprentice@demo.test"]
		o.AddUser(oidctest.User{Name: "priya", Subject: "sub-priya", Email: priya.Email, EmailVerified: true})
		o.AddUser(oidctest.User{Name: "mallory", Subject: "sub-mallory", Email: "mallory@clinic.test", EmailVerified: true, Groups: []string{"sg-ma"}})
		c := e.client()
		if r := c.ssoVia(o, c.get("/auth/oidc/login"), "priya"); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-in: %d %s", r.StatusCode, r.body)
		}
		c.get("/")
		ens, err := e.svc.Evidence.Store.Enrollments(t.Context(), evidenceFilterFor(jordan.ID))
		if err != nil || len(ens) != 1 {
			t.Fatal(err)
		}
		enr := "/enrollments/" + ens[0].ID
		for range 2 {
			observeAllMet(t, c, enr, "PHL-VENI")
		}
		signOffs := func() int { return len(records(t, e.svc.Evidence, ens[0].ID).SignOffs) }
		before := signOffs()
		form := c.get(enr + "/signoff/PHL-VENI")
		if !strings.Contains(form.body, `name="method" value="sso"`) || !strings.Contains(form.body, "Sign with Test IdP") {
			t.Fatalf("no SSO button on the sign-off form: %d", form.StatusCode)
		}
		// The form's answer redirects to the provider: CSP must allow it.
		if csp := form.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+o.URL) {
			t.Fatalf("CSP %q does not let the sign-off form go to the provider", csp)
		}
		sign := func() response {
			return c.post(enr+"/signoff/PHL-VENI", url.Values{"key": {formValue(form.body, "key")}, "kind": {"initial"}, "method": {"sso"}})
		}

		// Stale: the provider answers with a sign-in from before.
		o.SetTweak(oidctest.Tweak{AuthTime: time.Now().Add(-time.Hour)})
		r := c.ssoVia(o, sign(), "priya")
		if r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, "did not ask for your credentials again") || signOffs() != before {
			t.Fatalf("stale auth_time: %d %s", r.StatusCode, regexpFind(`(?s)(<form.*?</form>)`, r.body))
		}
		if last := o.Last(); len(last.Prompt) != 1 || last.Prompt[0] != "login" || last.MaxAge == nil || *last.MaxAge != 0 {
			t.Fatalf("the provider was asked %+v", last)
		}
		o.SetTweak(oidctest.Tweak{})
		// Someone else at the provider.
		if r := c.ssoVia(o, sign(), "mallory"); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "someone other than the person signing") || signOffs() != before {
			t.Fatalf("another subject: %d", r.StatusCode)
		}
		// Fresh, for Priya: signed once, and the signature says how.
		start := sign()
		back, err := o.SignIn(start.Header.Get("Location"), "priya")
		if err != nil {
			t.Fatal(err)
		}
		saved := c.cookies["sg_sso"]
		r = c.get(localPath(t, back))
		if r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "msg=signed") || signOffs() != before+1 {
			t.Fatalf("fresh re-authentication: %d %s", r.StatusCode, regexpFind(`(?s)(<form.*?</form>)`, r.body))
		}
		rec := records(t, e.svc.Evidence, ens[0].ID)
		if m := rec.SignOffs[len(rec.SignOffs)-1].AuthMethod; !strings.HasPrefix(m, "oidc: re-authenticated at Test IdP at ") {
			t.Errorf("the signature records %q", m)
		}
		// The same answer again signs nothing.
		c.cookies["sg_sso"] = saved
		if r := c.get(localPath(t, back)); r.StatusCode != http.StatusUnauthorized || signOffs() != before+1 {
			t.Fatalf("replayed answer: %d", r.StatusCode)
		}

		// An evaluation through the provider: Jordan's first is overdue once
		// his start is a year back; what the form held is signed.
		if _, err := d.NewUpdate().Table("enrollments").Set("start_date = ?", ens[0].StartDate.AddMonths(-12).String()).Where("id = ?", ens[0].ID).Exec(t.Context()); err != nil {
			t.Fatal(err)
		}
		eval := enr + "/evaluations/1"
		if page := c.get(eval); !strings.Contains(page.body, "Sign with Test IdP") {
			t.Fatalf("no SSO button on the evaluation form: %d", page.StatusCode)
		}
		r = c.ssoVia(o, c.post(eval, url.Values{"method": {"sso"}, "comments": {"Steady."}, "rating_CLINICAL-SKILLS": {"3"}, "rating_SAFETY": {"4"},
			"rating_COMMUNICATE": {"3"}, "rating_DOCUMENT": {"2"}, "rating_CONDUCT": {"4"}}), "priya")
		done, err := e.svc.Evaluations.ForEnrollment(t.Context(), records(t, e.svc.Evidence, ens[0].ID).Enrollment)
		if r.StatusCode != http.StatusSeeOther || err != nil || len(done) != 1 || done[0].Comments != "Steady." || !strings.HasPrefix(done[0].AuthMethod, "oidc: re-authenticated at Test IdP") {
			t.Fatalf("evaluation through the provider: %d %+v %v", r.StatusCode, done, err)
		}

		// Jordan acknowledges it through the provider: someone else's
		// answer there signs nothing; his own signs once and says how.
		o.AddUser(oidctest.User{Name: "jordan", Subject: "sub-jordan", Email: jordan.Email, EmailVerified: true})
		j := e.client()
		if r := j.ssoVia(o, j.get("/auth/oidc/login"), "jordan"); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("Jordan's sign-in: %d %s", r.StatusCode, r.body)
		}
		if page := j.get(eval); !strings.Contains(page.body, `action="`+eval+`/acknowledge"`) || !strings.Contains(page.body, "Sign with Test IdP") {
			t.Fatalf("no SSO button on the acknowledgement form: %d", page.StatusCode)
		}
		acked := func() *assessments.Acknowledgement {
			done, err := e.svc.Evaluations.ForEnrollment(t.Context(), records(t, e.svc.Evidence, ens[0].ID).Enrollment)
			if err != nil || len(done) != 1 {
				t.Fatalf("Jordan's evaluations: %+v %v", done, err)
			}
			return done[0].Ack
		}
		ack := func() response { return j.post(eval+"/acknowledge", url.Values{"method": {"sso"}}) }
		if r := j.ssoVia(o, ack(), "priya"); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "someone other than the person signing") || acked() != nil {
			t.Fatalf("acknowledged by another subject at the provider: %d", r.StatusCode)
		}
		j.get(eval)
		r = j.ssoVia(o, ack(), "jordan")
		if a := acked(); r.StatusCode != http.StatusSeeOther || a == nil || a.Signature.SignerID != jordan.ID || !strings.HasPrefix(a.AuthMethod, "oidc: re-authenticated at Test IdP") {
			t.Fatalf("acknowledgement through the provider: %d %+v", r.StatusCode, a)
		}
		if last := o.Last(); len(last.Prompt) != 1 || last.Prompt[0] != "login" || last.MaxAge == nil || *last.MaxAge != 0 {
			t.Errorf("the provider was asked %+v for the acknowledgement", last)
		}
		if page := j.get(eval); regexpFind(`<span class="status[^"]*">([^<]+)</span>`, page.body) != "Completed" {
			t.Errorf("the evaluation is not completed once acknowledged through the provider")
		}
	})
}

// Password login off: the login page offers single sign-on, a password
// logs in only a break-glass account, and the administrator's mapping
// (edited on /admin/sso, audited) decides the next just-in-time person.
func TestPasswordLoginOffAndTheAdminMapping(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		e, o := newOIDCEnv(t, d, map[string]string{"SKILLGATE_PASSWORD_LOGIN": "false", "SKILLGATE_BREAK_GLASS": "Admin@clinic.test"})
		e.person("admin@clinic.test", accounts.RoleAdmin)
		e.person("nurse@clinic.test", accounts.RolePreceptor)
		o.AddUser(oidctest.User{Name: "sam", Subject: "sub-sam", Email: "sam@clinic.test", Groups: []string{"sg-new"}})

		c := e.client()
		page := c.get("/login")
		if strings.Contains(page.body, `name="password"`) || !strings.Contains(page.body, "Sign in with Test IdP") || !strings.Contains(page.body, `href="/login?password=1"`) {
			t.Fatalf("login page with password login off:\n%s", page.body)
		}
		if !strings.Contains(c.get("/login?password=1").body, `name="password"`) {
			t.Fatal("no password form for break-glass accounts")
		}
		if r := c.post("/login", url.Values{"email": {"nurse@clinic.test"}, "password": {testPassword}}); r.StatusCode != http.StatusForbidden ||
			!strings.Contains(r.body, "use your organisation") || c.cookies["sg_session"] != "" {
			t.Fatalf("a password login that is not break-glass: %d", r.StatusCode)
		}
		if r := c.login("admin@clinic.test", testPassword); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("break-glass login: %d %s", r.StatusCode, r.body)
		}

		// The mapping: a site Skillgate lacks is refused by the field and
		// saves nothing; a good one is saved and audited.
		form := c.get("/admin/sso")
		if form.StatusCode != http.StatusOK || !strings.Contains(form.body, "sg-rn=preceptor@Eastside Clinic") {
			t.Fatalf("admin page: %d", form.StatusCode)
		}
		n := audittest.Count(t, d, sso.ActionSettings)
		if r := c.post("/admin/sso", url.Values{"group_map": {"sg-new=apprentice@Nowhere"}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "No site is named") ||
			!strings.Contains(r.body, "sg-new=apprentice@Nowhere") {
			t.Fatalf("unknown site: %d", r.StatusCode)
		}
		if r := c.post("/admin/sso", url.Values{"group_map": {"sg-new=apprentice@Eastside Clinic\r\nsg-hr=hr@*"}, "idp_is_source": {"on"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d %s", r.StatusCode, r.body)
		}
		if audittest.Count(t, d, sso.ActionSettings) != n+1 {
			t.Fatal("the mapping's change is not audited once")
		}
		set, err := e.svc.SSO.Settings(t.Context())
		if err != nil || !set.Saved || !set.IdPIsSource || set.Mapping.String() != "sg-new=apprentice@Eastside Clinic,sg-hr=hr@*" {
			t.Fatalf("settings %+v %v", set, err)
		}
		sc := e.client()
		if r := sc.ssoVia(o, sc.get("/auth/oidc/login"), "sam"); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("JIT from the saved mapping: %d %s", r.StatusCode, r.body)
		}
		if sam, err := e.store.ByEmail(t.Context(), "sam@clinic.test"); err != nil || !sam.Has(accounts.RoleApprentice) {
			t.Fatalf("sam %+v %v", sam, err)
		}
	})
}

// TestOIDCStepUpCompletes: a director who signs in only through the
// provider (no password, no passkey) is offered only the provider on the
// completion form, and completes Casey's apprenticeship by
// re-authenticating there (a stale answer brings the form back with the
// reason); the completion records how.
func TestOIDCStepUpCompletes(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		e, o := newOIDCEnv(t, d, nil)
		people := withDemo(t, e)
		casey, dana := people["graduate@demo.test"], people["director@demo.test"]
		_, enr := completionVersion(t, e, casey)
		id := strings.TrimPrefix(enr, "/enrollments/")
		approveOrientation(t, e, id, casey, people["physician@demo.test"])
		if _, err := d.NewUpdate().Table("users").Set("password_hash = ''").Where("id = ?", dana.ID).Exec(t.Context()); err != nil {
			t.Fatal(err)
		}
		o.AddUser(oidctest.User{Name: "dana", Subject: "sub-dana", Email: dana.Email, EmailVerified: true})
		c := e.client()
		if r := c.ssoVia(o, c.get("/auth/oidc/login"), "dana"); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-in: %d %s", r.StatusCode, r.body)
		}
		form := c.get(enr + "/complete")
		if !strings.Contains(form.body, `name="method" value="sso"`) || !strings.Contains(form.body, "Sign with Test IdP") || strings.Contains(form.body, `name="password"`) {
			t.Fatalf("the completion form does not offer the provider alone: %d\n%s", form.StatusCode, regexpFind(`(?s)(<form.*?</form>)`, form.body))
		}
		// A stale answer (a sign-in from before) completes nothing: the form
		// comes back with the reason.
		o.SetTweak(oidctest.Tweak{AuthTime: time.Now().Add(-time.Hour)})
		r := c.ssoVia(o, c.post(enr+"/complete", url.Values{"method": {"sso"}}), "dana")
		if done, _ := e.svc.Evidence.Store.Completion(t.Context(), id); r.StatusCode != http.StatusUnauthorized || done != nil ||
			!strings.Contains(r.body, `<p class="error" id="e-password">Your identity provider did not ask for your credentials again`) {
			t.Fatalf("stale auth_time: %d, completion %v\n%s", r.StatusCode, done, regexpFind(`(?s)(<main.*</main>)`, r.body))
		}
		o.SetTweak(oidctest.Tweak{})
		r = c.ssoVia(o, c.post(enr+"/complete", url.Values{"method": {"sso"}}), "dana")
		if r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "msg=completed") {
			t.Fatalf("completion through the provider: %d %s", r.StatusCode, regexpFind(`(?s)(<main.*</main>)`, r.body))
		}
		done, err := e.svc.Evidence.Store.Completion(t.Context(), id)
		if err != nil || done == nil || done.PrintedName != dana.Name || !strings.HasPrefix(done.AuthMethod, "oidc: re-authenticated at Test IdP at ") {
			t.Fatalf("after completing through the provider: %+v %v", done, err)
		}
	})
}
