package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// from is a request context from a client at ip.
func from(ip string) context.Context {
	return audit.WithActor(context.Background(), audit.Actor{ID: "anonymous", IP: ip})
}

// answer is what a login attempt tells the caller: the error's text and,
// for a lock, whether it is the ceiling.
func answer(err error) string {
	var locked *accounts.LockedError
	if errors.As(err, &locked) {
		return fmt.Sprintf("locked(ceiling=%v): %s", locked.Ceiling, err)
	}
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// Issue 16 item 4: failures from one source hold back only that source
// for that email, the answers for a real account and for an email nobody
// has are the same at every step, and the person can still log in from
// elsewhere.
func TestLockoutIsPerSourceAndDoesNotRevealAccounts(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, clk := newStore(d)
		p := mustCreate(t, s, "preceptor@example.test", accounts.RoleApprentice)
		attacker := from("203.0.113.66")
		for i := 1; i <= accounts.ThrottleAfter+2; i++ {
			_, real := s.Authenticate(attacker, p.Email, "a wrong guess again")
			_, none := s.Authenticate(attacker, "nobody@example.test", "a wrong guess again")
			if answer(real) != answer(none) {
				t.Fatalf("failure %d: a real account answers %q, an unknown email %q", i, answer(real), answer(none))
			}
			var locked *accounts.LockedError
			if held := errors.As(real, &locked); held != (i >= accounts.ThrottleAfter) || (held && locked.Ceiling) {
				t.Fatalf("failure %d: %v", i, real)
			}
		}
		// The person, from the clinic, is not locked out by the stranger.
		if _, err := s.Authenticate(from("198.51.100.20"), p.Email, goodPassword); err != nil {
			t.Fatalf("the person from another source: %v", err)
		}
		// The stranger is still held back (the success was elsewhere)...
		if _, err := s.Authenticate(attacker, p.Email, goodPassword); !errors.As(err, new(*accounts.LockedError)) {
			t.Fatalf("the held source with the right password: %v", err)
		}
		// ...until the hold ends.
		clk.Advance(accounts.ThrottleFor + time.Second)
		if _, err := s.Authenticate(attacker, p.Email, goodPassword); err != nil {
			t.Fatalf("after the hold: %v", err)
		}
	})
}

// The ceiling: LockAfter consecutive failures from anywhere lock the email,
// for a real account and an unknown email alike; a password link still
// works and lifts the lock.
func TestLockoutCeilingIsTheSameForUnknownEmailsAndAResetLinkGetsThrough(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, _ := newStore(d)
		admin := mustCreate(t, s, "admin@example.test", accounts.RoleAdmin)
		p := mustCreate(t, s, "signer@example.test", accounts.RoleApprentice)
		var real, none error
		for i := 0; i < accounts.LockAfter; i++ {
			// A new source every few tries: no source is held back.
			src := from(fmt.Sprintf("203.0.113.%d", i/(accounts.ThrottleAfter-1)))
			_, real = s.Authenticate(src, p.Email, "a wrong guess again")
			_, none = s.Authenticate(src, "nobody@example.test", "a wrong guess again")
			if answer(real) != answer(none) {
				t.Fatalf("failure %d: a real account answers %q, an unknown email %q", i+1, answer(real), answer(none))
			}
		}
		var locked *accounts.LockedError
		if !errors.As(real, &locked) || !locked.Ceiling {
			t.Fatalf("failure %d: want the ceiling, got %v", accounts.LockAfter, real)
		}
		fresh := from("192.0.2.200")
		_, real = s.Authenticate(fresh, p.Email, goodPassword)
		_, none = s.Authenticate(fresh, "nobody@example.test", goodPassword)
		if !errors.As(real, &locked) || !locked.Ceiling || answer(real) != answer(none) {
			t.Fatalf("after the ceiling, from a new source: real %q, unknown %q", answer(real), answer(none))
		}
		code, _, err := s.StartReset(context.Background(), admin.ID, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		const newPassword = "a fresh passphrase after the lock"
		if _, err := s.CompleteReset(fresh, code, newPassword); err != nil {
			t.Fatalf("a password link for a locked account: %v", err)
		}
		if _, err := s.Authenticate(fresh, p.Email, newPassword); err != nil {
			t.Fatalf("login after the password link: %v", err)
		}
	})
}
