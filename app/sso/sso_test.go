package sso_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/auth/password"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/sso"
	"github.com/skillgate/skillgate/app/sso/groupmap"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func newService(t *testing.T, d *db.DB) (*sso.Service, *clock, string, string) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)}
	a := accounts.NewStore(d)
	a.Now, a.Hasher, a.Audit = clk.Now, password.Hasher{Params: password.TestParams}, &audit.Log{Now: clk.Now}
	ctx := context.Background()
	river, err := a.CreateSite(ctx, "Riverside Family Medicine")
	if err != nil {
		t.Fatal(err)
	}
	east, err := a.CreateSite(ctx, "Eastside Clinic")
	if err != nil {
		t.Fatal(err)
	}
	m := groupmap.MustParse("sg-rn=preceptor@Riverside Family Medicine,sg-hr=hr@*")
	return &sso.Service{DB: d, Accounts: a, Audit: a.Audit, Now: clk.Now, Mapping: m}, clk, river.ID, east.ID
}

// Who an answer from the provider is: created just in time from the
// mapping, refused with nothing written when unmapped, linked to an
// existing person only by a verified (or trusted) email, the same person
// at the next sign-in, following the provider when it is the source of
// truth; every link and unlink audited.
func TestSignIn(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, _, river, east := newService(t, d)
		ctx := audit.WithActor(context.Background(), audit.Actor{ID: audit.SystemActor, Via: "sso:oidc"})
		const iss = "https://idp.example.test"

		// Unmapped: refused, nothing created.
		before := audittest.Total(t, d)
		_, err := s.SignIn(ctx, sso.Claims{Issuer: iss, Subject: "s-x", Email: "x@clinic.test", EmailVerified: true, Groups: []string{"staff"}})
		if !errors.Is(err, sso.ErrNotProvisioned) {
			t.Fatalf("unmapped: %v", err)
		}
		if _, err := s.Accounts.ByEmail(ctx, "x@clinic.test"); !errors.Is(err, db.ErrNotFound) || audittest.Total(t, d) != before {
			t.Fatalf("an unmapped sign-in wrote something: %v", err)
		}

		// A mapping that names a site Skillgate lacks creates nobody.
		wrong := *s
		wrong.Mapping = groupmap.MustParse("sg-x=apprentice@Nowhere Clinic")
		if _, err := wrong.SignIn(ctx, sso.Claims{Issuer: iss, Subject: "s-y", Email: "y@clinic.test", Groups: []string{"SG-X"}}); !errors.Is(err, sso.ErrUnknownSite) {
			t.Fatalf("unknown site: %v", err)
		}
		if audittest.Total(t, d) != before {
			t.Fatal("an unknown site wrote something")
		}

		// JIT: roles and sites from the mapping (a site by name, * every site).
		rn, err := s.SignIn(ctx, sso.Claims{Issuer: iss, Subject: "s-rn", Email: "RN@clinic.test", Name: "Rita Nurse", Groups: []string{"sg-rn"}})
		if err != nil {
			t.Fatal(err)
		}
		if rn.Email != "rn@clinic.test" || rn.Name != "Rita Nurse" || !slices.Equal(rn.Roles, []accounts.Role{accounts.RolePreceptor}) || !slices.Equal(rn.SiteIDs, []string{river}) {
			t.Fatalf("JIT person %+v", rn)
		}
		if has, _ := s.Accounts.HasPassword(ctx, rn.ID); has {
			t.Fatal("a JIT person has a password")
		}
		hr, err := s.SignIn(ctx, sso.Claims{Issuer: iss, Subject: "s-hr", Email: "hr@clinic.test", Groups: []string{"sg-hr", "sg-rn"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Sorted(slices.Values(hr.SiteIDs)); !slices.Equal(got, slices.Sorted(slices.Values([]string{river, east}))) || !hr.Has(accounts.RoleHR) || !hr.Has(accounts.RolePreceptor) {
			t.Fatalf("hr@* person %+v", hr)
		}
		if audittest.Count(t, d, sso.ActionLink) != 2 {
			t.Fatal("links not audited")
		}

		// The next sign-in is the same person, whatever the email now says.
		again, err := s.SignIn(ctx, sso.Claims{Issuer: iss, Subject: "s-rn", Email: "other@clinic.test", Groups: nil})
		if err != nil || again.ID != rn.ID {
			t.Fatalf("second sign-in: %v %v", again, err)
		}

		// An existing person: linked only when the email is verified.
		pw, err := s.Accounts.Create(ctx, accounts.NewPerson{Email: "pat@clinic.test", Name: "Pat", Roles: []accounts.Role{accounts.RoleApprentice}})
		if err != nil {
			t.Fatal(err)
		}
		n := audittest.Total(t, d)
		if _, err := s.SignIn(ctx, sso.Claims{Issuer: iss, Subject: "s-pat", Email: "pat@clinic.test", Groups: []string{"sg-hr"}}); !errors.Is(err, sso.ErrEmailNotVerified) {
			t.Fatalf("unverified email: %v", err)
		}
		if audittest.Total(t, d) != n {
			t.Fatal("an unverified email wrote something")
		}
		trusting := *s
		trusting.TrustEmail = true
		got, err := trusting.SignIn(ctx, sso.Claims{Issuer: iss, Subject: "s-pat", Email: "pat@clinic.test"})
		if err != nil || got.ID != pw.ID {
			t.Fatalf("trusted email: %v %v", got, err)
		}
		if v := audittest.Value(t, string(audittest.Last(t, d, sso.ActionLink).After)); v["how"] != "email trusted (SKILLGATE_SSO_TRUST_EMAIL)" || v["subject"] != "s-pat" {
			t.Fatalf("link entry %v", v)
		}
		// Another subject at the same provider cannot take the linked person.
		if _, err := s.SignIn(ctx, sso.Claims{Issuer: iss, Subject: "s-pat-2", Email: "pat@clinic.test", EmailVerified: true}); !errors.Is(err, sso.ErrLinkedElsewhere) {
			t.Fatalf("second subject: %v", err)
		}

		// Unlink (audited); the verified email links afresh.
		if err := s.Unlink(ctx, pw.ID, iss); err != nil {
			t.Fatal(err)
		}
		if audittest.Count(t, d, sso.ActionUnlink) != 1 {
			t.Fatal("unlink not audited")
		}
		if got, err := s.SignIn(ctx, sso.Claims{Issuer: iss, Subject: "s-pat-2", Email: "pat@clinic.test", EmailVerified: true}); err != nil || got.ID != pw.ID {
			t.Fatalf("verified email: %v %v", got, err)
		}

		// The provider as the source of truth: roles and sites follow.
		if err := s.SaveSettings(ctx, s.Mapping, true, "admin"); err != nil {
			t.Fatal(err)
		}
		got, err = s.SignIn(ctx, sso.Claims{Issuer: iss, Subject: "s-pat-2", Name: "Pat Lee", Groups: []string{"sg-rn"}})
		if err != nil || got.Name != "Pat Lee" || !slices.Equal(got.Roles, []accounts.Role{accounts.RolePreceptor}) || !slices.Equal(got.SiteIDs, []string{river}) {
			t.Fatalf("followed: %+v %v", got, err)
		}
		if audittest.Count(t, d, accounts.ActionPersonSync) != 1 || audittest.Count(t, d, sso.ActionSettings) != 1 {
			t.Fatal("sync or settings not audited")
		}
		// Groups that give nothing any more: refused, roles left alone.
		if _, err := s.SignIn(ctx, sso.Claims{Issuer: iss, Subject: "s-pat-2", Groups: []string{"staff"}}); !errors.Is(err, sso.ErrNotProvisioned) {
			t.Fatalf("lost groups: %v", err)
		}
		audittest.Intact(t, d)
	})
}

// A signature's re-authentication: the linked subject, at or after the
// signing began; taking a flow twice gives it once.
func TestStepUpAndFlows(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, clk, _, _ := newService(t, d)
		ctx := audit.WithActor(context.Background(), audit.Actor{ID: audit.SystemActor, Via: "sso:oidc"})
		const iss = "https://idp.example.test"
		rn, err := s.SignIn(ctx, sso.Claims{Issuer: iss, Subject: "s-rn", Email: "rn@clinic.test", Groups: []string{"sg-rn"}})
		if err != nil {
			t.Fatal(err)
		}
		state, f, err := s.StartFlow(ctx, sso.Flow{Purpose: sso.PurposeSign, Verifier: "v", SessionHash: "sess", UserID: rn.ID, Payload: []byte(`{"x":1}`)})
		if err != nil || f.Nonce == "" || !f.StartedAt.Equal(clk.t) {
			t.Fatalf("start: %+v %v", f, err)
		}
		started := clk.t.Add(700 * time.Millisecond) // auth_time has whole seconds
		for _, tc := range []struct {
			c    sso.Claims
			want error
		}{
			{sso.Claims{Issuer: iss, Subject: "s-rn", AuthTime: started.Truncate(time.Second)}, nil},
			{sso.Claims{Issuer: iss, Subject: "s-rn", AuthTime: started.Add(-time.Second)}, sso.ErrStaleAuth},
			{sso.Claims{Issuer: iss, Subject: "s-rn"}, sso.ErrStaleAuth},
			{sso.Claims{Issuer: iss, Subject: "s-other", AuthTime: started.Add(time.Minute)}, sso.ErrOtherSubject},
			{sso.Claims{Issuer: "https://elsewhere.test", Subject: "s-rn", AuthTime: started.Add(time.Minute)}, sso.ErrNotLinked},
		} {
			if err := s.CheckStepUp(ctx, rn.ID, tc.c, started); !errors.Is(err, tc.want) && err != tc.want {
				t.Errorf("%+v: %v, want %v", tc.c, err, tc.want)
			}
		}
		got, err := s.TakeFlow(ctx, state)
		if err != nil || got.UserID != rn.ID || got.SessionHash != "sess" || string(got.Payload) != `{"x":1}` || got.Nonce != f.Nonce || got.Verifier != "v" {
			t.Fatalf("take: %+v %v", got, err)
		}
		if _, err := s.TakeFlow(ctx, state); !errors.Is(err, sso.ErrFlowGone) {
			t.Fatalf("second take: %v", err)
		}
		state, _, _ = s.StartFlow(ctx, sso.Flow{Purpose: sso.PurposeLogin})
		clk.t = clk.t.Add(sso.FlowLifetime)
		if _, err := s.TakeFlow(ctx, state); !errors.Is(err, sso.ErrFlowGone) {
			t.Fatalf("expired take: %v", err)
		}
	})
}
