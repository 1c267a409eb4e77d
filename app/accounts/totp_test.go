package accounts_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pquerna/otp"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// TestTOTPCodeRFC6238Vectors: the codes Skillgate computes are RFC 6238's
// own test vectors (appendix B), for its three algorithms and 8 digits.
func TestTOTPCodeRFC6238Vectors(t *testing.T) {
	// The RFC's seeds are ASCII "1234567890" repeated to 20, 32 and 64
	// bytes; in base32:
	seeds := map[otp.Algorithm]string{
		otp.AlgorithmSHA1:   "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
		otp.AlgorithmSHA256: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA",
		otp.AlgorithmSHA512: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA",
	}
	vectors := []struct {
		unix               int64
		sha1, sha256, s512 string
	}{
		{59, "94287082", "46119246", "90693936"},
		{1111111109, "07081804", "68084774", "25091201"},
		{1111111111, "14050471", "67062674", "99943326"},
		{1234567890, "89005924", "91819424", "93441116"},
		{2000000000, "69279037", "90698825", "38618901"},
		{20000000000, "65353130", "77737706", "47863826"},
	}
	for _, v := range vectors {
		for alg, want := range map[otp.Algorithm]string{otp.AlgorithmSHA1: v.sha1, otp.AlgorithmSHA256: v.sha256, otp.AlgorithmSHA512: v.s512} {
			got, err := accounts.TOTPCode(seeds[alg], time.Unix(v.unix, 0), otp.DigitsEight, alg)
			if err != nil || got != want {
				t.Errorf("T=%d %v: %q %v, want %q", v.unix, alg, got, err, want)
			}
		}
	}
}

// enrol starts and confirms an authenticator app for p at the store's
// clock, and returns its secret and recovery codes.
func enrol(t *testing.T, s *accounts.Store, p *accounts.Person) (string, []string) {
	t.Helper()
	ctx := context.Background()
	key, err := s.StartTOTP(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ConfirmTOTP(ctx, p, "000000x"); !errors.Is(err, accounts.ErrBadCode) {
		t.Fatalf("a malformed first code: %v", err)
	}
	code := codeAt(t, key.Secret(), s.Now())
	recovery, waiting, err := s.ConfirmTOTP(ctx, p, code)
	if err != nil || waiting {
		t.Fatalf("confirm: %v (waiting %v)", err, waiting)
	}
	if len(recovery) != accounts.RecoveryCodes {
		t.Fatalf("%d recovery codes", len(recovery))
	}
	return key.Secret(), recovery
}

func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := accounts.TOTPCode(secret, at, accounts.TOTPDigits, otp.AlgorithmSHA1)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSecondFactorCodes: a code works once (the same code, or an older
// one, is refused within its window), one step of skew either way is
// accepted and two are refused, recovery codes work once each, and wrong
// codes count towards the login lockout like wrong passwords.
func TestSecondFactorCodes(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, clk := newStore(d)
		ctx := context.Background()
		p := mustCreate(t, s, "nurse@example.test", accounts.RolePreceptor)
		if has, err := s.HasSecondFactor(ctx, p.ID); err != nil || has {
			t.Fatalf("before enrolment: %v %v", has, err)
		}
		secret, recovery := enrol(t, s, p)
		if has, _ := s.HasSecondFactor(ctx, p.ID); !has {
			t.Fatal("no second factor after enrolment")
		}
		if _, err := s.StartTOTP(ctx, p); !errors.Is(err, accounts.ErrFactorExists) {
			t.Errorf("a second enrolment over the first: %v", err)
		}
		// The confirming code was this step's: it is spent.
		if _, err := s.CheckSecondFactor(ctx, p, codeAt(t, secret, clk.Now())); !errors.Is(err, accounts.ErrBadCode) {
			t.Errorf("the enrolment's code used again: %v", err)
		}
		clk.Advance(accounts.TOTPPeriod * time.Second)
		now := clk.Now()
		if m, err := s.CheckSecondFactor(ctx, p, codeAt(t, secret, now.Add(accounts.TOTPPeriod*time.Second))); err != nil || m != "totp" {
			t.Errorf("a code one step ahead: %q %v", m, err)
		}
		// Accepting the next step's code spent this step's too.
		if _, err := s.CheckSecondFactor(ctx, p, codeAt(t, secret, now)); !errors.Is(err, accounts.ErrBadCode) {
			t.Errorf("an older code after a newer one: %v", err)
		}
		clk.Advance(5 * accounts.TOTPPeriod * time.Second)
		now = clk.Now()
		if m, err := s.CheckSecondFactor(ctx, p, codeAt(t, secret, now.Add(-accounts.TOTPPeriod*time.Second))); err != nil || m != "totp" {
			t.Errorf("a code one step behind: %q %v", m, err)
		}
		clk.Advance(5 * accounts.TOTPPeriod * time.Second)
		now = clk.Now()
		for _, off := range []time.Duration{-2, 2} {
			if _, err := s.CheckSecondFactor(ctx, p, codeAt(t, secret, now.Add(off*accounts.TOTPPeriod*time.Second))); !errors.Is(err, accounts.ErrBadCode) {
				t.Errorf("a code %d steps off: %v", off, err)
			}
		}
		if m, err := s.CheckSecondFactor(ctx, p, recovery[0]); err != nil || m != "recovery code" {
			t.Errorf("a recovery code: %q %v", m, err)
		}
		if _, err := s.CheckSecondFactor(ctx, p, recovery[0]); !errors.Is(err, accounts.ErrBadCode) {
			t.Errorf("a recovery code used twice: %v", err)
		}
		if f, _ := s.Factor(ctx, p.ID); f.RecoveryLeft != accounts.RecoveryCodes-1 {
			t.Errorf("%d recovery codes left", f.RecoveryLeft)
		}
		// Wrong codes count like wrong passwords: the refused codes above
		// and these, with a right password before each (which does not
		// clear the count), reach the ThrottleAfter-th failure from this
		// source, which holds it back; the password alone is then held
		// back too.
		var locked *accounts.LockedError
		var err error
		for i := 0; i < accounts.ThrottleAfter && !errors.As(err, &locked); i++ {
			if _, err = s.Authenticate(ctx, p.Email, goodPassword); err != nil {
				break
			}
			_, err = s.CheckSecondFactor(ctx, p, "123456")
		}
		if !errors.As(err, &locked) {
			t.Fatalf("after %d wrong codes: %v, want a lockout", accounts.ThrottleAfter, err)
		}
		if _, err := s.Authenticate(ctx, p.Email, goodPassword); !errors.As(err, &locked) {
			t.Errorf("the right password after too many wrong codes: %v", err)
		}
		clk.Advance(accounts.TOTPPeriod * time.Second)
		if _, err := s.CheckSecondFactor(ctx, p, codeAt(t, secret, clk.Now())); !errors.As(err, &locked) {
			t.Errorf("a right code while held back: %v", err)
		}
	})
}

