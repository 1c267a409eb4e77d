package accounts

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/skillgate/skillgate/app/db"
)

// InsertPeople writes new people with their roles and sites through w:
// the one way many people are added at once, by the HR import (w a
// db.Batches in its transaction) and by skillgate seed --scale (a bulk
// loader). They all get passwordHash, computed once by the caller (empty:
// nobody can log in until sent a set-password link; for the seeder,
// hashing tens of thousands of passwords with argon2id would take hours
// and prove nothing). The caller chooses ids and creation times, and
// records them in the audit trail; emails must already be normalised.
// Repeated roles and sites are written once. A hire date given starts the
// person's hire-date history, with the reason "import".
func InsertPeople(ctx context.Context, l db.Inserter, people []Person, passwordHash string) error {
	users := make([]userRow, 0, len(people))
	var roles []roleRow
	var sites []userSiteRow
	var hires []HireDateChange
	for i := range people {
		p := &people[i]
		if p.ID == "" || p.Email != NormalizeEmail(p.Email) || !strings.Contains(p.Email, "@") {
			return fmt.Errorf("insert people: %q needs an id and a normalised email", p.Email)
		}
		cred, err := ParseCredential(p.Credential)
		if err != nil {
			return fmt.Errorf("insert people: %s: %w", p.Email, err)
		}
		row := userRow{ID: p.ID, Email: p.Email, Name: p.Name, Credential: cred, PasswordHash: passwordHash,
			CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.CreatedAt.UTC()}
		if p.EmployeeID != "" {
			e := p.EmployeeID
			row.EmployeeID = &e
		}
		if p.HireDate != "" {
			h := p.HireDate
			row.HireDate = &h
			hires = append(hires, *hireDateRow(ctx, p.ID, h, ReasonImport, p.CreatedAt))
		}
		users = append(users, row)
		for i, r := range p.Roles {
			if !slices.Contains(p.Roles[:i], r) {
				roles = append(roles, roleRow{UserID: p.ID, Role: string(r)})
			}
		}
		for i, s := range p.SiteIDs {
			if !slices.Contains(p.SiteIDs[:i], s) {
				sites = append(sites, userSiteRow{UserID: p.ID, SiteID: s})
			}
		}
	}
	for _, rows := range []any{&users, &roles, &sites, &hires} {
		if _, err := l.Insert(ctx, rows); err != nil {
			return err
		}
	}
	return nil
}

// InsertSites writes sites through a bulk loader; the caller chooses ids.
func InsertSites(ctx context.Context, l db.Inserter, sites []Site) error {
	_, err := l.Insert(ctx, &sites)
	return err
}
