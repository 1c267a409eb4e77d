// Package sso holds what single sign-on does whatever the protocol
// (OpenID Connect in app/sso/oidc, SAML 2.0 in app/sso/saml): who a verified answer from
// an identity provider is in Skillgate (a link from the provider's subject
// to a person, made by a verified email or by just-in-time creation from
// the group mapping of app/sso/groupmap), an administrator's mapping, the
// pending redirects to the provider (flows), and the check that an answer
// re-authenticated the signer for a signature (step-up). It owns the
// tables sso_identities, sso_flows and sso_settings (migration 0022).
package sso

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/sso/groupmap"
	"github.com/skillgate/skillgate/errkind"
)

// Claims is what a verified answer from an identity provider says about
// the person who signed in there.
type Claims struct {
	// Issuer and Subject name the person at the provider; together they
	// are the link to a Skillgate person.
	Issuer, Subject string
	Email           string
	// EmailVerified: the provider vouches for Email (OIDC email_verified).
	EmailVerified bool
	Name          string
	// Groups are the values of the groups claim (SKILLGATE_SSO_GROUPS_CLAIM).
	Groups []string
	// AuthTime is when the person last typed their credentials at the
	// provider (OIDC auth_time, SAML AuthnInstant); zero when not said.
	AuthTime time.Time
	// Protocol is "oidc" or "saml", for the audit trail and signatures.
	Protocol string
}

// Errors a person can meet; each says what to do.
var (
	// ErrNotProvisioned: no person is linked or has the email, and the
	// person's groups give no role, so nobody was created.
	ErrNotProvisioned = errkind.New(errkind.Forbidden, "You signed in at your organisation, but Skillgate has no account for you and your groups give none: ask your administrator.")
	// ErrEmailNotVerified: a person has this email, but the provider does
	// not vouch for it, so the sign-in is not linked to them.
	ErrEmailNotVerified = errkind.New(errkind.Forbidden, "A Skillgate account has your email, but your identity provider does not say the email is verified, so it was not linked to your sign-in: ask your administrator.")
	// ErrLinkedElsewhere: the person with this email is already linked to
	// another account at the same provider.
	ErrLinkedElsewhere = errkind.New(errkind.Conflict, "The Skillgate account with your email is already linked to another sign-in at your identity provider: ask your administrator.")
	// ErrNoEmail: the provider gave no email, which a new account needs.
	ErrNoEmail = errkind.New(errkind.Forbidden, "Your identity provider did not give Skillgate your email address, so no account could be found or made: ask your administrator.")
	// ErrFlowGone: the answer matches no pending sign-in (expired, used,
	// or from another browser).
	ErrFlowGone = errkind.New(errkind.Unauthenticated, "This sign-in took too long, was already used or was started in another browser. Start again.")
	// ErrStaleAuth: the provider did not ask for the credentials again
	// after the signing began.
	ErrStaleAuth = errkind.New(errkind.Unauthenticated, "Your identity provider did not ask for your credentials again for this signature (it answered with an earlier sign-in), so nothing was signed. Sign again and type your credentials when asked.")
	// ErrOtherSubject: the provider answered for someone else.
	ErrOtherSubject = errkind.New(errkind.Forbidden, "You re-authenticated at your identity provider as someone other than the person signing, so nothing was signed. Sign in there as yourself and sign again.")
	// ErrUnknownSite: the mapping gives a site Skillgate does not have;
	// nothing is created rather than a person with fewer sites.
	ErrUnknownSite = errkind.New(errkind.Forbidden, "Your groups give you a site Skillgate does not have, so no account was made: ask your administrator to correct the group mapping.")
	// ErrNotLinked: the signer has no link to this provider, so it cannot
	// re-authenticate them.
	ErrNotLinked = errkind.New(errkind.Forbidden, "Your account is not linked to your organisation's sign-in, so it cannot re-authenticate you for a signature. Sign with your password or passkey.")
)

// FlowLifetime is how long an answer from the provider is awaited.
const FlowLifetime = 10 * time.Minute

// Audit actions.
const (
	ActionLink     = "sso.link"
	ActionUnlink   = "sso.unlink"
	ActionSettings = "sso.settings"
)

// Service is single sign-on over the accounts store.
type Service struct {
	// DB is the database (or a transaction).
	DB       bun.IDB
	Accounts *accounts.Store
	Audit    *audit.Log
	// Now is the clock.
	Now func() time.Time
	// TrustEmail links an existing person by email even when the provider
	// does not mark it verified (SKILLGATE_SSO_TRUST_EMAIL).
	TrustEmail bool
	// Mapping is SKILLGATE_SSO_GROUP_MAP's, in force until an
	// administrator saves one.
	Mapping groupmap.Map
}

func (s *Service) now() time.Time { return s.Now().UTC() }

