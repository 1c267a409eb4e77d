package accounts

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/db"
)

// ActionPersonSync: a directory (an identity provider that is the source
// of truth) changed a person's name, roles or sites.
const ActionPersonSync = "person.sync"

// HasPassword reports whether userID has a password set (a person made
// by single sign-on has none).
func (s *Store) HasPassword(ctx context.Context, userID string) (bool, error) {
	n, err := s.DB.NewSelect().Model((*userRow)(nil)).Where("id = ? AND password_hash <> ''", userID).Count(ctx)
	return n > 0, db.Translate(err)
}

// SyncFromDirectory sets p's name, roles and sites to what a directory
// says, when they differ, audited (as via) in the same transaction. At
// least one role is kept: a directory that gives none is refused by the
// caller before this.
func (s *Store) SyncFromDirectory(ctx context.Context, p *Person, name string, roles []Role, siteIDs []string, via string) (bool, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = p.Name
	}
	if len(roles) == 0 {
		return false, fmt.Errorf("sync person %s: no role", p.ID)
	}
	sortedRoles, sortedSites := sortedSet(roles), sortedSet(siteIDs)
	had, hadSites := sortedSet(p.Roles), sortedSet(p.SiteIDs)
	if name == p.Name && slices.Equal(had, sortedRoles) && slices.Equal(hadSites, sortedSites) {
		return false, nil
	}
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Model((*userRow)(nil)).Set("name = ?", name).Set("updated_at = ?", s.now()).
			Where("id = ?", p.ID).Exec(ctx); err != nil {
			return err
		}
		if err := replaceRolesAndSites(ctx, tx, p.ID, sortedRoles, sortedSites); err != nil {
			return err
		}
		type view struct {
			Name    string   `json:"name"`
			Roles   []Role   `json:"roles"`
			SiteIDs []string `json:"site_ids"`
			Via     string   `json:"via,omitempty"`
		}
		return s.record(ctx, tx, ActionPersonSync, "person", p.ID, view{Name: p.Name, Roles: had, SiteIDs: hadSites},
			view{Name: name, Roles: sortedRoles, SiteIDs: sortedSites, Via: via})
	})
	if err != nil {
		return false, fmt.Errorf("sync person %s: %w", p.ID, db.Translate(err))
	}
	return true, nil
}
