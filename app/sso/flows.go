package sso

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/db"
)

// Purposes of a flow.
const (
	PurposeLogin = "login"
	// PurposeSign: re-authentication for a signature held in the flow's
	// payload, by the flow's user in the flow's session.
	PurposeSign = "sign"
)

// Flow is a redirect to the identity provider awaiting its answer.
type Flow struct {
	Purpose string
	// Nonce goes into the request and must come back in the ID token;
	// Verifier is the PKCE code verifier (or the protocol's request id).
	Nonce, Verifier string
	// SessionHash and UserID bind a signing flow to the session and the
	// person that started it.
	SessionHash, UserID string
	// Payload is what to do with the answer (the pending signature), as
	// the caller encoded it; Next is where to go after a login.
	Payload []byte
	Next    string
	// StartedAt is when the flow began: a signature's re-authentication
	// must be later.
	StartedAt time.Time
}

type flowRow struct {
	bun.BaseModel `bun:"table:sso_flows"`
	ID            string    `bun:"id,pk"`
	Purpose       string    `bun:"purpose"`
	Nonce         string    `bun:"nonce"`
	Verifier      string    `bun:"verifier"`
	SessionHash   string    `bun:"session_hash"`
	UserID        string    `bun:"user_id"`
	Payload       string    `bun:"payload"`
	Next          string    `bun:"next"`
	StartedAt     time.Time `bun:"started_at"`
	ExpiresAt     time.Time `bun:"expires_at"`
}

// StartFlow keeps f (its nonce made here, its start now) until the answer
// or FlowLifetime, and returns the state to send with the redirect (only
// its hash is stored) and the flow as kept.
func (s *Service) StartFlow(ctx context.Context, f Flow) (string, Flow, error) {
	state := accounts.NewSecret()
	f.Nonce = accounts.NewSecret()
	now := s.now()
	f.StartedAt = now
	// Abandoned flows are few and small: each start sweeps the expired.
	if _, err := s.DB.NewDelete().Model((*flowRow)(nil)).Where("expires_at < ?", now).Exec(ctx); err != nil {
		return "", Flow{}, db.Translate(err)
	}
	row := &flowRow{ID: accounts.HashSecret(state), Purpose: f.Purpose, Nonce: f.Nonce, Verifier: f.Verifier, SessionHash: f.SessionHash,
		UserID: f.UserID, Payload: string(f.Payload), Next: f.Next, StartedAt: now, ExpiresAt: now.Add(FlowLifetime)}
	if _, err := s.DB.NewInsert().Model(row).Exec(ctx); err != nil {
		return "", Flow{}, db.Translate(err)
	}
	return state, f, nil
}

// TakeFlow returns the flow started with state and forgets it: of two
// answers carrying the same state, one gets the flow and the other
// ErrFlowGone, as does an expired or unknown state.
func (s *Service) TakeFlow(ctx context.Context, state string) (*Flow, error) {
	if state == "" {
		return nil, ErrFlowGone
	}
	var row flowRow
	id := accounts.HashSecret(state)
	if err := s.DB.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
		if err = db.Translate(err); err == db.ErrNotFound {
			return nil, ErrFlowGone
		}
		return nil, err
	}
	res, err := s.DB.NewDelete().Model((*flowRow)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return nil, db.Translate(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return nil, ErrFlowGone
	}
	if !s.now().Before(row.ExpiresAt) {
		return nil, ErrFlowGone
	}
	return &Flow{Purpose: row.Purpose, Nonce: row.Nonce, Verifier: row.Verifier, SessionHash: row.SessionHash, UserID: row.UserID,
		Payload: []byte(row.Payload), Next: row.Next, StartedAt: row.StartedAt}, nil
}
