package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"

	"github.com/skillgate/skillgate/errkind"
)

// ErrSessionExpired: the session passed its idle or absolute limit; it has
// been deleted and the person must log in again.
var ErrSessionExpired = errkind.New(errkind.Unauthenticated, "Your session has ended; log in again.")

// SessionPolicy holds the session limits, both enforced on the server.
type SessionPolicy struct {
	Idle     time.Duration // since the last request (default 30 min)
	Absolute time.Duration // since login (default 12 h)
}

// Session is a logged-in browser.
type Session struct {
	IDHash     string
	UserID     string
	CreatedAt  time.Time
	LastSeenAt time.Time
}

type sessionRow struct {
	bun.BaseModel `bun:"table:sessions"`
	IDHash        string    `bun:"id_hash,pk"`
	UserID        string    `bun:"user_id"`
	CreatedAt     time.Time `bun:"created_at"`
	LastSeenAt    time.Time `bun:"last_seen_at"`
	IP            string    `bun:"ip"`
	UserAgent     string    `bun:"user_agent"`
}

// NewSecret returns a random 256-bit value, URL-safe, for cookies, tokens
// and reset links.
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret is how secrets are stored: only their SHA-256, so a copy of
// the database cannot be used to log in.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// StartSession creates a session for userID and returns the cookie value.
// A new value is issued at every login, so a session id planted before
// login is worthless.
func (s *Store) StartSession(ctx context.Context, userID, ip, userAgent string) (string, error) {
	return s.startSession(ctx, s.DB, userID, ip, userAgent)
}

func (s *Store) startSession(ctx context.Context, idb bun.IDB, userID, ip, userAgent string) (string, error) {
	secret := NewSecret()
	now := s.now()
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	_, err := idb.NewInsert().Model(&sessionRow{
		IDHash: HashSecret(secret), UserID: userID, CreatedAt: now, LastSeenAt: now, IP: ip, UserAgent: userAgent,
	}).Exec(ctx)
	if err != nil {
		return "", db.Translate(err)
	}
	return secret, nil
}

// Login starts the session of a person whose password was just checked and
// records the login in the audit trail, together.
func (s *Store) Login(ctx context.Context, userID, ip, userAgent string) (string, error) {
	var secret string
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if secret, err = s.startSession(ctx, tx, userID, ip, userAgent); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionLogin, EntityType: "person", EntityID: userID,
			Actor: userID, Via: "session", After: map[string]any{"user_agent": userAgent}})
	})
	if err != nil {
		return "", db.Translate(err)
	}
	return secret, nil
}

// Logout ends the session for a cookie value and records it.
func (s *Store) Logout(ctx context.Context, secret string) error {
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var userIDs []string
		if err := tx.NewDelete().Model((*sessionRow)(nil)).Where("id_hash = ?", HashSecret(secret)).
			Returning("user_id").Scan(ctx, &userIDs); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return db.Translate(err)
		}
		if len(userIDs) == 0 {
			return nil
		}
		return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionLogout, EntityType: "person", EntityID: userIDs[0],
			Actor: userIDs[0], Via: "session"})
	})
}

// touchEvery limits last-seen writes to one a minute per session: enough
// for a 30-minute idle limit, without a write on every request.
const touchEvery = time.Minute

// ResumeSession finds the session for a cookie value and its person. It
// returns db.ErrNotFound for an unknown value or a disabled account, and
// ErrSessionExpired (after deleting it) for one past its limits.
func (s *Store) ResumeSession(ctx context.Context, secret string, pol SessionPolicy) (*Session, *Person, error) {
	if secret == "" {
		return nil, nil, db.ErrNotFound
	}
	// The session and its person in one statement: it runs on every
	// request a browser makes.
	hash := HashSecret(secret)
	var rows []personRow
	if err := s.readPeople(ctx, s.sessionRead, &rows, func(arg ...any) *bun.SelectQuery { return s.sessionAndPerson(&rows, arg[0]) }, hash); err != nil {
		return nil, nil, db.Translate(err)
	}
	if len(rows) == 0 {
		return nil, nil, db.ErrNotFound
	}
	pr := &rows[0]
	row := sessionRow{IDHash: hash, UserID: pr.ID, CreatedAt: pr.SesCreatedAt, LastSeenAt: pr.SesLastSeenAt}
	now := s.now()
	if now.Sub(row.LastSeenAt) > pol.Idle || now.Sub(row.CreatedAt) > pol.Absolute {
		if _, err := s.DB.NewDelete().Model(&row).WherePK().Exec(ctx); err != nil {
			return nil, nil, db.Translate(err)
		}
		return nil, nil, ErrSessionExpired
	}
	p := pr.person()
	if p.Disabled() {
		return nil, nil, db.ErrNotFound
	}
	if now.Sub(row.LastSeenAt) >= touchEvery {
		row.LastSeenAt = now
		if _, err := s.DB.NewUpdate().Model(&row).Column("last_seen_at").WherePK().Exec(ctx); err != nil {
			return nil, nil, db.Translate(err)
		}
	}
	return &Session{IDHash: row.IDHash, UserID: row.UserID, CreatedAt: row.CreatedAt, LastSeenAt: row.LastSeenAt}, p, nil
}

