package server_test

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/internal/tools/softkey"
)

// softKey is the software authenticator of internal/tools/softkey, for
// a test: a failure to answer fails the test.
type softKey struct{ *softkey.Key }

var b64u = base64.RawURLEncoding

func newSoftKey(t *testing.T) softKey {
	t.Helper()
	k, err := softkey.New()
	if err != nil {
		t.Fatal(err)
	}
	return softKey{k}
}

// register answers a registration's options (their JSON) as the browser
// would send it.
func (k softKey) register(t *testing.T, options, rpID, origin string) string {
	t.Helper()
	b, err := k.Register(options, rpID, origin)
	if err != nil {
		t.Fatalf("%v\n%s", err, options)
	}
	return b
}

// assert answers a login's or signature's options, counting up.
func (k softKey) assert(t *testing.T, options, rpID, origin string) string {
	t.Helper()
	b, err := k.Assert(options, rpID, origin)
	if err != nil {
		t.Fatalf("%v\n%s", err, options)
	}
	return b
}

func (c *client) postJSON(path, body string) response {
	c.e.t.Helper()
	return c.do("POST", path, strings.NewReader(body), map[string]string{"Content-Type": "application/json", "Accept": "application/json", "X-Csrf-Token": c.csrf})
}

// TestPasskeyCeremonies drives the real handlers with a software
// authenticator: a preceptor registers a passkey and logs in with it
// alone; an answer for another origin, for another relying party id, to a
// challenge already used, or with a counter that went back is refused;
// she signs off with it, and the sign-off records "passkey"; she removes
// it only with her password, after which it no longer logs in.
func TestPasskeyCeremonies(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		priya, jordan := people["preceptor@demo.test"], people["apprentice@demo.test"]
		const rpID, origin = "localhost", "http://localhost:8080"
		k := newSoftKey(t)
		c := e.client()
		c.mustLoginAs(priya.Email)
		c.get("/account")
		opts := c.postJSON("/account/passkeys/options", "{}")
		if opts.StatusCode != http.StatusOK {
			t.Fatalf("registration options: %d %s", opts.StatusCode, opts.body)
		}
		if r := c.postJSON("/account/passkeys?name=tablet", k.register(t, opts.body, rpID, "https://evil.example")); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("registration from another origin: %d %s", r.StatusCode, r.body)
		}
		opts = c.postJSON("/account/passkeys/options", "{}")
		if r := c.postJSON("/account/passkeys?name=tablet", k.register(t, opts.body, rpID, origin)); r.StatusCode != http.StatusCreated {
			t.Fatalf("registration: %d %s", r.StatusCode, r.body)
		}
		if page := c.get("/account"); !strings.Contains(page.body, "<strong>tablet</strong>") {
			t.Fatal("the account page does not list the passkey")
		}
		if r := c.login(priya.Email, demo.Password); r.StatusCode == http.StatusSeeOther {
			t.Errorf("the password alone logs in a person with a passkey: %d", r.StatusCode)
		}

		login := func(tamper func(opts string) string) (*client, response) {
			b := e.client()
			b.get("/login")
			o := b.postJSON("/login/passkey/options", "{}")
			if o.StatusCode != http.StatusOK {
				t.Fatalf("login options: %d %s", o.StatusCode, o.body)
			}
			return b, b.postJSON("/login/passkey", tamper(o.body))
		}
		b, r := login(func(o string) string { return k.assert(t, o, rpID, origin) })
		if r.StatusCode != http.StatusOK || !strings.Contains(r.body, `"next"`) {
			t.Fatalf("login with the passkey: %d %s", r.StatusCode, r.body)
		}
		if home := b.get("/"); home.StatusCode != http.StatusOK {
			t.Fatalf("home after the passkey login: %d", home.StatusCode)
		}
		var replay string
		for _, c := range []struct {
			name   string
			tamper func(string) string
		}{
			{"another origin", func(o string) string { return k.assert(t, o, rpID, "https://evil.example") }},
			{"another RP id", func(o string) string { return k.assert(t, o, "evil.example", origin) }},
			// The server holds counter 1 from the first login.
			{"the counter gone back", func(o string) string { k.Counter = 0; return k.assert(t, o, rpID, origin) }},
		} {
			if _, r := login(c.tamper); r.StatusCode != http.StatusUnauthorized {
				t.Errorf("login with %s: %d %s", c.name, r.StatusCode, r.body)
			}
		}
		k.Counter = 10
		_, r = login(func(o string) string { replay = k.assert(t, o, rpID, origin); return replay })
		if r.StatusCode != http.StatusOK {
			t.Fatalf("login after the refusals: %d %s", r.StatusCode, r.body)
		}
		// The same answer again, in a browser with a new challenge: the
		// answer's challenge was used.
		if _, r := login(func(string) string { return replay }); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("a replayed answer: %d %s", r.StatusCode, r.body)
		}

		// Signing with it: Jordan is two venipunctures from sign-off.
		ens, err := e.svc.Evidence.Store.Enrollments(t.Context(), evidenceFilterFor(jordan.ID))
		if err != nil || len(ens) != 1 {
			t.Fatal(err)
		}
		enr := "/enrollments/" + ens[0].ID
		for range 2 {
			observeAllMet(t, c, enr, "PHL-VENI")
		}
		form := c.get(enr + "/signoff/PHL-VENI")
		if !strings.Contains(form.body, "data-passkey-sign") {
			t.Fatalf("no passkey button on the sign-off form: %d", form.StatusCode)
		}
		so := c.postJSON("/account/passkeys/reauth", "{}")
		if so.StatusCode != http.StatusOK {
			t.Fatalf("signing options: %d %s", so.StatusCode, so.body)
		}
		signed := c.post(enr+"/signoff/PHL-VENI", url.Values{"key": {formValue(form.body, "key")}, "kind": {"initial"},
			"passkey": {k.assert(t, so.body, rpID, origin)}})
		if signed.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-off with the passkey: %d", signed.StatusCode)
		}
		rec := records(t, e.svc.Evidence, ens[0].ID)
		if last := rec.SignOffs[len(rec.SignOffs)-1]; last.AuthMethod != accounts.MethodPasskey || last.Competency != "PHL-VENI" {
			t.Errorf("the sign-off records %q", last.AuthMethod)
		}

		// Removing it takes the password.
		pks, _ := e.store.Passkeys(t.Context(), priya.ID)
		c.get("/account")
		if r := c.post("/account/passkeys/"+pks[0].ID+"/remove", url.Values{"password": {"not her password at all"}}); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("removal with a wrong password: %d", r.StatusCode)
		}
		// Her password alone would leave her with the password alone.
		if r := c.post("/account/passkeys/"+pks[0].ID+"/remove", url.Values{"password": {demo.Password}}); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("removal with the password alone: %d", r.StatusCode)
		}
		ro := c.postJSON("/account/passkeys/reauth", "{}")
		if r := c.post("/account/passkeys/"+pks[0].ID+"/remove", url.Values{"passkey": {k.assert(t, ro.body, rpID, origin)}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("removal with the passkey: %d %s", r.StatusCode, regexpFind(`(?s)(<p class="error".*?</p>)`, r.body))
		}
		if _, r := login(func(o string) string { return k.assert(t, o, rpID, origin) }); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("a removed passkey logs in: %d", r.StatusCode)
		}
	})
}

