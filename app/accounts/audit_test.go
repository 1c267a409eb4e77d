package accounts_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// Every change to people, sites, passwords and tokens leaves one entry,
// attributed to the actor in the context, with no secret in it; a refused
// change leaves none.
func TestAccountChangesAreAudited(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, clk := newStore(d)
		admin := mustCreate(t, s, "admin@example.test", accounts.RoleAdmin)
		ctx := audit.WithActor(context.Background(), audit.Actor{ID: admin.ID, Via: "session", IP: "192.0.2.1", RequestID: "r-1"})

		site, err := s.CreateSite(ctx, "Westside")
		if err != nil {
			t.Fatal(err)
		}
		if e := audittest.Last(t, d, accounts.ActionSiteCreate); e.EntityID != site.ID || e.Actor != admin.ID || !strings.Contains(e.After, "Westside") {
			t.Errorf("site entry %+v", e)
		}
		p, err := s.Create(ctx, accounts.NewPerson{Email: "ma@example.test", Name: "Maya", Credential: "CCMA",
			Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: []string{site.ID}, Password: goodPassword})
		if err != nil {
			t.Fatal(err)
		}
		e := audittest.Last(t, d, accounts.ActionPersonCreate)
		after := audittest.Value(t, e.After)
		if e.EntityType != "person" || e.EntityID != p.ID || e.Actor != admin.ID || e.Via != "session" || e.IP != "192.0.2.1" || e.RequestID != "r-1" ||
			after["email"] != "ma@example.test" || after["password_set"] != true || e.Before != "" {
			t.Errorf("person entry %+v", e)
		}
		if strings.Contains(e.After, goodPassword) || strings.Contains(e.After, "argon2") {
			t.Errorf("password in the trail: %s", e.After)
		}
		// A refused change (duplicate email) leaves no entry.
		n := audittest.Total(t, d)
		if _, err := s.Create(ctx, accounts.NewPerson{Email: "ma@example.test", Name: "Again", Roles: []accounts.Role{accounts.RoleApprentice}}); !errors.Is(err, db.ErrConflict) {
			t.Fatalf("duplicate: %v", err)
		}
		if err := s.SetDisabled(ctx, "no-such-person", true); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("disable unknown: %v", err)
		}
		if got := audittest.Total(t, d); got != n {
			t.Fatalf("refused changes left %d entries", got-n)
		}

		steps := []struct {
			action string
			do     func() error
			check  func(e audit.Record) bool
		}{
			{accounts.ActionPersonDisable, func() error { return s.SetDisabled(ctx, p.ID, true) },
				func(e audit.Record) bool {
					return strings.Contains(e.Before, `"disabled_at":null`) && strings.Contains(e.After, "sessions_ended")
				}},
			{accounts.ActionPersonEnable, func() error { return s.SetDisabled(ctx, p.ID, false) },
				func(e audit.Record) bool { return strings.Contains(e.After, `"disabled_at":null`) }},
			{accounts.ActionPersonUnlock, func() error { return s.Unlock(ctx, p.ID) },
				func(e audit.Record) bool { return strings.Contains(e.After, `"failed_logins":0`) }},
			{accounts.ActionPasswordChange, func() error { return s.SetPassword(ctx, p.ID, "another long passphrase here") },
				func(e audit.Record) bool { return !strings.Contains(e.After, "another long") }},
		}
		for _, st := range steps {
			if err := st.do(); err != nil {
				t.Fatalf("%s: %v", st.action, err)
			}
			if e := audittest.Last(t, d, st.action); e.EntityID != p.ID || e.Actor != admin.ID || !st.check(e) {
				t.Errorf("%s entry %+v", st.action, e)
			}
		}
		// A password the policy refuses changes nothing and records nothing.
		n = audittest.Count(t, d, accounts.ActionPasswordChange)
		if err := s.SetPassword(ctx, p.ID, "short"); err == nil {
			t.Fatal("a short password was accepted")
		}
		if audittest.Count(t, d, accounts.ActionPasswordChange) != n {
			t.Fatal("a refused password change was recorded")
		}

		code, _, err := s.StartReset(ctx, admin.ID, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e := audittest.Last(t, d, accounts.ActionResetStart); e.EntityID != p.ID || e.Actor != admin.ID || strings.Contains(e.After, code) {
			t.Errorf("reset start entry %+v", e)
		}
		anon := audit.WithActor(context.Background(), audit.Actor{ID: "anonymous", IP: "198.51.100.7"})
		if _, err := s.CompleteReset(anon, code, "a brand new long passphrase"); err != nil {
			t.Fatal(err)
		}
		// The entry names who issued the link and that it was completed
		// through it, never "changed by the person" (who may not have seen it).
		if e := audittest.Last(t, d, accounts.ActionResetComplete); e.EntityID != p.ID || e.Actor != audit.AnonymousActor ||
			e.Via != "reset link issued by "+admin.ID || !strings.Contains(e.After, `"issued_by":"`+admin.ID+`"`) ||
			!strings.Contains(e.After, `"completed_through":"reset link"`) || e.IP != "198.51.100.7" || strings.Contains(e.After, code) {
			t.Errorf("reset complete entry %+v", e)
		}

		tok, secret, err := s.CreateToken(ctx, admin.ID, "ehr", 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if e := audittest.Last(t, d, accounts.ActionTokenCreate); e.EntityID != tok.ID || strings.Contains(e.After, secret) || strings.Contains(e.After, secret[4:12]) {
			t.Errorf("token create entry %+v", e)
		}
		// Token use: once per token per hour, attributed to its owner via it.
		for range 3 {
			if _, _, err := s.AuthenticateToken(anon, secret); err != nil {
				t.Fatal(err)
			}
		}
		if n := audittest.Count(t, d, accounts.ActionTokenUsed); n != 1 {
			t.Fatalf("3 uses within an hour gave %d token.used entries; want 1", n)
		}
		if e := audittest.Last(t, d, accounts.ActionTokenUsed); e.Actor != admin.ID || e.Via != "token:"+tok.ID || e.EntityID != tok.ID || e.IP != "198.51.100.7" {
			t.Errorf("token used entry %+v", e)
		}
		clk.Advance(accounts.TokenUseInterval + time.Minute)
		if _, _, err := s.AuthenticateToken(anon, secret); err != nil {
			t.Fatal(err)
		}
		if n := audittest.Count(t, d, accounts.ActionTokenUsed); n != 2 {
			t.Fatalf("a use an hour later: %d token.used entries; want 2", n)
		}
		if err := s.RevokeToken(ctx, admin.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		if e := audittest.Last(t, d, accounts.ActionTokenRevoke); e.EntityID != tok.ID {
			t.Errorf("token revoke entry %+v", e)
		}
		if err := s.RevokeToken(ctx, admin.ID, tok.ID); !errors.Is(err, db.ErrNotFound) || audittest.Count(t, d, accounts.ActionTokenRevoke) != 1 {
			t.Fatalf("second revoke: %v, %d entries", err, audittest.Count(t, d, accounts.ActionTokenRevoke))
		}
		audittest.Intact(t, d)
	})
}

