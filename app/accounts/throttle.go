package accounts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
)

// throttle is the failure bookkeeping of one login attempt (see the
// lockout policy in login.go), kept in the shared key-value table so that
// every instance counts together. Keys hold a hash of the email, never the
// email.
type throttle struct {
	kv *db.KV
	// pair counts consecutive failures of the email from this source,
	// held marks the pair held back until a time, email counts failures
	// of an email no account has (an account counts its own).
	pair, held, email string
}

func (s *Store) throttleKeys(ctx context.Context, email string) throttle {
	ip := ""
	if a, ok := audit.ActorFrom(ctx); ok {
		ip = a.IP
	}
	sum := func(parts ...string) string {
		h := sha256.New()
		for _, p := range parts {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
		return hex.EncodeToString(h.Sum(nil))
	}
	e := NormalizeEmail(email)
	pair := sum(e, ip)
	kv := &db.KV{DB: s.DB, Timeout: 5 * time.Second, Now: s.now}
	return throttle{kv: kv, pair: "login-pair:" + pair, held: "login-held:" + pair, email: "login-email:" + sum(e)}
}

// heldUntil returns when the pair's hold ends, or zero when it is not held.
func (t throttle) heldUntil(now time.Time) (time.Time, error) {
	v, err := t.kv.Get(t.held)
	if err != nil || v == nil {
		return time.Time{}, err
	}
	sec, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("login hold %q: %w", v, err)
	}
	if until := time.Unix(sec, 0).UTC(); now.Before(until) {
		return until, nil
	}
	return time.Time{}, nil
}

// failure counts a failure of the pair and returns what to answer:
// accountFailures is the account's consecutive count (0 without an
// account), which decides the ceiling.
func (t throttle) failure(now time.Time, accountFailures int) (error, error) {
	n, _, err := t.kv.Incr(t.pair, LockFor)
	if err != nil {
		return nil, err
	}
	switch {
	case accountFailures >= LockAfter:
		return &LockedError{Until: now.Add(LockFor), Ceiling: true}, nil
	case n >= ThrottleAfter:
		until := now.Add(ThrottleFor)
		if err := t.kv.Set(t.held, []byte(strconv.FormatInt(until.Unix(), 10)), ThrottleFor); err != nil {
			return nil, err
		}
		return &LockedError{Until: until}, nil
	}
	return ErrBadCredentials, nil
}

// unknownCeiling counts a failure of an email no account has, over LockFor,
// so that it reaches the ceiling when an account would; it returns the
// count with this failure.
func (t throttle) unknownCeiling() (int64, error) {
	n, _, err := t.kv.Incr(t.email, LockFor)
	return n, err
}

// clear forgets the pair's failures (after a success).
func (t throttle) clear() error {
	if err := t.kv.Delete(t.pair); err != nil {
		return err
	}
	return t.kv.Delete(t.held)
}