type identityRow struct {
	bun.BaseModel `bun:"table:sso_identities"`
	Issuer        string     `bun:"issuer,pk"`
	Subject       string     `bun:"subject,pk"`
	UserID        string     `bun:"user_id"`
	Email         string     `bun:"email"`
	CreatedAt     time.Time  `bun:"created_at"`
	LastLoginAt   *time.Time `bun:"last_login_at"`
}

// Identity is a person's link to a subject at an identity provider.
type Identity struct {
	Issuer, Subject, UserID, Email string
	CreatedAt                      time.Time
	LastLoginAt                    *time.Time
}

func (r identityRow) identity() Identity {
	return Identity{Issuer: r.Issuer, Subject: r.Subject, UserID: r.UserID, Email: r.Email, CreatedAt: r.CreatedAt, LastLoginAt: r.LastLoginAt}
}

// linkView is a link as the audit trail shows it.
type linkView struct {
	Issuer  string `json:"issuer"`
	Subject string `json:"subject"`
	UserID  string `json:"user_id"`
	Email   string `json:"email"`
	How     string `json:"how,omitempty"`
}

// SignIn returns the person c is: the linked one; or, at the first
// sign-in, the person with c's email, linked now when the provider
// verified it or TrustEmail is set; or a person created now with the
// roles and sites c's groups map to. Otherwise ErrNotProvisioned and
// nothing is written. When the administrator made the provider the
// source of truth, a linked person's name, roles and sites follow c.
func (s *Service) SignIn(ctx context.Context, c Claims) (*accounts.Person, error) {
	if c.Issuer == "" || c.Subject == "" {
		return nil, errors.New("sso: claims without issuer or subject")
	}
	set, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	var row identityRow
	err = s.DB.NewSelect().Model(&row).Where("issuer = ? AND subject = ?", c.Issuer, c.Subject).Scan(ctx)
	switch err = db.Translate(err); {
	case err == nil:
		return s.signInLinked(ctx, row, c, set)
	case !errors.Is(err, db.ErrNotFound):
		return nil, err
	}
	email := accounts.NormalizeEmail(c.Email)
	if email == "" {
		return nil, ErrNoEmail
	}
	existing, err := s.Accounts.ByEmail(ctx, email)
	switch {
	case err == nil:
		return s.linkExisting(ctx, existing, c, set)
	case !errors.Is(err, db.ErrNotFound):
		return nil, err
	}
	roles, siteIDs, err := s.grants(ctx, set.Mapping, c.Groups)
	if err != nil {
		return nil, err
	}
	if len(roles) == 0 {
		return nil, ErrNotProvisioned
	}
	name := strings.TrimSpace(c.Name)
	if name == "" {
		name = email
	}
	var p *accounts.Person
	err = s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if p, err = s.Accounts.WithTx(tx).Create(ctx, accounts.NewPerson{Email: email, Name: name, Roles: roles, SiteIDs: siteIDs}); err != nil {
			return err
		}
		return s.link(ctx, tx, c, p.ID, email, "created from the group mapping")
	})
	if err != nil {
		return nil, fmt.Errorf("sso: create %s: %w", email, err)
	}
	return p, nil
}

func (s *Service) signInLinked(ctx context.Context, row identityRow, c Claims, set Settings) (*accounts.Person, error) {
	p, err := s.Accounts.ByID(ctx, row.UserID)
	if err != nil {
		return nil, err
	}
	if p.Disabled() {
		return nil, accounts.ErrAccountDisabled
	}
	if err := s.follow(ctx, p, c, set); err != nil {
		return nil, err
	}
	now := s.now()
	if _, err := s.DB.NewUpdate().Model((*identityRow)(nil)).Set("last_login_at = ?", now).
		Where("issuer = ? AND subject = ?", row.Issuer, row.Subject).Exec(ctx); err != nil {
		return nil, db.Translate(err)
	}
	return s.Accounts.ByID(ctx, p.ID)
}

// follow makes p's name, roles and sites those of c when the provider is
// the source of truth; a person whose groups no longer give a role may not
// sign in (their roles are left as they were, for an administrator).
func (s *Service) follow(ctx context.Context, p *accounts.Person, c Claims, set Settings) error {
	if !set.IdPIsSource {
		return nil
	}
	roles, siteIDs, err := s.grants(ctx, set.Mapping, c.Groups)
	if err != nil {
		return err
	}
	if len(roles) == 0 {
		return ErrNotProvisioned
	}
	_, err = s.Accounts.SyncFromDirectory(ctx, p, c.Name, roles, siteIDs, "sso:"+c.Protocol)
	return err
}

