package accounts_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/auth/password"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/errkind"
)

const goodPassword = "correct horse battery staple"

// clock is a settable time source shared by a test and its store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newStore(d *db.DB) (*accounts.Store, *clock) {
	c := &clock{t: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)}
	s := accounts.NewStore(d)
	s.Now = c.Now
	s.Hasher = password.Hasher{Params: password.TestParams}
	return s, c
}

func mustCreate(t *testing.T, s *accounts.Store, email string, roles ...accounts.Role) *accounts.Person {
	t.Helper()
	p, err := s.Create(context.Background(), accounts.NewPerson{Email: email, Name: "Test " + email, Roles: roles, Password: goodPassword})
	if err != nil {
		t.Fatalf("create %s: %v", email, err)
	}
	return p
}

func TestCreatePerson(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, _ := newStore(d)
		ctx := context.Background()
		site, err := s.CreateSite(ctx, "Eastside Clinic")
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.Create(ctx, accounts.NewPerson{Email: " Ana@Example.TEST ", Name: "Ana Díaz", EmployeeID: "E-100",
			Credential: "rn", Roles: []accounts.Role{accounts.RolePreceptor, accounts.RoleApprentice}, SiteIDs: []string{site.ID}, Password: goodPassword})
		if err != nil {
			t.Fatal(err)
		}
		if p.Email != "ana@example.test" || p.Credential != "RN" || !p.Has(accounts.RolePreceptor) || len(p.SiteIDs) != 1 || p.EmployeeID != "E-100" {
			t.Fatalf("stored person = %+v", p)
		}
		if _, err := s.Create(ctx, accounts.NewPerson{Email: "ANA@example.test", Name: "Other", Roles: []accounts.Role{accounts.RoleHR}}); !errors.Is(err, db.ErrConflict) {
			t.Fatalf("duplicate email: got %v, want ErrConflict", err)
		}
		if _, err := s.Create(ctx, accounts.NewPerson{Email: "b@example.test", Name: "B", Roles: []accounts.Role{accounts.RoleHR}, Password: "short"}); !errors.Is(err, password.ErrTooShort) {
			t.Fatalf("short password: got %v", err)
		}
		if n, _ := s.Count(ctx); n != 1 {
			t.Fatalf("refused creations left %d people, want 1", n)
		}
		list, total, err := s.List(ctx, accounts.ListFilter{Query: "díaz", Role: accounts.RolePreceptor, SiteID: site.ID})
		if err != nil || total != 1 || len(list) != 1 || list[0].ID != p.ID {
			t.Fatalf("list = %v, %d, %v", list, total, err)
		}
	})
}

// ListFilter.SiteIDs scopes a list to the sites a reader may see: people
// of any listed site, nobody for an empty list.
func TestListScopedToSites(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, _ := newStore(d)
		ctx := context.Background()
		a, err := s.CreateSite(ctx, "A clinic")
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.CreateSite(ctx, "B clinic")
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.CreateSite(ctx, "C clinic")
		if err != nil {
			t.Fatal(err)
		}
		mk := func(email string, sites ...string) *accounts.Person {
			p, err := s.Create(ctx, accounts.NewPerson{Email: email, Name: email, Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: sites})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		inA, inB, inAB := mk("a@example.test", a.ID), mk("b@example.test", b.ID), mk("ab@example.test", a.ID, b.ID)
		mk("c@example.test", c.ID)
		names := func(f accounts.ListFilter) []string {
			list, total, err := s.List(ctx, f)
			if err != nil || total != len(list) {
				t.Fatalf("list %+v: %d of %d, %v", f, len(list), total, err)
			}
			var out []string
			for _, p := range list {
				out = append(out, p.ID)
			}
			return out
		}
		if got := names(accounts.ListFilter{SiteIDs: []string{a.ID, b.ID}}); len(got) != 3 || !slices.Contains(got, inA.ID) || !slices.Contains(got, inB.ID) || !slices.Contains(got, inAB.ID) {
			t.Fatalf("sites A and B: %v", got)
		}
		if got := names(accounts.ListFilter{SiteIDs: []string{}}); len(got) != 0 {
			t.Fatalf("no sites listed people: %v", got)
		}
		if got := names(accounts.ListFilter{SiteIDs: []string{a.ID}, SiteID: b.ID}); len(got) != 1 || got[0] != inAB.ID {
			t.Fatalf("site B within scope A: %v", got)
		}
	})
}

