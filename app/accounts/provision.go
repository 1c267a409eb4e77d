package accounts

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/db"
)

// UpdateIdentity changes a person's email (their login) and name, as an
// identity provider does when it provisions a rename. Either may be left
// empty to keep it. The change is audited with both values before and after;
// an email another account has is db.ErrConflict.
func (s *Store) UpdateIdentity(ctx context.Context, userID, email, name string) error {
	email, name = NormalizeEmail(email), strings.TrimSpace(name)
	if email != "" && !strings.Contains(email, "@") {
		return fmt.Errorf("update person: email %q is not an email address", email)
	}
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var was userRow
		if err := tx.NewSelect().Model(&was).Column("email", "name").Where("id = ?", userID).Scan(ctx); err != nil {
			return db.Translate(err)
		}
		if email == "" {
			email = was.Email
		}
		if name == "" {
			name = was.Name
		}
		if email == was.Email && name == was.Name {
			return nil
		}
		_, err := tx.NewUpdate().Model((*userRow)(nil)).Set("email = ?", email).Set("name = ?", name).
			Set("updated_at = ?", s.now()).Where("id = ?", userID).Exec(ctx)
		if err != nil {
			return db.Translate(err)
		}
		return s.record(ctx, tx, ActionPersonUpdate, "person", userID,
			map[string]any{"email": was.Email, "name": was.Name}, map[string]any{"email": email, "name": name})
	})
}

// SetRolesAndSites replaces a person's roles and sites, as an identity
// provider's groups decide them (an empty list takes every role or site
// away). Nothing is written when both are unchanged; otherwise the change is
// audited in its transaction.
func (s *Store) SetRolesAndSites(ctx context.Context, userID string, roles []Role, siteIDs []string) error {
	roles, siteIDs = slices.Clone(roles), slices.Clone(siteIDs)
	slices.Sort(roles)
	roles = slices.Compact(roles)
	slices.Sort(siteIDs)
	siteIDs = slices.Compact(siteIDs)
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		p, err := s.WithTx(tx).ByID(ctx, userID)
		if err != nil {
			return err
		}
		if slices.Equal(p.Roles, roles) && slices.Equal(p.SiteIDs, siteIDs) {
			return nil
		}
		if _, err := tx.NewDelete().Model((*roleRow)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
			return db.Translate(err)
		}
		if _, err := tx.NewDelete().Model((*userSiteRow)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
			return db.Translate(err)
		}
		if err := writeRolesAndSites(ctx, tx, userID, roles, siteIDs); err != nil {
			return db.Translate(err)
		}
		if _, err := tx.NewUpdate().Model((*userRow)(nil)).Set("updated_at = ?", s.now()).Where("id = ?", userID).Exec(ctx); err != nil {
			return db.Translate(err)
		}
		return s.record(ctx, tx, ActionPersonRoles, "person", userID,
			map[string]any{"roles": nonNil(p.Roles), "site_ids": nonNil(p.SiteIDs)},
			map[string]any{"roles": nonNil(roles), "site_ids": nonNil(siteIDs)})
	})
}

// nonNil shows an empty list as [] rather than null in the audit trail.
func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
