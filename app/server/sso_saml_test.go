package server_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/sso/saml/samltest"
)

// samlVia follows a redirect to the IdP, where the person it signs in
// answers, and posts the answer to Skillgate's ACS as the IdP's page
// does; it returns the ACS's answer to the GET the post redirects to,
// and the form posted (to replay it).
func (c *client) samlVia(idp *samltest.IdP, r response) (response, url.Values) {
	c.e.t.Helper()
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, idp.URL) {
		c.e.t.Fatalf("expected a redirect to the IdP, got %d %q", r.StatusCode, loc)
	}
	res, err := http.Get(loc)
	if err != nil {
		c.e.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	action, form, err := samltest.Answer(body)
	if err != nil || action != "http://localhost:8080/auth/saml/acs" {
		c.e.t.Fatalf("the IdP answered %q: %v", action, err)
	}
	return c.postSAML(form), form
}

// postSAML posts an IdP's form to the ACS and follows its redirect.
func (c *client) postSAML(form url.Values) response {
	c.e.t.Helper()
	kept := c.do("POST", "/auth/saml/acs", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if kept.StatusCode != http.StatusSeeOther || !strings.HasPrefix(kept.Header.Get("Location"), "/auth/saml/acs?answer=") {
		c.e.t.Fatalf("the ACS post: %d %q", kept.StatusCode, kept.Header.Get("Location"))
	}
	return c.get(kept.Header.Get("Location"))
}

// SAML 2.0 against a real IdP on loopback (its metadata by URL), on both
// engines: the SP metadata; sign-in creating a person just in time from
// the groups attribute and the mapping; a refused unmapped person; a
// replayed answer; then signing under SSO: ForceAuthn asked, a stale
// AuthnInstant or another subject signs nothing, a fresh one signs once
// and the signature records how. (Audience, recipient, signatures and the
// replay cache itself: app/sso/saml's TestParse.)
func TestSAMLLoginAndStepUp(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := context.Background()
		idp := samltest.New(t)
		e := newEnvWith(t, d, map[string]string{"SKILLGATE_SAML_IDP_METADATA": idp.MetadataURL, "SKILLGATE_SAML_NAME": "Test SAML",
			"SKILLGATE_SSO_GROUP_MAP": "sg-rn=preceptor@Eastside Clinic", "SKILLGATE_SSO_TRUST_EMAIL": "true"})
		people := withDemo(t, e)
		meta := e.client().get("/auth/saml/metadata")
		if meta.StatusCode != http.StatusOK || !strings.Contains(meta.body, `entityID="http://localhost:8080/auth/saml/metadata"`) ||
			!strings.Contains(meta.body, `Location="http://localhost:8080/auth/saml/acs"`) {
			t.Fatalf("SP metadata: %d %s", meta.StatusCode, meta.body)
		}
		idp.AddSP(t, []byte(meta.body))
		e.person("admin@clinic.test", accounts.RoleAdmin)
		ac := e.client()
		ac.mustLogin("admin@clinic.test")
		if page := ac.get("/admin/sso"); !strings.Contains(page.body, "SAML 2.0") || !strings.Contains(page.body, "http://localhost:8080/auth/saml/acs") {
			t.Fatalf("the administrators' SSO page: %d", page.StatusCode)
		}

		c := e.client()
		if page := c.get("/login"); !strings.Contains(page.body, `href="/auth/saml/login"`) || !strings.Contains(page.body, "Sign in with Test SAML") {
			t.Fatalf("login page: %s", page.body)
		}
		// Just in time: a preceptor at Eastside Clinic, from sg-rn.
		idp.SignIn(samltest.User{NameID: "rita-1", Email: "rita@clinic.test", Name: "Rita Moreno", Groups: []string{"sg-rn"}})
		start := c.get("/auth/saml/login?next=/people")
		saved := c.cookies["sg_sso"]
		r, form := c.samlVia(idp, start)
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/people" {
			t.Fatalf("JIT sign-in: %d %q %s", r.StatusCode, r.Header.Get("Location"), r.body)
		}
		rita, err := e.store.ByEmail(ctx, "rita@clinic.test")
		if err != nil || rita.Name != "Rita Moreno" || !rita.Has(accounts.RolePreceptor) || len(rita.SiteIDs) != 1 {
			t.Fatalf("JIT person %+v %v", rita, err)
		}
		if ids, _ := e.svc.SSO.Identities(ctx, rita.ID); len(ids) != 1 || ids[0].Issuer != idp.EntityID() || ids[0].Subject != "rita-1" {
			t.Fatalf("links %+v", ids)
		}
		// The same answer posted again (in the same browser) signs nobody in.
		again := e.client()
		again.cookies["sg_sso"] = saved
		if r := again.postSAML(form); r.StatusCode != http.StatusUnauthorized || again.cookies["sg_session"] != "" {
			t.Fatalf("replayed answer: %d", r.StatusCode)
		}

		// An oversized post is refused before it is read.
		big := url.Values{"SAMLResponse": {strings.Repeat("A", 300<<10)}}.Encode()
		if r := e.client().do("POST", "/auth/saml/acs", strings.NewReader(big), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); r.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("oversized answer: %d", r.StatusCode)
		}

		// Unmapped: "ask your administrator", nobody created.
		n := audittest.Total(t, d)
		idp.SignIn(samltest.User{NameID: "x-1", Email: "x@clinic.test", Name: "X", Groups: []string{"staff"}})
		c = e.client()
		if r, _ := c.samlVia(idp, c.get("/auth/saml/login")); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "ask your administrator") {
			t.Fatalf("unmapped: %d %s", r.StatusCode, r.body)
		}
		if _, err := e.store.ByEmail(ctx, "x@clinic.test"); !errors.Is(err, db.ErrNotFound) || audittest.Total(t, d) != n {
			t.Fatalf("an unmapped sign-in created something: %v", err)
		}

		// Signing: Priya (linked by her trusted email at first sign-in).
		priya, jordan := people["preceptor@demo.test"], people["apprentice@demo.test"]
		idp.SignIn(samltest.User{NameID: "priya-1", Email: priya.Email, Name: priya.Name})
		c = e.client()
		if r, _ := c.samlVia(idp, c.get("/auth/saml/login")); r.StatusCode != http.StatusSeeOther {
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
		page := c.get(enr + "/signoff/PHL-VENI")
		if !strings.Contains(page.body, "Sign with Test SAML") {
			t.Fatalf("no SSO button on the sign-off form: %d", page.StatusCode)
		}
		// The form's answer redirects to the IdP: CSP form-action allows it.
		if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+idp.URL) {
			t.Errorf("CSP %q", csp)
		}
		sign := func() response {
			return c.post(enr+"/signoff/PHL-VENI", url.Values{"key": {formValue(page.body, "key")}, "kind": {"initial"}, "method": {"sso"}})
		}
		// Stale: the IdP ignores ForceAuthn and answers with the old sign-in.
		idp.Stale(true)
		r, _ = c.samlVia(idp, sign())
		if r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, "did not ask for your credentials again") || signOffs() != before || idp.Forced() != 1 {
			t.Fatalf("stale AuthnInstant: %d, forced %d", r.StatusCode, idp.Forced())
		}
		idp.Stale(false)
		// Someone else at the IdP.
		idp.SignIn(samltest.User{NameID: "mallory-1", Email: "mallory@clinic.test", Name: "Mallory"})
		if r, _ := c.samlVia(idp, sign()); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "someone other than the person signing") || signOffs() != before {
			t.Fatalf("another subject: %d", r.StatusCode)
		}
		// Fresh, for Priya: signed once, and the signature says how.
		idp.SignIn(samltest.User{NameID: "priya-1", Email: priya.Email, Name: priya.Name})
		r, _ = c.samlVia(idp, sign())
		if r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "msg=signed") || signOffs() != before+1 {
			t.Fatalf("fresh re-authentication: %d %s", r.StatusCode, regexpFind(`(?s)(<form.*?</form>)`, r.body))
		}
		rec := records(t, e.svc.Evidence, ens[0].ID)
		if m := rec.SignOffs[len(rec.SignOffs)-1].AuthMethod; !strings.HasPrefix(m, "saml: re-authenticated at Test SAML at ") {
			t.Errorf("the signature records %q", m)
		}
	})
}