func TestLoginSuccessFailureAndLockout(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, clk := newStore(d)
		ctx := context.Background()
		p := mustCreate(t, s, "mo@example.test", accounts.RoleApprentice)

		if got, err := s.Authenticate(ctx, "MO@example.test", goodPassword); err != nil || got.ID != p.ID {
			t.Fatalf("good login: %v", err)
		}
		if _, err := s.Authenticate(ctx, "nobody@example.test", goodPassword); !errors.Is(err, accounts.ErrBadCredentials) {
			t.Fatalf("unknown email: %v", err)
		}
		for i := 1; i < accounts.ThrottleAfter; i++ {
			if _, err := s.Authenticate(ctx, p.Email, "wrong password number one"); !errors.Is(err, accounts.ErrBadCredentials) {
				t.Fatalf("failure %d: %v", i, err)
			}
		}
		var locked *accounts.LockedError
		if _, err := s.Authenticate(ctx, p.Email, "wrong password number one"); !errors.As(err, &locked) {
			t.Fatalf("failure %d: want a lock, got %v", accounts.ThrottleAfter, err)
		}
		// While locked even the right password is refused.
		if _, err := s.Authenticate(ctx, p.Email, goodPassword); !errors.As(err, &locked) {
			t.Fatalf("right password while locked: %v", err)
		}
		clk.Advance(accounts.ThrottleFor + time.Second)
		if _, err := s.Authenticate(ctx, p.Email, goodPassword); err != nil {
			t.Fatalf("after the lock passed: %v", err)
		}
		got, _ := s.ByID(ctx, p.ID)
		if got.FailedLogins != 0 || got.LockedUntil != nil {
			t.Fatalf("success did not clear the failures: %+v", got)
		}
	})
}

func TestHundredFailuresLockUntilAdminUnlocks(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, clk := newStore(d)
		ctx := context.Background()
		p := mustCreate(t, s, "lock@example.test", accounts.RoleApprentice)
		var locked *accounts.LockedError
		for i := 1; i <= accounts.LockAfter; i++ {
			clk.Advance(accounts.ThrottleFor + time.Second) // wait out each short lock
			_, err := s.Authenticate(ctx, p.Email, "not the password at all")
			if i == accounts.LockAfter && (!errors.As(err, &locked) || locked.Until.Sub(clk.Now()) != accounts.LockFor) {
				t.Fatalf("failure %d: want a %v lock, got %v", i, accounts.LockFor, err)
			}
		}
		clk.Advance(time.Hour)
		if _, err := s.Authenticate(ctx, p.Email, goodPassword); !errors.As(err, &locked) {
			t.Fatalf("an hour into the day-long lock: %v", err)
		}
		if err := s.Unlock(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, p.Email, goodPassword); err != nil {
			t.Fatalf("after admin unlock: %v", err)
		}
	})
}