func evidenceFilterFor(personID string) evidence.EnrollmentFilter {
	return evidence.EnrollmentFilter{ApprenticeIDs: []string{personID}}
}

// observeAllMet records a successful observation of competency code on
// the enrollment at enr ("/enrollments/{id}") through the API, as c.
func observeAllMet(t *testing.T, c *client, enr, code string) {
	t.Helper()
	ma, _ := curriculum.MedicalAssistantProgram()
	var steps []string
	for i := range ma.Program.Competency(code).Checklist {
		steps = append(steps, `{"index":`+itoa(i)+`,"met":true}`)
	}
	today := c.e.clock.Now().In(c.e.cfg.Location()).Format("2006-01-02")
	r := c.postJSON("/api/v1"+enr+"/observations", `{"idempotency_key":"`+newTestKey()+`","competency":"`+code+`","performed_on":"`+today+
		`","steps":[`+strings.Join(steps, ",")+`]}`)
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("observation: %d %s", r.StatusCode, r.body)
	}
}

func newTestKey() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return b64u.EncodeToString(b)
}

// TestPasskeyEnrolsSomeoneWhoMustEnrol: a preceptor whose role must have a
// second factor may add a passkey from the enrolment page (its routes are
// open to her) and is then let in.
func TestPasskeyEnrolsSomeoneWhoMustEnrol(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		e := newEnvWith(t, d, map[string]string{"SKILLGATE_SECOND_FACTOR_ROLES": "preceptor"})
		p := e.person("nurse@example.test", accounts.RolePreceptor)
		c := e.client()
		c.mustLogin(p.Email)
		page := c.get("/account/second-factor")
		if !strings.Contains(page.body, "data-passkey-register") {
			t.Fatalf("the enrolment page offers no passkey: %d", page.StatusCode)
		}
		k := newSoftKey(t)
		opts := c.postJSON("/account/passkeys/options", "{}")
		if r := c.postJSON("/account/passkeys?name=phone", k.register(t, opts.body, "localhost", "http://localhost:8080")); r.StatusCode != http.StatusCreated {
			t.Fatalf("registration while she must enrol: %d %s", r.StatusCode, r.body)
		}
		if r := c.get("/"); r.StatusCode != http.StatusOK {
			t.Errorf("home after the passkey: %d", r.StatusCode)
		}
	})
}

