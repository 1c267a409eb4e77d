package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/apptest"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/internal/tools/scale"
)

// Every write planned for the mixed-write run is one the evidence service
// accepts when the preceptor sends them in order: the run's refusals are
// then the server's, not the generator's.
func TestMixedPlanIsAccepted(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := audit.WithActor(context.Background(), audit.System("bench test"))
		if _, err := scale.Generate(ctx, d, scale.Options{Sites: 1, MAs: 12, Preceptors: 4, Observations: 900, Credentials: 60, Seed: 3}); err != nil {
			t.Fatalf("generate: %v", err)
		}
		now := time.Now()
		cs, err := planMixed(ctx, d, 3, 12, now, accounts.MethodPassword)
		if err != nil {
			t.Fatalf("plan: %v", err)
		}
		acc := accounts.NewStore(d)
		svc := evidence.NewService(d, programs.NewStore(d))
		seen := map[string]string{}
		signs, writes := 0, 0
		for _, c := range cs {
			if c.email == scale.PreceptorEmail(1) {
				t.Errorf("%s is planned: the page measurements log in as them with the password, which a passkey run would refuse after", c.email)
			}
			if len(c.plan) < 12 {
				t.Errorf("%s has %d writes planned, want at least 12", c.email, len(c.plan))
			}
			p, err := acc.ByEmail(ctx, c.email)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.plan {
				if other, ok := seen[w.enrollment]; ok && other != c.email {
					t.Fatalf("enrollment %s is in the plans of %s and %s", w.enrollment, other, c.email)
				}
				seen[w.enrollment] = c.email
				writes++
				// As the server's handlers: a sign-off is checked against
				// the records, an observation needs only the enrollment.
				if w.sign {
					signs++
					rec, err := svc.Enrollment(ctx, w.enrollment)
					if err != nil {
						t.Fatal(err)
					}
					ap, err := acc.ByID(ctx, rec.Enrollment.ApprenticeID)
					if err != nil {
						t.Fatal(err)
					}
					if _, _, err := svc.SignOff(ctx, rec, evidence.ActorOf(p), assessments.SignOffRequest{IdempotencyKey: newKey(), Competency: w.competency,
						Kind: curriculum.InitialSignOff, ApprenticeName: ap.Name, AuthMethod: accounts.MethodPassword}); err != nil {
						t.Fatalf("%s signs off %s: %v", c.email, w.competency, err)
					}
					continue
				}
				e, err := svc.Head(ctx, w.enrollment)
				if err != nil {
					t.Fatal(err)
				}
				comp := e.Version.Competency(w.competency)
				steps := make([]assessments.StepResult, len(comp.Checklist))
				for j := range steps {
					steps[j] = assessments.StepResult{Index: j, Met: true}
				}
				day, err := curriculum.ParseDate(w.day)
				if err != nil {
					t.Fatal(err)
				}
				if _, _, err := svc.Observe(ctx, e, evidence.ActorOf(p), assessments.ObservationRequest{IdempotencyKey: newKey(), Competency: w.competency,
					Variant: w.variant, ChecklistVersion: comp.ChecklistVersion, PerformedOn: day, Steps: steps, SiteID: e.SiteID}); err != nil {
					t.Fatalf("%s observes %s: %v", c.email, w.competency, err)
				}
			}
		}
		if signs == 0 || signs*2 > writes {
			t.Errorf("%d sign-offs in %d writes: want some, each after its observations", signs, writes)
		}
	})
}

func TestWriteOutcome(t *testing.T) {
	summary := []byte(`<main><div class="error-summary" role="alert"><h2>There is a problem</h2><p>Nothing was saved.</p>` +
		`<ul><li><a href="#f-password">The password is not right, so nothing was signed.</a></li></ul></div></main>`)
	for _, tc := range []struct {
		sign     bool
		status   int
		location string
		body     []byte
		want     string // "" for success, else in the error
	}{
		{false, http.StatusSeeOther, "/enrollments/e1?done=saved&c=PHL-VENI#done", nil, ""},
		{true, http.StatusSeeOther, "/enrollments/e1?msg=signed#c-PHL-VENI", nil, ""},
		// An unsuccessful observation is recorded, but not what was sent.
		{false, http.StatusSeeOther, "/enrollments/e1?done=unsuccessful&c=PHL-VENI#done", nil, "HTTP 303: to /enrollments/e1?done=unsuccessful"},
		{true, http.StatusSeeOther, "/login", nil, "HTTP 303: to /login"},
		{true, http.StatusUnauthorized, "", summary, "HTTP 401: The password is not right, so nothing was signed."},
		{false, http.StatusTooManyRequests, "", []byte(`<main><h1>Too many</h1><p class="x">Too many changes from this network.</p></main>`), "HTTP 429: Too many changes from this network."},
	} {
		err := writeOutcome(tc.sign, tc.status, tc.location, tc.body)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%d %s: %v, want success", tc.status, tc.location, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%d %s: %v, want an error with %q", tc.status, tc.location, err, tc.want)
		}
	}
}

