package accounts

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/errkind"
)

// UpdateIdentity changes a person's email (their login) and name, as an
// identity provider does when it provisions a rename. Either may be left
// empty to keep it. The change is audited with both values before and after;
// an email another account has is db.ErrConflict.
func (s *Store) UpdateIdentity(ctx context.Context, userID, email, name string) error {
	email, name = NormalizeEmail(email), strings.TrimSpace(name)
	if email != "" && !strings.Contains(email, "@") {
		// The callers check first; a caller that did not still gets a
		// message for the user, on the field, not a server error.
		return errkind.BadFields(map[string]string{"email": "Enter an email address, such as name@clinic.org."})
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
	roles, siteIDs = sortedSet(roles), sortedSet(siteIDs)
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		p, err := s.WithTx(tx).ByID(ctx, userID)
		if err != nil {
			return err
		}
		if slices.Equal(p.Roles, roles) && slices.Equal(p.SiteIDs, siteIDs) {
			return nil
		}
		if err := replaceRolesAndSites(ctx, tx, userID, roles, siteIDs); err != nil {
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

// replaceRolesAndSites makes roles and siteIDs a person's only roles and
// sites, inside the caller's transaction (SetRolesAndSites for SCIM,
// SyncFromDirectory for sign-in).
func replaceRolesAndSites(ctx context.Context, tx bun.IDB, userID string, roles []Role, siteIDs []string) error {
	if _, err := tx.NewDelete().Model((*roleRow)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return err
	}
	if _, err := tx.NewDelete().Model((*userSiteRow)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return err
	}
	return writeRolesAndSites(ctx, tx, userID, roles, siteIDs)
}

// sortedSet returns xs sorted without repeats (a new slice).
func sortedSet[T cmp.Ordered](xs []T) []T {
	return slices.Compact(slices.Sorted(slices.Values(xs)))
}

// nonNil shows an empty list as [] rather than null in the audit trail.
func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// PersonEdit is what an administrator sets of a person after creating
// them: the fields of the new-person form but the credential and password.
type PersonEdit struct {
	Name, Email, EmployeeID string
	Roles                   []Role
	SiteIDs                 []string
}

// Edit sets a person's name, email, employee id (empty: none), roles and
// sites in one transaction, through UpdateIdentity and SetRolesAndSites
// (each audited when it changes something) and an audited employee-id
// change. An email or employee id another person has is db.ErrConflict.
// The caller checks the values (the new-person form's rules).
func (s *Store) Edit(ctx context.Context, userID string, e PersonEdit) error {
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		st := s.WithTx(tx)
		if err := st.UpdateIdentity(ctx, userID, e.Email, e.Name); err != nil {
			return err
		}
		var was userRow
		if err := tx.NewSelect().Model(&was).Column("employee_id").Where("id = ?", userID).Scan(ctx); err != nil {
			return db.Translate(err)
		}
		var emp *string
		if v := strings.TrimSpace(e.EmployeeID); v != "" {
			emp = &v
		}
		if (was.EmployeeID == nil) != (emp == nil) || emp != nil && *emp != *was.EmployeeID {
			if _, err := tx.NewUpdate().Model((*userRow)(nil)).Set("employee_id = ?", emp).Set("updated_at = ?", s.now()).
				Where("id = ?", userID).Exec(ctx); err != nil {
				return db.Translate(err)
			}
			if err := s.record(ctx, tx, ActionEmployeeID, "person", userID, map[string]any{"employee_id": was.EmployeeID},
				map[string]any{"employee_id": emp}); err != nil {
				return err
			}
		}
		return st.SetRolesAndSites(ctx, userID, e.Roles, e.SiteIDs)
	})
}