// TestPasskeySignsAnEvaluation: on the due day of Jordan's next
// evaluation, Priya (his preceptor) registers a passkey; the evaluation
// form offers it and her passkey's answer signs the evaluation, which
// records the passkey as how she re-authenticated.
func TestPasskeySignsAnEvaluation(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		jordan := people["apprentice@demo.test"]
		ens, err := e.svc.Evidence.Store.Enrollments(t.Context(), evidenceFilterFor(jordan.ID))
		if err != nil || len(ens) != 1 {
			t.Fatal(ens, err)
		}
		rec := records(t, e.svc.Evidence, ens[0].ID)
		next := assessments.EvaluationsOf(rec.Enrollment, nil, rec.Enrollment.Version.Day(e.clock.Now()))
		due := next[len(next)-1]
		e.clock.Advance(due.DueOn.Time(rec.Enrollment.Version.Location()).Add(12 * time.Hour).Sub(e.clock.Now()))

		const rpID, origin = "localhost", "http://localhost:8080"
		k := newSoftKey(t)
		c := e.client()
		c.mustLoginAs("preceptor@demo.test")
		c.get("/account")
		if r := c.postJSON("/account/passkeys?name=tablet", k.register(t, c.postJSON("/account/passkeys/options", "{}").body, rpID, origin)); r.StatusCode != http.StatusCreated {
			t.Fatalf("registration: %d %s", r.StatusCode, r.body)
		}
		page := "/enrollments/" + ens[0].ID + "/evaluations/" + strconv.Itoa(due.Seq)
		if form := c.get(page); !strings.Contains(form.body, "data-passkey-sign") || !strings.Contains(form.body, `name="passkey"`) {
			t.Fatalf("no passkey on the evaluation form: %d", form.StatusCode)
		}
		so := c.postJSON("/account/passkeys/reauth", "{}")
		form := url.Values{"comments": {"Steady."}, "passkey": {k.assert(t, so.body, rpID, origin)},
			"rating_CLINICAL-SKILLS": {"3"}, "rating_SAFETY": {"4"}, "rating_COMMUNICATE": {"3"}, "rating_DOCUMENT": {"2"}, "rating_CONDUCT": {"4"}}
		if r := c.post(page, form); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("evaluation signed with the passkey: %d %s", r.StatusCode, regexpFind(`(?s)(<main.*</main>)`, r.body))
		}
		done, err := e.svc.Evaluations.ForEnrollment(t.Context(), &ens[0])
		if err != nil || len(done) != 1 || done[0].Seq != due.Seq || done[0].AuthMethod != accounts.MethodPasskey {
			t.Fatalf("after signing with the passkey: %+v %v", done, err)
		}
	})
}
