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
)

// Login outcomes other than success. Their texts are shown to the person.
var (
	// ErrBadCredentials covers an unknown email and a wrong password alike,
	// so the form does not reveal who has an account.
	ErrBadCredentials = errors.New("That email and password do not match an account. Check both and try again.")
	// ErrAccountDisabled: an admin disabled the account.
	ErrAccountDisabled = errors.New("This account has been disabled. Ask an administrator if you think this is wrong.")
)

// LockedError says an account is locked after repeated failures, and until when.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return fmt.Sprintf("Too many failed attempts for this account. Try again after %s UTC, or ask an administrator to unlock it.",
		e.Until.UTC().Format("15:04 on Jan 2"))
}

// Lockout policy (NIST SP 800-63B rev. 4 allows at most 100 consecutive
// failures per account). From the 10th consecutive failure each failure
// locks the account for a few minutes, which slows online guessing to a
// crawl without letting a stranger lock someone out for long; the 100th
// locks it for a day, or until an admin unlocks it.
const (
	ThrottleAfter = 10
	ThrottleFor   = 5 * time.Minute
	LockAfter     = 100
	LockFor       = 24 * time.Hour
)

// Authenticate checks an email and password. On success it clears the
// failure count and returns the person; on failure it counts the attempt.
func (s *Store) Authenticate(ctx context.Context, email, plain string) (*Person, error) {
	p, err := s.ByEmail(ctx, email)
	if errors.Is(err, db.ErrNotFound) {
		s.burnTime(plain)
		return nil, s.failed(ctx, s.DB, nil, email, "no account with this email", ErrBadCredentials)
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if p.LockedUntil != nil && now.Before(*p.LockedUntil) {
		return nil, s.failed(ctx, s.DB, p, email, "account locked", &LockedError{Until: *p.LockedUntil})
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
		var result error
		err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			result = s.recordFailure(ctx, tx, p, now)
			var locked *LockedError
			if !errors.Is(result, ErrBadCredentials) && !errors.As(result, &locked) {
				return result
			}
			return s.failed(ctx, tx, p, email, "wrong password", nil)
		})
		if err != nil {
			return nil, db.Translate(err)
		}
		return nil, result
	}
	if p.Disabled() {
		return nil, s.failed(ctx, s.DB, p, email, "account disabled", ErrAccountDisabled)
	}
	if p.FailedLogins > 0 || p.LockedUntil != nil {
		if err := s.clearFailures(ctx, s.DB, p.ID); err != nil {
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

func (s *Store) recordFailure(ctx context.Context, tx bun.IDB, p *Person, now time.Time) error {
	// Incremented in SQL so that concurrent failures all count.
	q := tx.NewUpdate().Model((*userRow)(nil)).
		Set("failed_logins = failed_logins + 1").Set("last_failed_login_at = ?", now).
		Where("id = ?", p.ID).Returning("failed_logins")
	var n int
	if _, err := q.Exec(ctx, &n); err != nil {
		return db.Translate(err)
	}
	var until time.Time
	switch {
	case n >= LockAfter:
		until = now.Add(LockFor)
	case n >= ThrottleAfter:
		until = now.Add(ThrottleFor)
	default:
		return ErrBadCredentials
	}
	if _, err := tx.NewUpdate().Model((*userRow)(nil)).Set("locked_until = ?", until).Where("id = ?", p.ID).Exec(ctx); err != nil {
		return db.Translate(err)
	}
	return &LockedError{Until: until}
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