// TestFirstEnrolmentAfterSomeoneElsesResetNeedsASecondPerson: an
// administrator who issued a password link, used it and enrolled an app
// does not hold an active factor: it waits until someone other than the
// issuer approves it, or the person types a code sent to their email.
// Removing a factor takes two people, neither of them the person.
func TestFirstEnrolmentAfterSomeoneElsesResetNeedsASecondPerson(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, clk := newStore(d)
		ctx := context.Background()
		admin := mustCreate(t, s, "admin@example.test", accounts.RoleAdmin)
		hr := mustCreate(t, s, "hr@example.test", accounts.RoleHR)
		p := mustCreate(t, s, "nurse@example.test", accounts.RolePreceptor)
		link, _, err := s.StartReset(ctx, admin.ID, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CompleteReset(ctx, link, "the admin chose this long phrase"); err != nil {
			t.Fatal(err)
		}
		key, err := s.StartTOTP(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		_, waiting, err := s.ConfirmTOTP(ctx, p, codeAt(t, key.Secret(), clk.Now()))
		if err != nil || !waiting {
			t.Fatalf("confirm after someone else's reset: waiting %v, %v", waiting, err)
		}
		if has, _ := s.HasSecondFactor(ctx, p.ID); has {
			t.Fatal("the enrolment counts before a second person approved it")
		}
		if err := s.ApproveFactor(ctx, admin.ID, p.ID); !errors.Is(err, accounts.ErrSamePerson) {
			t.Errorf("the link's issuer approves: %v", err)
		}
		if err := s.ApproveFactor(ctx, p.ID, p.ID); !errors.Is(err, accounts.ErrSamePerson) {
			t.Errorf("the person approves: %v", err)
		}
		code, err := s.StartEmailApproval(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ApproveByEmail(ctx, p, "00000000"); !errors.Is(err, accounts.ErrBadCode) {
			t.Errorf("a wrong emailed code: %v", err)
		}
		if err := s.ApproveByEmail(ctx, p, code); err != nil {
			t.Fatal(err)
		}
		if has, _ := s.HasSecondFactor(ctx, p.ID); !has {
			t.Fatal("approved by the emailed code, yet not active")
		}

		// Removal: the administrator starts it, the same administrator
		// cannot finish it, HR can; the person is told once.
		if err := s.StartFactorRemoval(ctx, admin.ID, p.ID); err != nil {
			t.Fatal(err)
		}
		if has, _ := s.HasSecondFactor(ctx, p.ID); !has {
			t.Fatal("a started removal removed the factor")
		}
		if err := s.ConfirmFactorRemoval(ctx, admin.ID, p.ID); !errors.Is(err, accounts.ErrSamePerson) {
			t.Errorf("the starter confirms: %v", err)
		}
		if err := s.ConfirmFactorRemoval(ctx, hr.ID, p.ID); err != nil {
			t.Fatal(err)
		}
		if has, _ := s.HasSecondFactor(ctx, p.ID); has {
			t.Fatal("the factor is still there")
		}
		if n, err := s.RemovalNotice(ctx, p.ID); err != nil || n == nil || n.StartedBy != admin.ID {
			t.Errorf("notice: %+v %v", n, err)
		}
		if n, _ := s.RemovalNotice(ctx, p.ID); n != nil {
			t.Error("the notice is shown twice")
		}
	})
}
