package accounts

//lint:file-ignore ST1005 this file's error texts are shown to people unchanged, as sentences.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"

	"github.com/skillgate/skillgate/errkind"
)

// Audit actions of passkeys.
const (
	ActionPasskeyAdd    = "passkey.add"
	ActionPasskeyRemove = "passkey.remove"
)

// CeremonyLifetime is how long a passkey ceremony's challenge stays
// usable; it is usable once.
const CeremonyLifetime = 5 * time.Minute

// Passkey errors, shown to people.
var (
	// ErrPasskeyRefused: the passkey's answer did not verify (wrong site,
	// used or expired challenge, unknown passkey, no user verification).
	ErrPasskeyRefused = errkind.New(errkind.Unauthenticated, "The passkey was not accepted. Try again, or log in with your password.")
	// ErrPasskeyCloned: the passkey's signature counter went backwards,
	// the sign of a copied authenticator.
	ErrPasskeyCloned = errkind.New(errkind.Unauthenticated, "This passkey was refused: its counter went backwards, as a copied passkey's would. Ask an administrator.")
	// ErrPasskeyName: a passkey needs a name to tell it apart.
	ErrPasskeyName = errkind.New(errkind.Malformed, "Give the passkey a name, such as “work tablet”.").WithField("name", "Give the passkey a name, such as “work tablet”.")
)

// Passkey is one of a person's passkeys, as their account page lists it.
type Passkey struct {
	ID         string
	Name       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

type passkeyRow struct {
	bun.BaseModel `bun:"table:passkeys"`
	ID            string     `bun:"id,pk"`
	UserID        string     `bun:"user_id"`
	Name          string     `bun:"name"`
	Credential    string     `bun:"credential"`
	SignCount     int64      `bun:"sign_count"`
	CreatedAt     time.Time  `bun:"created_at"`
	LastUsedAt    *time.Time `bun:"last_used_at"`
}

// PasskeyUser is a person as go-webauthn sees them: their id as the user
// handle, and their passkeys.
type PasskeyUser struct {
	Person      *Person
	Credentials []webauthn.Credential
}

// WebAuthnID is the user handle: the person's id.
func (u *PasskeyUser) WebAuthnID() []byte { return []byte(u.Person.ID) }

// WebAuthnName is the account name authenticators show: the email.
func (u *PasskeyUser) WebAuthnName() string { return u.Person.Email }

// WebAuthnDisplayName is the person's name.
func (u *PasskeyUser) WebAuthnDisplayName() string { return u.Person.Name }

// WebAuthnCredentials are the person's passkeys.
func (u *PasskeyUser) WebAuthnCredentials() []webauthn.Credential { return u.Credentials }

// PasskeyUser loads p's passkeys for a ceremony.
func (s *Store) PasskeyUser(ctx context.Context, p *Person) (*PasskeyUser, error) {
	var rows []passkeyRow
	if err := s.DB.NewSelect().Model(&rows).Where("user_id = ?", p.ID).Order("created_at").Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	u := &PasskeyUser{Person: p}
	for _, r := range rows {
		var c webauthn.Credential
		if err := json.Unmarshal([]byte(r.Credential), &c); err != nil {
			return nil, fmt.Errorf("passkey %s: %w", r.ID, err)
		}
		u.Credentials = append(u.Credentials, c)
	}
	return u, nil
}

// Passkeys lists userID's passkeys, oldest first.
func (s *Store) Passkeys(ctx context.Context, userID string) ([]Passkey, error) {
	var rows []passkeyRow
	if err := s.DB.NewSelect().Model(&rows).Where("user_id = ?", userID).Order("created_at").Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	out := make([]Passkey, len(rows))
	for i, r := range rows {
		out[i] = Passkey{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt}
	}
	return out, nil
}

func credentialID(c *webauthn.Credential) string { return base64.RawURLEncoding.EncodeToString(c.ID) }

// AddPasskey keeps a passkey that a registration ceremony just verified.
func (s *Store) AddPasskey(ctx context.Context, userID, name string, c *webauthn.Credential) error {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return ErrPasskeyName
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	id := credentialID(c)
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&passkeyRow{ID: id, UserID: userID, Name: name, Credential: string(b),
			SignCount: int64(c.Authenticator.SignCount), CreatedAt: s.now()}).Exec(ctx); err != nil {
			return db.Translate(err)
		}
		return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionPasskeyAdd, EntityType: "person", EntityID: userID,
			After: map[string]any{"name": name, "passkey": id, "user_verified": c.Flags.UserVerified}})
	})
}

// UsePasskey records a verified assertion of userID's passkey c: its new
// counter and last use. A counter that did not go up (when the
// authenticator keeps one) is refused, as a copy's would be.
func (s *Store) UsePasskey(ctx context.Context, userID string, c *webauthn.Credential) error {
	if c.Authenticator.CloneWarning {
		return ErrPasskeyCloned
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	n := int64(c.Authenticator.SignCount)
	res, err := s.DB.NewUpdate().Model((*passkeyRow)(nil)).Set("credential = ?", string(b)).Set("sign_count = ?", n).
		Set("last_used_at = ?", s.now()).
		Where("id = ? AND user_id = ? AND (sign_count < ? OR (sign_count = 0 AND ? = 0))", credentialID(c), userID, n, n).Exec(ctx)
	if err != nil {
		return db.Translate(err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return ErrPasskeyCloned
	}
	return nil
}

// RemovePasskey removes one of userID's passkeys (after the caller
// re-authenticated them); another's, or none, is db.ErrNotFound.
func (s *Store) RemovePasskey(ctx context.Context, userID, id string) error {
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var rows []passkeyRow
		if err := tx.NewDelete().Model((*passkeyRow)(nil)).Where("id = ? AND user_id = ?", id, userID).Returning("name").Scan(ctx, &rows); err != nil &&
			!errors.Is(db.Translate(err), db.ErrNotFound) {
			return db.Translate(err)
		}
		if len(rows) == 0 {
			return db.ErrNotFound
		}
		return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionPasskeyRemove, EntityType: "person", EntityID: userID,
			After: map[string]any{"name": rows[0].Name, "passkey": id}})
	})
}

// HasPasskey reports whether userID has at least one passkey.
func (s *Store) HasPasskey(ctx context.Context, userID string) (bool, error) {
	n, err := s.DB.NewSelect().Model((*passkeyRow)(nil)).Where("user_id = ?", userID).Count(ctx)
	return n > 0, db.Translate(err)
}

// SaveCeremony keeps a ceremony's challenge under key (the person's id
// for a registration, a browser's secret for a login) until it is taken.
func (s *Store) SaveCeremony(key string, sd *webauthn.SessionData) error {
	b, err := json.Marshal(sd)
	if err != nil {
		return err
	}
	return s.pendingKV().Set("webauthn:"+HashSecret(key), b, CeremonyLifetime)
}

// TakeCeremony returns the challenge kept under key and forgets it, so a
// challenge answers one ceremony only (a replay finds nothing:
// ErrPasskeyRefused).
func (s *Store) TakeCeremony(key string) (*webauthn.SessionData, error) {
	kv := s.pendingKV()
	k := "webauthn:" + HashSecret(key)
	b, err := kv.Get(k)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, ErrPasskeyRefused
	}
	if err := kv.Delete(k); err != nil {
		return nil, err
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal(b, &sd); err != nil {
		return nil, err
	}
	if !sd.Expires.IsZero() && s.now().After(sd.Expires) {
		return nil, ErrPasskeyRefused
	}
	return &sd, nil
}