// sessionAndPerson builds ResumeSession's statement: the person whose
// session has the hash, with the session's times.
func (s *Store) sessionAndPerson(rows *[]personRow, hash any) *bun.SelectQuery {
	return s.selectPerson(rows).Join("JOIN sessions AS ses ON ses.user_id = ?TableAlias.id").
		ColumnExpr("ses.created_at AS ses_created_at, ses.last_seen_at AS ses_last_seen_at").Where("ses.id_hash = ?", hash)
}

// EndSession deletes the session for a cookie value (logout).
func (s *Store) EndSession(ctx context.Context, secret string) error {
	_, err := s.DB.NewDelete().Model((*sessionRow)(nil)).Where("id_hash = ?", HashSecret(secret)).Exec(ctx)
	return db.Translate(err)
}

// EndAllSessions deletes every session of a person.
func (s *Store) EndAllSessions(ctx context.Context, userID string) error {
	_, err := s.DB.NewDelete().Model((*sessionRow)(nil)).Where("user_id = ?", userID).Exec(ctx)
	return db.Translate(err)
}

// CountSessions returns how many live session rows a person has.
func (s *Store) CountSessions(ctx context.Context, userID string) (int, error) {
	n, err := s.DB.NewSelect().Model((*sessionRow)(nil)).Where("user_id = ?", userID).Count(ctx)
	return int(n), db.Translate(err)
}

// DeleteExpiredSessions removes sessions past either limit; a periodic job
// calls it so the table does not grow without bound.
func (s *Store) DeleteExpiredSessions(ctx context.Context, pol SessionPolicy) (int64, error) {
	now := s.now()
	res, err := s.DB.NewDelete().Model((*sessionRow)(nil)).
		Where("last_seen_at < ? OR created_at < ?", now.Add(-pol.Idle), now.Add(-pol.Absolute)).Exec(ctx)
	if err != nil {
		return 0, db.Translate(err)
	}
	return res.RowsAffected()
}

// SessionInfo is one of a person's live sessions as their account page
// lists it.
type SessionInfo struct {
	// ID is the session's stored hash: it names the session to its owner
	// (to end it) and cannot be turned back into the cookie.
	ID         string
	CreatedAt  time.Time
	LastSeenAt time.Time
	IP         string
	UserAgent  string
}

// Sessions lists userID's sessions still within pol's limits, most
// recently seen first.
func (s *Store) Sessions(ctx context.Context, userID string, pol SessionPolicy) ([]SessionInfo, error) {
	var rows []sessionRow
	now := s.now()
	if err := s.DB.NewSelect().Model(&rows).Where("user_id = ?", userID).
		Where("last_seen_at >= ? AND created_at >= ?", now.Add(-pol.Idle), now.Add(-pol.Absolute)).
		Order("last_seen_at DESC").Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	out := make([]SessionInfo, len(rows))
	for i, r := range rows {
		out[i] = SessionInfo{ID: r.IDHash, CreatedAt: r.CreatedAt, LastSeenAt: r.LastSeenAt, IP: r.IP, UserAgent: r.UserAgent}
	}
	return out, nil
}

// EndSessionOf ends one of userID's sessions by its ID (SessionInfo.ID),
// and records it; another person's session, or none, is db.ErrNotFound.
func (s *Store) EndSessionOf(ctx context.Context, userID, id string) error {
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*sessionRow)(nil)).Where("id_hash = ? AND user_id = ?", id, userID).Exec(ctx)
		if err != nil {
			return db.Translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return db.ErrNotFound
		}
		return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionSessionEnd, EntityType: "person", EntityID: userID,
			After: map[string]any{"ended_from_account_page": true}})
	})
}