func TestSessionLimitsLogoutAndDisable(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, clk := newStore(d)
		ctx := context.Background()
		pol := accounts.SessionPolicy{Idle: 30 * time.Minute, Absolute: 12 * time.Hour}
		p := mustCreate(t, s, "sam@example.test", accounts.RoleApprentice)

		// Idle limit.
		c1, _ := s.StartSession(ctx, p.ID, "127.0.0.1", "test")
		clk.Advance(29 * time.Minute)
		if _, _, err := s.ResumeSession(ctx, c1, pol); err != nil {
			t.Fatalf("29 min idle: %v", err)
		}
		clk.Advance(31 * time.Minute)
		if _, _, err := s.ResumeSession(ctx, c1, pol); !errors.Is(err, accounts.ErrSessionExpired) {
			t.Fatalf("31 min idle: %v", err)
		}
		if _, _, err := s.ResumeSession(ctx, c1, pol); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("an expired session must be gone: %v", err)
		}

		// Absolute limit, even when active every 20 minutes.
		c2, _ := s.StartSession(ctx, p.ID, "127.0.0.1", "test")
		for elapsed := time.Duration(0); elapsed < 12*time.Hour-20*time.Minute; elapsed += 20 * time.Minute {
			clk.Advance(20 * time.Minute)
			if _, _, err := s.ResumeSession(ctx, c2, pol); err != nil {
				t.Fatalf("active session at %v: %v", elapsed, err)
			}
		}
		clk.Advance(21 * time.Minute)
		if _, _, err := s.ResumeSession(ctx, c2, pol); !errors.Is(err, accounts.ErrSessionExpired) {
			t.Fatalf("past 12 h: %v", err)
		}

		// Logout.
		c3, _ := s.StartSession(ctx, p.ID, "", "")
		if err := s.EndSession(ctx, c3); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ResumeSession(ctx, c3, pol); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("after logout: %v", err)
		}

		// Disabling ends every session and revokes tokens.
		c4, _ := s.StartSession(ctx, p.ID, "", "")
		c5, _ := s.StartSession(ctx, p.ID, "", "")
		_, tok, err := s.CreateToken(ctx, p.ID, "ehr", 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetDisabled(ctx, p.ID, true); err != nil {
			t.Fatal(err)
		}
		for _, c := range []string{c4, c5} {
			if _, _, err := s.ResumeSession(ctx, c, pol); !errors.Is(err, db.ErrNotFound) {
				t.Fatalf("session of a disabled account: %v", err)
			}
		}
		if n, _ := s.CountSessions(ctx, p.ID); n != 0 {
			t.Fatalf("%d sessions left after disabling", n)
		}
		if _, _, err := s.AuthenticateToken(ctx, tok); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("token of a disabled account: %v", err)
		}
		if _, err := s.Authenticate(ctx, p.Email, goodPassword); !errors.Is(err, accounts.ErrAccountDisabled) {
			t.Fatalf("login to a disabled account: %v", err)
		}
	})
}

// TestAuthenticateTokenWithSubject: the token, its owner and the person an
// API call is about come back from one statement; a bad token gives
// nothing at all, not even the subject.
func TestAuthenticateTokenWithSubject(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, _ := newStore(d)
		ctx := context.Background()
		owner := mustCreate(t, s, "ehr@example.test", accounts.RoleHR)
		subject := mustCreate(t, s, "ma@example.test", accounts.RoleApprentice)
		tok, secret, err := s.CreateToken(ctx, owner.ID, "EHR integration", 48*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		got, who, about, err := s.AuthenticateTokenWith(ctx, secret, subject.ID)
		if err != nil || got.ID != tok.ID || who.ID != owner.ID || about == nil {
			t.Fatalf("with a subject: %v %v %v %v", got, who, about, err)
		}
		want, err := s.ByID(ctx, subject.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(about, want) {
			t.Fatalf("subject read with the token:\n%+v\nread alone:\n%+v", about, want)
		}
		if !reflect.DeepEqual(who.Roles, []accounts.Role{accounts.RoleHR}) || about.Email != "ma@example.test" {
			t.Fatalf("owner and subject mixed up: %+v / %+v", who, about)
		}
		if _, who, about, err := s.AuthenticateTokenWith(ctx, secret, owner.ID); err != nil || who.ID != owner.ID || about == nil || about.ID != owner.ID {
			t.Fatalf("about the owner: %v %v %v", who, about, err)
		}
		for _, id := range []string{"", "no-such-person"} {
			if _, who, about, err := s.AuthenticateTokenWith(ctx, secret, id); err != nil || who.ID != owner.ID || about != nil {
				t.Fatalf("subject %q: %v %v %v", id, who, about, err)
			}
		}
		if _, who, about, err := s.AuthenticateTokenWith(ctx, secret+"x", subject.ID); !errors.Is(err, db.ErrNotFound) || who != nil || about != nil {
			t.Fatalf("altered token with a subject: %v %v %v", who, about, err)
		}
		if err := s.RevokeToken(ctx, owner.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, who, about, err := s.AuthenticateTokenWith(ctx, secret, subject.ID); !errors.Is(err, db.ErrNotFound) || who != nil || about != nil {
			t.Fatalf("revoked token with a subject: %v %v %v", who, about, err)
		}
	})
}

func TestAPITokens(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, clk := newStore(d)
		ctx := context.Background()
		p := mustCreate(t, s, "tok@example.test", accounts.RoleHR)
		other := mustCreate(t, s, "other@example.test", accounts.RoleHR)
		tok, secret, err := s.CreateToken(ctx, p.ID, "EHR integration", 48*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if got, who, err := s.AuthenticateToken(ctx, secret); err != nil || got.ID != tok.ID || who.ID != p.ID {
			t.Fatalf("authenticate: %v", err)
		}
		if _, _, err := s.AuthenticateToken(ctx, secret+"x"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("altered token: %v", err)
		}
		if err := s.RevokeToken(ctx, other.ID, tok.ID); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("someone else's token revoked: %v", err)
		}
		_, secret2, _ := s.CreateToken(ctx, p.ID, "short-lived", 24*time.Hour)
		if err := s.RevokeToken(ctx, p.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.AuthenticateToken(ctx, secret); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("revoked token: %v", err)
		}
		clk.Advance(25 * time.Hour)
		if _, _, err := s.AuthenticateToken(ctx, secret2); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("expired token: %v", err)
		}
		if _, _, err := s.CreateToken(ctx, p.ID, "forever", 10*365*24*time.Hour); err == nil {
			t.Fatal("a ten-year token was issued")
		}
	})
}

