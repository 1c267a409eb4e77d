// Package demo seeds a made-up organisation for trying Skillgate: two
// clinics, every role, apprentices at different stages, and the shipped
// Medical Assistant Apprenticeship program, published.
package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/curriculum"
)

// Password is every demo account's password.
const Password = "skillgate-demo-2026"

// ErrNotDemo: the database holds data that --demo did not create, which
// demo seeding must never mix with.
var ErrNotDemo = errors.New("this database already holds real (non-demo) data; --demo only seeds an empty database. Use another SKILLGATE_DATA_DIR or database for the demo")

// Account is one demo login.
type Account struct {
	Email, Name, Credential string
	Roles                   []accounts.Role
	Site                    int // index into Sites
	// EmployeeID is the organisation's id for the person (HR matches
	// imports on it); HiredMonthsAgo dates a staff member's hire from the
	// seeding day (0 for an apprentice: seedStages records theirs, the
	// day their enrollment gives).
	EmployeeID     string
	HiredMonthsAgo int
}

// Sites are the demo clinics.
var Sites = []string{"Riverside Family Medicine", "Northgate Pediatrics"}

// Accounts are the demo logins, listed in the README.
var Accounts = []Account{
	{"admin@demo.test", "Alex Morgan", "none", []accounts.Role{accounts.RoleAdmin}, 0, "E1001", 96},
	{"director@demo.test", "Dana Whitfield", "RN", []accounts.Role{accounts.RoleDirector}, 0, "E1002", 72},
	{"preceptor@demo.test", "Priya Raman", "RN", []accounts.Role{accounts.RolePreceptor}, 0, "E1003", 48},
	{"physician@demo.test", "Dr. Marcus Hale", "MD", []accounts.Role{accounts.RolePreceptor}, 0, "E1004", 60},
	{"hr@demo.test", "Helen Ortiz", "none", []accounts.Role{accounts.RoleHR}, 0, "E1005", 36},
	{"apprentice@demo.test", "Jordan Lee", "none", []accounts.Role{accounts.RoleApprentice}, 0, "E2001", 0},
	{"apprentice2@demo.test", "Sam Carter", "none", []accounts.Role{accounts.RoleApprentice}, 0, "E2002", 0},
	{"apprentice3@demo.test", "Riley Nguyen", "none", []accounts.Role{accounts.RoleApprentice}, 1, "E2003", 0},
	{"graduate@demo.test", "Casey Brooks", "CCMA", []accounts.Role{accounts.RoleApprentice}, 1, "E2004", 0},
}

const metaKey = "demo"

// Seed fills an empty database with the demo organisation. On a database
// it seeded before it does nothing; on one holding other data it refuses
// with ErrNotDemo and changes nothing.
func Seed(ctx context.Context, d *db.DB, store *accounts.Store) (seeded bool, err error) {
	// Everything seeded is the system's doing, whoever started the server.
	ctx = audit.WithActor(ctx, audit.System("demo seed"))
	var marker int
	if err := d.NewRaw("SELECT COUNT(*) FROM app_meta WHERE key = ?", metaKey).Scan(ctx, &marker); err != nil {
		return false, fmt.Errorf("check demo marker: %w", db.Translate(err))
	}
	if marker > 0 {
		return false, nil
	}
	n, err := store.Count(ctx)
	if err != nil {
		return false, err
	}
	if n > 0 {
		return false, ErrNotDemo
	}
	// One transaction: a failure half-way leaves the database empty, so the
	// next start can seed it again.
	err = d.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		st := store.WithTx(tx)
		siteIDs := make([]string, len(Sites))
		for i, name := range Sites {
			s, err := st.CreateSite(ctx, name)
			if err != nil {
				return err
			}
			siteIDs[i] = s.ID
		}
		for _, a := range Accounts {
			sites := []string{siteIDs[a.Site]}
			if a.Roles[0] == accounts.RoleAdmin || a.Roles[0] == accounts.RoleHR || a.Roles[0] == accounts.RoleDirector {
				sites = siteIDs
			}
			var hired string
			if a.HiredMonthsAgo > 0 {
				hired = curriculum.DateOf(store.Now(), nil).AddMonths(-a.HiredMonthsAgo).String()
			}
			if _, err := st.Create(ctx, accounts.NewPerson{Email: a.Email, Name: a.Name, Credential: a.Credential,
				EmployeeID: a.EmployeeID, HireDate: hired, Roles: a.Roles, SiteIDs: sites, Password: Password, DemoPassword: true}); err != nil {
				return fmt.Errorf("demo account %s: %w", a.Email, err)
			}
		}
		ma, err := curriculum.MedicalAssistantProgram()
		if err != nil {
			return err
		}
		if !ma.IsPublished() {
			if err := ma.Publish(store.Now()); err != nil {
				return fmt.Errorf("publish the shipped program: %w", err)
			}
		}
		progs := programs.NewStore(tx)
		sv, err := progs.Create(ctx, ma, "")
		if err != nil {
			return fmt.Errorf("load the shipped program: %w", err)
		}
		if err := seedStages(ctx, tx, st, progs, sv.ID, siteIDs, curriculum.DateOf(store.Now(), nil)); err != nil {
			return fmt.Errorf("demo apprentices: %w", err)
		}
		if _, err := tx.NewRaw("INSERT INTO app_meta (key, value) VALUES (?, 'true')", metaKey).Exec(ctx); err != nil {
			return fmt.Errorf("mark demo database: %w", db.Translate(err))
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("seed demo: %w", err)
	}
	return true, nil
}
