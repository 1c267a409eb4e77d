package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// InsertPeople through db.Batches writes in the caller's transaction (a
// rollback leaves nobody), in several statements, each person once with
// their roles and sites; ByEmployeeIDs and ByEmails find them again.
func TestInsertPeopleInTheCallersTransaction(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, _ := newStore(d)
		ctx := context.Background()
		east, err := s.CreateSite(ctx, "Eastside")
		if err != nil {
			t.Fatal(err)
		}
		west, err := s.CreateSite(ctx, "Westside")
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
		var people []accounts.Person
		for i := range 7 {
			people = append(people, accounts.Person{ID: accounts.NewID(), Email: fmt.Sprintf("p%d@clinic.example", i), Name: fmt.Sprint("Person ", i),
				EmployeeID: fmt.Sprint("E", i), Roles: []accounts.Role{accounts.RoleApprentice, accounts.RoleApprentice},
				SiteIDs: []string{west.ID, east.ID, west.ID}, CreatedAt: at})
		}
		people[0].Credential, people[0].Roles = "RN", []accounts.Role{accounts.RolePreceptor, accounts.RoleApprentice}
		write := func(fail bool) error {
			return d.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
				if err := accounts.InsertPeople(ctx, db.Batches{IDB: tx, Size: 3}, people, ""); err != nil {
					return err
				}
				if fail {
					return errors.New("the caller gives up")
				}
				return nil
			})
		}
		if err := write(true); err == nil {
			t.Fatal("the failed transaction committed")
		}
		if got, err := s.ByEmployeeIDs(ctx, []string{"E0", "E6"}); err != nil || len(got) != 0 {
			t.Fatalf("after the rollback: %v, %v", got, err)
		}
		if err := write(false); err != nil {
			t.Fatal(err)
		}
		got, err := s.ByEmployeeIDs(ctx, []string{"E6", "E0", "nobody"})
		if err != nil || len(got) != 2 {
			t.Fatalf("by employee id: %v, %v", got, err)
		}
		slices.SortFunc(got, func(a, b *accounts.Person) int { return strings.Compare(a.EmployeeID, b.EmployeeID) })
		sites := []string{east.ID, west.ID}
		slices.Sort(sites)
		if p := got[0]; p.ID != people[0].ID || p.Credential != "RN" || !slices.Equal(p.Roles, []accounts.Role{accounts.RoleApprentice, accounts.RolePreceptor}) ||
			!slices.Equal(p.SiteIDs, sites) || !p.CreatedAt.Equal(at) {
			t.Fatalf("E0 read back as %+v", p)
		}
		if p := got[1]; p.Credential != "none" || !slices.Equal(p.Roles, []accounts.Role{accounts.RoleApprentice}) || p.Email != "p6@clinic.example" {
			t.Fatalf("E6 read back as %+v", p)
		}
		byEmail, err := s.ByEmails(ctx, []string{"p3@clinic.example", "nobody@clinic.example"})
		if err != nil || len(byEmail) != 1 || byEmail[0].EmployeeID != "E3" || len(byEmail[0].SiteIDs) != 2 {
			t.Fatalf("by email: %v, %v", byEmail, err)
		}
		if _, err := s.Authenticate(ctx, "p3@clinic.example", goodPassword); err == nil {
			t.Fatal("a person inserted without a password logged in")
		}
		if err := write(false); !errors.Is(db.Translate(err), db.ErrConflict) {
			t.Fatalf("the same people again: %v", err)
		}
	})
}
