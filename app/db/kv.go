package db

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/uptrace/bun"
)

// KV is a fiber.Storage on the application database, so that middleware
// state (CSRF tokens, rate-limit counters) is shared by every instance
// behind a load balancer and survives restarts.
type KV struct {
	// DB is the database (or a connection of it: outside any transaction,
	// since counters must count even when the caller's change rolls back).
	DB bun.IDB
	// Timeout bounds each call: fiber.Storage has no context.
	Timeout time.Duration
	// Now is the clock; tests replace it.
	Now func() time.Time
}

type kvRow struct {
	bun.BaseModel `bun:"table:kv_store"`
	K             string `bun:"k,pk"`
	V             string `bun:"v"`
	ExpiresAt     int64  `bun:"expires_at"`
}

// NewKV returns a KV on d.
func NewKV(d *DB) *KV { return &KV{DB: d, Timeout: 5 * time.Second, Now: time.Now} }

func (s *KV) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.Timeout)
}

// Get returns the value for key, or nil when absent or expired.
func (s *KV) Get(key string) ([]byte, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var row kvRow
	err := s.DB.NewSelect().Model(&row).Where("k = ?", key).Scan(ctx)
	if err != nil {
		if errors.Is(Translate(err), ErrNotFound) {
			return nil, nil
		}
		return nil, Translate(err)
	}
	if row.ExpiresAt != 0 && row.ExpiresAt <= s.Now().Unix() {
		return nil, nil
	}
	return base64.StdEncoding.DecodeString(row.V)
}

// Set stores val under key for exp (0: no expiry).
func (s *KV) Set(key string, val []byte, exp time.Duration) error {
	if key == "" || len(val) == 0 {
		return nil
	}
	ctx, cancel := s.ctx()
	defer cancel()
	var at int64
	if exp > 0 {
		at = s.Now().Add(exp).Unix()
	}
	_, err := s.DB.NewInsert().Model(&kvRow{K: key, V: base64.StdEncoding.EncodeToString(val), ExpiresAt: at}).
		On("CONFLICT (k) DO UPDATE").Set("v = EXCLUDED.v").Set("expires_at = EXCLUDED.expires_at").Exec(ctx)
	return Translate(err)
}

// Incr counts one more event under key in a fixed window and returns the
// count so far and when the window ends. The first event, and the first
// after a window has ended, start a new window of length window at 1. It
// is one statement, so every instance sharing the database counts
// together (rate limits); keys it counts must not be used with Set or Get.
func (s *KV) Incr(key string, window time.Duration) (int64, time.Time, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	now := s.Now().Unix()
	end := now + max(1, int64(math.Ceil(window.Seconds())))
	var n, until int64
	err := s.DB.NewRaw(`INSERT INTO kv_store (k, v, expires_at) VALUES (?, '1', ?)
ON CONFLICT (k) DO UPDATE SET
  v = CASE WHEN kv_store.expires_at <= ? THEN '1' ELSE CAST(CAST(kv_store.v AS BIGINT) + 1 AS TEXT) END,
  expires_at = CASE WHEN kv_store.expires_at <= ? THEN EXCLUDED.expires_at ELSE kv_store.expires_at END
RETURNING CAST(v AS BIGINT), expires_at`, key, end, now, now).Scan(ctx, &n, &until)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count %s: %w", key, Translate(err))
	}
	return n, time.Unix(until, 0), nil
}

// Add stores val under key until until (zero: no expiry) unless key holds
// a value that has not expired, and reports whether it stored it. It is
// one statement, so of several callers (instances) adding the same key
// exactly one succeeds: a single use, such as a SAML assertion's ID.
func (s *KV) Add(key string, val []byte, until time.Time) (bool, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var at int64
	if !until.IsZero() {
		at = until.Unix()
	}
	res, err := s.DB.NewRaw(`INSERT INTO kv_store (k, v, expires_at) VALUES (?, ?, ?)
ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v, expires_at = EXCLUDED.expires_at
WHERE kv_store.expires_at <> 0 AND kv_store.expires_at <= ?`, key, base64.StdEncoding.EncodeToString(val), at, s.Now().Unix()).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("add %s: %w", key, Translate(err))
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Delete removes key.
func (s *KV) Delete(key string) error {
	ctx, cancel := s.ctx()
	defer cancel()
	_, err := s.DB.NewDelete().Model((*kvRow)(nil)).Where("k = ?", key).Exec(ctx)
	return Translate(err)
}

// Reset removes every key.
func (s *KV) Reset() error {
	ctx, cancel := s.ctx()
	defer cancel()
	_, err := s.DB.NewDelete().Model((*kvRow)(nil)).Where("1 = 1").Exec(ctx)
	return Translate(err)
}

// Close does nothing: the database belongs to the application.
func (s *KV) Close() error { return nil }

// DeleteExpired removes expired keys; a periodic job calls it.
func (s *KV) DeleteExpired(ctx context.Context) (int64, error) {
	res, err := s.DB.NewDelete().Model((*kvRow)(nil)).Where("expires_at > 0 AND expires_at <= ?", s.Now().Unix()).Exec(ctx)
	if err != nil {
		return 0, Translate(err)
	}
	return res.RowsAffected()
}
