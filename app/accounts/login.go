package accounts

//lint:file-ignore ST1005 this file's error texts are shown to people unchanged, as sentences.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"

	"github.com/skillgate/skillgate/errkind"
)

// Login outcomes other than success. Their texts are shown to the person.
var (
	// ErrBadCredentials covers an unknown email and a wrong password alike,
	// so the form does not reveal who has an account.
	ErrBadCredentials = errkind.New(errkind.Unauthenticated, "That email and password do not match an account. Check both and try again.")
	// ErrAccountDisabled: an admin disabled the account.
	ErrAccountDisabled = errkind.New(errkind.Unauthenticated, "This account has been disabled. Ask an administrator if you think this is wrong.")
)

// LockedError says login is refused for a while after repeated failures,
// and until when. It reads the same whether or not the email belongs to an
// account, so that it reveals nothing about who has one.
type LockedError struct {
	Until time.Time
	// Ceiling: the email reached LockAfter consecutive failures from all
	// sources together; otherwise only this source is held back.
	Ceiling bool
}

func (e *LockedError) Error() string {
	if e.Ceiling {
		return "Too many failed attempts with this email address. Ask an administrator for a password link, or to unlock the login."
	}
	return fmt.Sprintf("Too many failed attempts with this email address from your network. Try again after %s UTC, or ask an administrator for a password link.",
		e.Until.UTC().Format("15:04 on Jan 2"))
}

// As presents a lockout in the one error vocabulary: RateLimited, with the
// time it ends in the message.
func (e *LockedError) As(target any) bool {
	t, ok := target.(**errkind.Error)
	if ok {
		*t = errkind.New(errkind.RateLimited, e.Error())
	}
	return ok
}

// Lockout policy. Failures are counted per email as typed, whether or not
// an account has it (so the answers do not tell who has one), in two ways:
//
//   - per email and source (the client's IP): from the ThrottleAfter-th
//     consecutive failure each failure holds that pair back for
//     ThrottleFor. Someone guessing from one place gets a try every few
//     minutes, while the person, from their own place, can still log in:
//     a stranger cannot lock a preceptor out of signing this way.
//   - per email from everywhere: the LockAfter-th consecutive failure
//     (NIST SP 800-63B rev. 4 allows at most 100) locks the email for
//     LockFor, or until an administrator unlocks the account. A password
//     link still works then, and clears the lock.
//
// A success clears both.
const (
	ThrottleAfter = 10
	ThrottleFor   = 5 * time.Minute
	LockAfter     = 100
	LockFor       = 24 * time.Hour
)

// Authenticate checks an email and password. On success it clears the
// failure counts and returns the person; on failure it counts the attempt
// for the email and for the email from this source (the audit actor's IP
// in ctx; empty outside HTTP).
func (s *Store) Authenticate(ctx context.Context, email, plain string) (*Person, error) {
	now := s.now()
	key := s.throttleKeys(ctx, email)
	// A person with a second factor passes these locks only with the
	// password and then the code (CheckSecondFactor applies the same
	// locks, and clears them on success).
	if until, err := key.heldUntil(now); err != nil {
		return nil, err
	} else if !until.IsZero() {
		return nil, s.failed(ctx, s.DB, nil, email, "too many failures from this source", &LockedError{Until: until})
	}
	p, err := s.ByEmail(ctx, email)
	if errors.Is(err, db.ErrNotFound) {
		// No account: count as for one, so the answers are the same.
		n, err := key.unknownCeiling()
		if err != nil {
			return nil, err
		}
		if n > LockAfter {
			return nil, s.failed(ctx, s.DB, nil, email, "no account with this email", &LockedError{Until: now.Add(LockFor), Ceiling: true})
		}
		s.burnTime(plain)
		result, err := key.failure(now, int(n))
		if err != nil {
			return nil, err
		}
		return nil, s.failed(ctx, s.DB, nil, email, "no account with this email", result)
	}
	if err != nil {
		return nil, err
	}
	if p.LockedUntil != nil && now.Before(*p.LockedUntil) {
		return nil, s.failed(ctx, s.DB, p, email, "account locked", &LockedError{Until: *p.LockedUntil, Ceiling: true})
	}
	var hash string
	if err := s.DB.NewSelect().Model((*userRow)(nil)).Column("password_hash").Where("id = ?", p.ID).Scan(ctx, &hash); err != nil {
		return nil, db.Translate(err)
	}
	ok := false
	if hash != "" {
		if ok, err = s.Hasher.Verify(plain, hash); err != nil {
			return nil, fmt.Errorf("verify password of %s: %w", p.ID, err)
		}
	} else {
		s.burnTime(plain)
	}
	if !ok {
		var n int
		err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			var err error
			if n, err = s.recordFailure(ctx, tx, p, now); err != nil {
				return err
			}
			return s.failed(ctx, tx, p, email, "wrong password", nil)
		})
		if err != nil {
			return nil, db.Translate(err)
		}
		// After the transaction: the counters are not part of it (and on
		// SQLite its one connection is busy until it ends).
		result, err := key.failure(now, n)
		if err != nil {
			return nil, err
		}
		return nil, result
	}
	if p.Disabled() {
		return nil, s.failed(ctx, s.DB, p, email, "account disabled", ErrAccountDisabled)
	}
	// With a second factor the password alone proves too little to lift
	// the lockout: CheckSecondFactor clears it once the code is right,
	// so wrong codes after a right password keep counting.
	has, err := s.HasSecondFactor(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	if !has && (p.FailedLogins > 0 || p.LockedUntil != nil) {
		if err := s.clearFailures(ctx, s.DB, p.ID); err != nil {
			return nil, err
		}
		if err := key.clear(); err != nil {
			return nil, err
		}
		p.FailedLogins, p.LockedUntil = 0, nil
	}
	return p, nil
}