// Logins, failed logins (with the email as typed, never the password) and
// logouts are recorded.
func TestLoginsAreAudited(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, _ := newStore(d)
		p := mustCreate(t, s, "nurse@example.test", accounts.RolePreceptor)
		ctx := audit.WithActor(context.Background(), audit.Actor{ID: "anonymous", IP: "203.0.113.9", RequestID: "r-9"})
		for _, c := range []struct{ email, pw, reason string }{
			{"Nobody@Example.test", "guess-one-two-three", "no account"},
			{"nurse@example.test", "wrong but long enough", "wrong password"},
		} {
			if _, err := s.Authenticate(ctx, c.email, c.pw); !errors.Is(err, accounts.ErrBadCredentials) {
				t.Fatalf("%s: %v", c.email, err)
			}
			e := audittest.Last(t, d, accounts.ActionLoginFailed)
			after := audittest.Value(t, e.After)
			if after["email"] != c.email || !strings.Contains(after["reason"].(string), c.reason) || strings.Contains(e.After, c.pw) ||
				e.Actor != "anonymous" || e.IP != "203.0.113.9" {
				t.Errorf("failed login entry %+v", e)
			}
		}
		if e := audittest.Last(t, d, accounts.ActionLoginFailed); e.EntityID != p.ID {
			t.Errorf("a failed login of a known account names it: %+v", e)
		}
		if _, err := s.Authenticate(ctx, "nurse@example.test", goodPassword); err != nil {
			t.Fatal(err)
		}
		secret, err := s.Login(ctx, p.ID, "203.0.113.9", "test-agent")
		if err != nil {
			t.Fatal(err)
		}
		if e := audittest.Last(t, d, accounts.ActionLogin); e.Actor != p.ID || e.EntityID != p.ID || strings.Contains(e.After, secret) || strings.Contains(e.After, accounts.HashSecret(secret)) {
			t.Errorf("login entry %+v", e)
		}
		if err := s.Logout(ctx, secret); err != nil {
			t.Fatal(err)
		}
		if err := s.Logout(ctx, secret); err != nil { // an unknown cookie: nothing to record
			t.Fatal(err)
		}
		if n := audittest.Count(t, d, accounts.ActionLogout); n != 1 {
			t.Fatalf("%d logout entries; want 1", n)
		}
		if e := audittest.Last(t, d, accounts.ActionLogout); e.Actor != p.ID || e.EntityID != p.ID {
			t.Errorf("logout entry %+v", e)
		}
		audittest.Intact(t, d)
	})
}