// The figure target 4 asks for takes the hash's median off each sign-off
// and nothing off observations.
func TestExclHash(t *testing.T) {
	m := &mixedResult{hashes: []time.Duration{20 * time.Millisecond, 30 * time.Millisecond, 40 * time.Millisecond}}
	m.obs.Latencies = []time.Duration{5 * time.Millisecond, 10 * time.Millisecond}
	m.signs.Latencies = []time.Duration{60 * time.Millisecond, 10 * time.Millisecond}
	if got := m.exclHash(100); got != 30*time.Millisecond {
		t.Errorf("max excluding the hash = %v, want 30ms (60 ms less the median 30 ms)", got)
	}
	if got := m.exclHash(50); got != 5*time.Millisecond {
		t.Errorf("median excluding the hash = %v, want 5ms (the sign-off of 10 ms counts as 0)", got)
	}
}

// A passkey run's tablets, against the real program on a small seeded
// organisation: each preceptor logs in with the password, registers the
// tablet's passkey, and every planned write is recorded, the sign-offs
// as signed with the passkey (as the server records them). The
// preceptors then have a second factor, so a later password run plans
// without them.
func TestTabletsSignWithTheirPasskeys(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			ctx := audit.WithActor(context.Background(), audit.System("bench test"))
			o := dbtest.Options(t, dialect)
			d, err := db.Open(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d.Close() })
			if _, err := d.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := scale.Generate(ctx, d, scale.Options{Sites: 1, MAs: 12, Preceptors: 4, Observations: 900, Credentials: 60, Seed: 3}); err != nil {
				t.Fatalf("generate: %v", err)
			}
			env := apptest.DBEnv(o)
			env["SKILLGATE_LOG_LEVEL"], env["SKILLGATE_SECOND_FACTOR_ROLES"], env["SKILLGATE_TRUSTED_PROXIES"] = "warn", "none", "127.0.0.1" // as scripts/bench.sh
			base := apptest.Start(t, env).Base
			b := &bench{base: base, passkeyOrigin: "http://localhost:8080"}
			cs, err := planMixed(ctx, d, 2, 8, time.Now(), accounts.MethodPasskey)
			if err != nil {
				t.Fatalf("plan: %v", err)
			}
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			if err := b.tablets(ctx, cs, accounts.MethodPasskey, tr); err != nil {
				t.Fatal(err)
			}
			acc := accounts.NewStore(d)
			svc := evidence.NewService(d, programs.NewStore(d))
			signs := 0
			for _, c := range cs {
				for _, w := range c.plan {
					if status, err := c.send(ctx, base, b.passkeyOrigin, w); err != nil {
						t.Fatalf("%s sends %+v: %d %v", c.email, w, status, err)
					}
					if !w.sign {
						continue
					}
					signs++
					rec, err := svc.Enrollment(ctx, w.enrollment)
					if err != nil {
						t.Fatal(err)
					}
					last := rec.SignOffs[len(rec.SignOffs)-1]
					if last.Competency != w.competency || last.AuthMethod != accounts.MethodPasskey {
						t.Errorf("%s signed off %s: the last sign-off recorded is %s by %q, want %[2]s by passkey", c.email, w.competency, last.Competency, last.AuthMethod)
					}
				}
				p, err := acc.ByEmail(ctx, c.email)
				if err != nil {
					t.Fatal(err)
				}
				if has, err := acc.HasPasskey(ctx, p.ID); err != nil || !has {
					t.Errorf("%s has no passkey after the run: %v", c.email, err)
				}
			}
			if signs == 0 {
				t.Fatal("no sign-off was planned: the test signed nothing")
			}
			// Their password alone no longer logs them in or signs for
			// them, so a password run plans with other preceptors.
			again, err := planMixed(ctx, d, 1, 1, time.Now(), accounts.MethodPassword)
			if err != nil {
				t.Fatalf("plan after: %v", err)
			}
			for _, c := range cs {
				if again[0].email == c.email {
					t.Errorf("a password run plans for %s, who now has a passkey", c.email)
				}
			}
		})
	}
}

func TestSignMethods(t *testing.T) {
	for in, want := range map[string]string{"passkey,password": "passkey password", " password ": "password", "passkey": "passkey"} {
		got, err := signMethods(in)
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("-sign-with %q: %q %v, want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "passkeys", "passkey,,password", "totp"} {
		if got, err := signMethods(in); err == nil {
			t.Errorf("-sign-with %q is taken as %q", in, got)
		}
	}
}

// The tablet's forms carry what the server's handlers read: an
// observation its day, variant and steps; a sign-off its kind and either
// the passkey's answer or the password, never both.
func TestFormOfEachWrite(t *testing.T) {
	obs := mixedWrite{enrollment: "e1", competency: "PHL-VENI", variant: "adult", day: "2026-12-07"}.form("tok", "")
	if obs.Get("performed_on") != "2026-12-07" || obs.Get("variant") != "adult" || obs.Get("all_met") != "1" || obs.Has("kind") || obs.Get("_csrf") != "tok" || obs.Get("key") == "" {
		t.Errorf("observation form: %v", obs)
	}
	sign := mixedWrite{enrollment: "e1", competency: "PHL-VENI", sign: true}
	if f := sign.form("tok", `{"id":"k"}`); f.Get("kind") != "initial" || f.Get("passkey") != `{"id":"k"}` || f.Has("password") {
		t.Errorf("passkey sign-off form: %v", f)
	}
	if f := sign.form("tok", ""); f.Get("kind") != "initial" || f.Get("password") != scale.Password || f.Has("passkey") {
		t.Errorf("password sign-off form: %v", f)
	}
}
