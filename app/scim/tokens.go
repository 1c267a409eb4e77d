package scim

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/errkind"
)

// TokenPrefix starts every SCIM token, so a leaked one is recognisable
// (and never mistaken for a personal API token, "sgt_").
const TokenPrefix = "sgscim_"

// Audit actions recorded by this package.
const (
	ActionTokenCreate = "scim_token.create"
	ActionTokenRevoke = "scim_token.revoke"
	ActionProvision   = "scim.user_link"
	ActionUserDelete  = "scim.user_delete"
	ActionGroupCreate = "scim_group.create"
	ActionGroupUpdate = "scim_group.update"
	ActionGroupDelete = "scim_group.delete"
)

// ErrTokenName is returned for a token without a name.
var ErrTokenName = errkind.New(errkind.Invalid, "Give the token a name (for example the identity provider's).").WithField("name", "Give the token a name.")

// ErrBadToken is returned for a missing, wrong or revoked bearer token.
var ErrBadToken = errkind.New(errkind.Unauthenticated, "This SCIM token is not valid: it may be mistyped or revoked.")

// Token is a bearer token an admin created for an identity provider. It
// does not expire: the IdP's provisioning runs unattended, and an admin
// revokes the token when it is no longer wanted.
type Token struct {
	bun.BaseModel `bun:"table:scim_tokens"`
	ID            string     `bun:"id,pk"`
	Name          string     `bun:"name"`
	TokenHash     string     `bun:"token_hash"`
	CreatedBy     string     `bun:"created_by"`
	CreatedAt     time.Time  `bun:"created_at"`
	LastUsedAt    *time.Time `bun:"last_used_at"`
	RevokedAt     *time.Time `bun:"revoked_at"`
}

// CreateToken makes a token named name for the person createdBy (or
// audit.SystemActor from the command line) and returns it with its secret,
// which is shown once and kept only as a hash.
func (s *Service) CreateToken(ctx context.Context, name, createdBy string) (*Token, string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, "", ErrTokenName
	}
	secret := TokenPrefix + accounts.NewSecret()
	t := &Token{ID: accounts.NewID(), Name: name, TokenHash: accounts.HashSecret(secret), CreatedBy: createdBy, CreatedAt: s.now()}
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(t).Exec(ctx); err != nil {
			return db.Translate(err)
		}
		return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionTokenCreate, EntityType: "scim_token", EntityID: t.ID,
			After: map[string]any{"name": t.Name}})
	})
	if err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

// Tokens lists every token, newest first.
func (s *Service) Tokens(ctx context.Context) ([]Token, error) {
	var out []Token
	err := s.DB.NewSelect().Model(&out).Order("created_at DESC", "id DESC").Scan(ctx)
	return out, db.Translate(err)
}

// RevokeToken revokes the token id at once; revoking one already revoked
// changes nothing. An unknown id is db.ErrNotFound.
func (s *Service) RevokeToken(ctx context.Context, id string) error {
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var t Token
		if err := tx.NewSelect().Model(&t).Where("id = ?", id).Scan(ctx); err != nil {
			return db.Translate(err)
		}
		if t.RevokedAt != nil {
			return nil
		}
		now := s.now()
		if _, err := tx.NewUpdate().Model((*Token)(nil)).Set("revoked_at = ?", now).Where("id = ?", id).Exec(ctx); err != nil {
			return db.Translate(err)
		}
		return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionTokenRevoke, EntityType: "scim_token", EntityID: id,
			Before: map[string]any{"revoked_at": nil}, After: map[string]any{"name": t.Name, "revoked_at": now}})
	})
}

// Authenticate returns the live token whose secret this is, or ErrBadToken.
// Its last use is recorded at most once a minute, so a burst of
// provisioning requests does not write on every one.
func (s *Service) Authenticate(ctx context.Context, secret string) (*Token, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return nil, ErrBadToken
	}
	var t Token
	err := s.DB.NewSelect().Model(&t).Where("token_hash = ?", accounts.HashSecret(secret)).Where("revoked_at IS NULL").Scan(ctx)
	if err != nil {
		if err = db.Translate(err); err == db.ErrNotFound {
			return nil, ErrBadToken
		}
		return nil, err
	}
	now := s.now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		if _, err := s.DB.NewUpdate().Model((*Token)(nil)).Set("last_used_at = ?", now).Where("id = ?", t.ID).Exec(ctx); err != nil {
			return nil, db.Translate(err)
		}
		t.LastUsedAt = &now
	}
	return &t, nil
}

// Actor is the audit actor of changes made with token t: every SCIM change
// names the token that made it.
func Actor(t *Token) audit.Actor { return audit.Actor{ID: audit.SCIMActor, Via: "scim_token:" + t.ID} }