func (s *Service) linkExisting(ctx context.Context, p *accounts.Person, c Claims, set Settings) (*accounts.Person, error) {
	how := "email verified by the identity provider"
	switch {
	case c.EmailVerified:
	case s.TrustEmail:
		how = "email trusted (SKILLGATE_SSO_TRUST_EMAIL)"
	default:
		return nil, ErrEmailNotVerified
	}
	if p.Disabled() {
		return nil, accounts.ErrAccountDisabled
	}
	n, err := s.DB.NewSelect().Model((*identityRow)(nil)).Where("user_id = ? AND issuer = ?", p.ID, c.Issuer).Count(ctx)
	if err != nil {
		return nil, db.Translate(err)
	}
	if n > 0 {
		return nil, ErrLinkedElsewhere
	}
	if err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return s.link(ctx, tx, c, p.ID, p.Email, how)
	}); err != nil {
		return nil, err
	}
	if err := s.follow(ctx, p, c, set); err != nil {
		return nil, err
	}
	return s.Accounts.ByID(ctx, p.ID)
}

func (s *Service) link(ctx context.Context, tx bun.IDB, c Claims, userID, email, how string) error {
	now := s.now()
	row := &identityRow{Issuer: c.Issuer, Subject: c.Subject, UserID: userID, Email: email, CreatedAt: now, LastLoginAt: &now}
	if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
		return db.Translate(err)
	}
	return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionLink, EntityType: "person", EntityID: userID,
		After: linkView{Issuer: c.Issuer, Subject: c.Subject, UserID: userID, Email: email, How: how}})
}

// grants resolves what groups give under m: roles, and the ids of the
// sites (every site for *). A site the mapping names that does not exist
// is ErrUnknownSite: better no account than one with fewer sites.
func (s *Service) grants(ctx context.Context, m groupmap.Map, groups []string) ([]accounts.Role, []string, error) {
	g := m.Resolve(groups)
	if g.Empty() {
		return nil, nil, nil
	}
	sites, err := s.Accounts.Sites(ctx)
	if err != nil {
		return nil, nil, err
	}
	byName := make(map[string]string, len(sites))
	for _, site := range sites {
		byName[site.Name] = site.ID
	}
	ids, missing := g.SiteIDs(byName)
	if len(missing) > 0 {
		return nil, nil, ErrUnknownSite
	}
	return g.Roles, ids, nil
}

// Identities lists userID's links.
func (s *Service) Identities(ctx context.Context, userID string) ([]Identity, error) {
	var rows []identityRow
	if err := s.DB.NewSelect().Model(&rows).Where("user_id = ?", userID).Order("issuer").Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	out := make([]Identity, len(rows))
	for i, r := range rows {
		out[i] = r.identity()
	}
	return out, nil
}

// Unlink removes userID's link to issuer, audited: their next sign-in
// there links or creates afresh. There is no way to point a link at
// another person: links are made only by the person's own sign-in.
func (s *Service) Unlink(ctx context.Context, userID, issuer string) error {
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var row identityRow
		if err := tx.NewSelect().Model(&row).Where("user_id = ? AND issuer = ?", userID, issuer).Scan(ctx); err != nil {
			return db.Translate(err)
		}
		if _, err := tx.NewDelete().Model((*identityRow)(nil)).Where("issuer = ? AND subject = ?", row.Issuer, row.Subject).Exec(ctx); err != nil {
			return db.Translate(err)
		}
		return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionUnlink, EntityType: "person", EntityID: userID,
			Before: linkView{Issuer: row.Issuer, Subject: row.Subject, UserID: row.UserID, Email: row.Email}})
	})
}

// CheckStepUp checks that c re-authenticated signerID for a signature
// begun at started: c's subject is the one linked to signerID at c's
// issuer (ErrNotLinked, ErrOtherSubject), and the provider asked for the
// credentials at or after started (ErrStaleAuth; auth_time has whole
// seconds, so the start is compared to the second).
func (s *Service) CheckStepUp(ctx context.Context, signerID string, c Claims, started time.Time) error {
	var row identityRow
	err := s.DB.NewSelect().Model(&row).Where("user_id = ? AND issuer = ?", signerID, c.Issuer).Scan(ctx)
	if err = db.Translate(err); errors.Is(err, db.ErrNotFound) {
		return ErrNotLinked
	} else if err != nil {
		return err
	}
	if row.Subject != c.Subject {
		return ErrOtherSubject
	}
	if c.AuthTime.IsZero() || c.AuthTime.Before(started.UTC().Truncate(time.Second)) {
		return ErrStaleAuth
	}
	return nil
}

// Method is how a signature re-authenticated by c is recorded:
// "<protocol>: re-authenticated at <provider> at <auth time, UTC>".
func Method(c Claims, provider string) string {
	return fmt.Sprintf("%s: re-authenticated at %s at %s", c.Protocol, provider, c.AuthTime.UTC().Format(time.RFC3339))
}

// IsLinked reports whether userID is linked to issuer.
func (s *Service) IsLinked(ctx context.Context, userID, issuer string) (bool, error) {
	n, err := s.DB.NewSelect().Model((*identityRow)(nil)).Where("user_id = ? AND issuer = ?", userID, issuer).Count(ctx)
	return n > 0, db.Translate(err)
}