// failed records a failed password check in the audit trail, with the
// email as typed (cut to a sane length) and never the password, and returns
// result; an error writing the entry is returned instead.
func (s *Store) failed(ctx context.Context, idb bun.IDB, p *Person, email, reason string, result error) error {
	typed := strings.TrimSpace(email)
	if len(typed) > 320 {
		typed = typed[:320]
	}
	id := ""
	if p != nil {
		id = p.ID
	}
	if err := s.Audit.Append(ctx, idb, audit.Entry{Action: ActionLoginFailed, EntityType: "person", EntityID: id,
		After: map[string]any{"email": typed, "reason": reason}}); err != nil {
		return err
	}
	return result
}

// recordFailure counts a wrong password against the account, and locks it
// for LockFor at the LockAfter-th consecutive failure. It returns the
// count.
func (s *Store) recordFailure(ctx context.Context, tx bun.IDB, p *Person, now time.Time) (int, error) {
	// Incremented in SQL so that concurrent failures all count.
	q := tx.NewUpdate().Model((*userRow)(nil)).
		Set("failed_logins = failed_logins + 1").Set("last_failed_login_at = ?", now).
		Where("id = ?", p.ID).Returning("failed_logins")
	var n int
	if _, err := q.Exec(ctx, &n); err != nil {
		return 0, db.Translate(err)
	}
	if n >= LockAfter {
		if _, err := tx.NewUpdate().Model((*userRow)(nil)).Set("locked_until = ?", now.Add(LockFor)).Where("id = ?", p.ID).Exec(ctx); err != nil {
			return 0, db.Translate(err)
		}
	}
	return n, nil
}

// burnTime verifies against a throw-away hash, so that an unknown email
// takes as long as a wrong password and the form does not reveal accounts.
func (s *Store) burnTime(plain string) {
	if s.dummy == nil {
		_, _ = s.Hasher.Hash(plain)
		return
	}
	s.dummy.once.Do(func() { s.dummy.hash, _ = s.Hasher.Hash(NewSecret()) })
	_, _ = s.Hasher.Verify(plain, s.dummy.hash)
}

// PendingLoginLifetime is how long a person has, after their password was
// accepted, to type the code of their second factor.
const PendingLoginLifetime = 5 * time.Minute

// ErrPendingLoginGone: the half-finished login expired or was used.
var ErrPendingLoginGone = errkind.New(errkind.Unauthenticated, "Your login took too long to finish. Log in again with your password.")

func (s *Store) pendingKV() *db.KV { return &db.KV{DB: s.DB, Timeout: 5 * time.Second, Now: s.now} }

// StartPendingLogin records that userID's password was accepted and
// their second factor is still to come; it returns the secret the
// browser keeps (only its hash is stored) for PendingLoginLifetime.
func (s *Store) StartPendingLogin(ctx context.Context, userID string) (string, error) {
	secret := NewSecret()
	if err := s.pendingKV().Set("login-pending:"+HashSecret(secret), []byte(userID), PendingLoginLifetime); err != nil {
		return "", err
	}
	return secret, nil
}

// PendingLogin returns the person whose password was accepted under
// secret, or ErrPendingLoginGone.
func (s *Store) PendingLogin(ctx context.Context, secret string) (*Person, error) {
	if secret == "" {
		return nil, ErrPendingLoginGone
	}
	v, err := s.pendingKV().Get("login-pending:" + HashSecret(secret))
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, ErrPendingLoginGone
	}
	p, err := s.ByID(ctx, string(v))
	if errors.Is(err, db.ErrNotFound) {
		return nil, ErrPendingLoginGone
	}
	if err == nil && p.Disabled() {
		return nil, ErrAccountDisabled
	}
	return p, err
}

// EndPendingLogin forgets a pending login (finished or abandoned).
func (s *Store) EndPendingLogin(secret string) error {
	return s.pendingKV().Delete("login-pending:" + HashSecret(secret))
}