func TestPasswordReset(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, clk := newStore(d)
		ctx := context.Background()
		admin := mustCreate(t, s, "admin@example.test", accounts.RoleAdmin)
		p := mustCreate(t, s, "forgot@example.test", accounts.RoleApprentice)
		sess, _ := s.StartSession(ctx, p.ID, "", "")

		first, _, err := s.StartReset(ctx, admin.ID, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		code, _, _ := s.StartReset(ctx, admin.ID, p.ID)
		if _, err := s.CompleteReset(ctx, first, "a brand new long passphrase"); !errors.Is(err, accounts.ErrResetInvalid) {
			t.Fatalf("a superseded code worked: %v", err)
		}
		if _, err := s.CompleteReset(ctx, code, "tooshort"); !errors.Is(err, password.ErrTooShort) {
			t.Fatalf("weak password accepted: %v", err)
		}
		if _, err := s.CompleteReset(ctx, code, "a brand new long passphrase"); err != nil {
			t.Fatalf("reset after a refused password: %v", err)
		}
		if _, err := s.CompleteReset(ctx, code, "another brand new passphrase"); !errors.Is(err, accounts.ErrResetInvalid) {
			t.Fatalf("code used twice: %v", err)
		}
		if _, _, err := s.ResumeSession(ctx, sess, accounts.SessionPolicy{Idle: time.Hour, Absolute: time.Hour}); err == nil {
			t.Fatal("old session survived a password reset")
		}
		if _, err := s.Authenticate(ctx, p.Email, "a brand new long passphrase"); err != nil {
			t.Fatalf("login with new password: %v", err)
		}
		late, _, _ := s.StartReset(ctx, admin.ID, p.ID)
		clk.Advance(accounts.ResetLifetime)
		if _, err := s.CompleteReset(ctx, late, "yet another long passphrase"); !errors.Is(err, accounts.ErrResetInvalid) {
			t.Fatalf("expired code worked: %v", err)
		}
	})
}

// A malformed email given to UpdateIdentity is the user's mistake, named
// on the email field, and changes nothing.
func TestUpdateIdentityRefusesAMalformedEmail(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, _ := newStore(d)
		ctx := context.Background()
		p := mustCreate(t, s, "ana@example.test", accounts.RoleHR)
		err := s.UpdateIdentity(ctx, p.ID, "ana.example.test", "Ana Díaz")
		var kind *errkind.Error
		if !errors.As(err, &kind) || kind.Kind != errkind.Malformed || kind.Fields["email"] == "" {
			t.Fatalf("UpdateIdentity with a malformed email: %v, want a Malformed error on the email field", err)
		}
		if got, err := s.ByID(ctx, p.ID); err != nil || got.Email != "ana@example.test" || got.Name != p.Name {
			t.Fatalf("after the refused change: %+v, %v", got, err)
		}
	})
}
