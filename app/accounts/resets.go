package accounts

//lint:file-ignore ST1005 this file's error texts are shown to people unchanged, as sentences.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/auth/password"
	"github.com/skillgate/skillgate/app/db"

	"github.com/skillgate/skillgate/errkind"
)

// ResetLifetime is how long a password-reset link stays usable.
const ResetLifetime = 24 * time.Hour

// ErrResetInvalid: the reset link is unknown, used or expired.
var ErrResetInvalid = errkind.New(errkind.NotFound, "This password reset link is not valid any more. Ask an administrator for a new one.")

type resetRow struct {
	bun.BaseModel `bun:"table:password_resets"`
	TokenHash     string     `bun:"token_hash,pk"`
	UserID        string     `bun:"user_id"`
	CreatedBy     string     `bun:"created_by"`
	CreatedAt     time.Time  `bun:"created_at"`
	ExpiresAt     time.Time  `bun:"expires_at"`
	UsedAt        *time.Time `bun:"used_at"`
}

// StartReset creates a one-time reset code for userID on behalf of
// issuerID (an admin). Only the person chooses the new password, and
// nobody ever sees it; when mail is configured the server sends the link
// to the person's own email and the issuer never sees it. Earlier unused
// codes stop working. A reset started by someone else also revokes the
// person's API tokens, in the same transaction: whoever may hold the new
// password must not inherit credentials made with the old one.
func (s *Store) StartReset(ctx context.Context, issuerID, userID string) (string, time.Time, error) {
	if _, err := s.ByID(ctx, userID); err != nil {
		return "", time.Time{}, err
	}
	secret := NewSecret()
	now := s.now()
	row := &resetRow{TokenHash: HashSecret(secret), UserID: userID, CreatedBy: issuerID, CreatedAt: now, ExpiresAt: now.Add(ResetLifetime)}
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Model((*resetRow)(nil)).Set("used_at = ?", now).
			Where("user_id = ? AND used_at IS NULL", userID).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return err
		}
		after := map[string]any{"expires_at": row.ExpiresAt, "earlier_links_cancelled": true}
		if issuerID != userID {
			n, err := revokeAllTokens(ctx, tx, userID, now)
			if err != nil {
				return err
			}
			after["api_tokens_revoked"] = n
		}
		return s.record(ctx, tx, ActionResetStart, "person", userID, nil, after)
	})
	if err != nil {
		return "", time.Time{}, db.Translate(err)
	}
	return secret, row.ExpiresAt, nil
}

// ResetTarget returns the person a usable reset code belongs to.
func (s *Store) ResetTarget(ctx context.Context, secret string) (*Person, error) {
	p, _, err := s.resetTarget(ctx, secret)
	return p, err
}

// resetTarget is ResetTarget with the code's row (who issued it, when).
func (s *Store) resetTarget(ctx context.Context, secret string) (*Person, *resetRow, error) {
	var row resetRow
	if err := s.DB.NewSelect().Model(&row).Where("token_hash = ?", HashSecret(secret)).Scan(ctx); err != nil {
		if errors.Is(db.Translate(err), db.ErrNotFound) {
			return nil, nil, ErrResetInvalid
		}
		return nil, nil, db.Translate(err)
	}
	if row.UsedAt != nil || !s.now().Before(row.ExpiresAt) {
		return nil, nil, ErrResetInvalid
	}
	p, err := s.ByID(ctx, row.UserID)
	return p, &row, err
}

// CompleteReset sets a new password with a reset code and uses the code
// up. The code is spent only when the password is accepted.
func (s *Store) CompleteReset(ctx context.Context, secret, newPassword string) (*Person, error) {
	p, link, err := s.resetTarget(ctx, secret)
	if err != nil {
		return nil, err
	}
	if err := password.Check(newPassword, p.Email, p.Name); err != nil {
		return nil, err
	}
	hash, err := s.Hasher.Hash(newPassword)
	if err != nil {
		return nil, fmt.Errorf("reset password: %w", err)
	}
	err = s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// Spending the code and setting the password commit together; the
		// conditional update makes a second, concurrent use fail.
		res, err := tx.NewUpdate().Model((*resetRow)(nil)).Set("used_at = ?", s.now()).
			Where("token_hash = ? AND used_at IS NULL", HashSecret(secret)).Exec(ctx)
		if err != nil {
			return db.Translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrResetInvalid
		}
		if err := s.storePassword(ctx, tx, p.ID, hash); err != nil {
			return err
		}
		after := map[string]any{"sessions_ended": true, "issued_by": link.CreatedBy, "issued_at": link.CreatedAt,
			"completed_through": "reset link", "second_factor_kept": true}
		if link.CreatedBy != p.ID {
			n, err := revokeAllTokens(ctx, tx, p.ID, s.now())
			if err != nil {
				return err
			}
			after["api_tokens_revoked"] = n
		}
		// Nobody is logged in: the link was used, by whoever held it. The
		// entry says so, and who issued it, rather than "changed by the
		// person" (who may never have seen the link).
		return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionResetComplete, EntityType: "person", EntityID: p.ID,
			Actor: audit.AnonymousActor, Via: "reset link issued by " + link.CreatedBy, After: after})
	})
	if err != nil {
		return nil, err
	}
	// The link proves the person: the source it was used from is no
	// longer held back for this email (storePassword lifted the ceiling).
	if err := s.throttleKeys(ctx, p.Email).clear(); err != nil {
		return nil, err
	}
	return p, nil
}
