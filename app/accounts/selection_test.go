package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// selectionFixture creates seven apprentices of one site, four of them
// with the same name and some with an employee id, plus people a
// selection of apprentices of that site must leave out; it returns that
// selection and the ids it holds.
func selectionFixture(t *testing.T, s *accounts.Store) (accounts.Selection, map[string]bool) {
	t.Helper()
	ctx := context.Background()
	east, err := s.CreateSite(ctx, "East")
	if err != nil {
		t.Fatal(err)
	}
	west, err := s.CreateSite(ctx, "West")
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"Kim Lee", "Ana Diaz", "Kim Lee", "Kim Lee", "Bo Chen", "Zoe Ray", "Kim Lee"}
	want := map[string]bool{}
	for i, n := range names {
		np := accounts.NewPerson{Email: fmt.Sprintf("p%d@x.test", i), Name: n, Roles: []accounts.Role{accounts.RoleApprentice},
			SiteIDs: []string{east.ID}}
		if i%2 == 0 {
			np.EmployeeID = fmt.Sprintf("E%03d", i)
		}
		p, err := s.Create(ctx, np)
		if err != nil {
			t.Fatal(err)
		}
		want[p.ID] = true
	}
	// Not selected: another role, another site.
	if _, err := s.Create(ctx, accounts.NewPerson{Email: "rn@x.test", Name: "Kim Lee", Roles: []accounts.Role{accounts.RolePreceptor}, SiteIDs: []string{east.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, accounts.NewPerson{Email: "w@x.test", Name: "Kim Lee", Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: []string{west.ID}}); err != nil {
		t.Fatal(err)
	}
	return accounts.Selection{Role: accounts.RoleApprentice, SiteIDs: []string{east.ID}}, want
}

// walkKeyset walks a selection with Select, size people at a time, each
// batch starting after the last person of the one before.
func walkKeyset(t *testing.T, s *accounts.Store, sel accounts.Selection, size int) []*accounts.Person {
	t.Helper()
	var all []*accounts.Person
	var after *accounts.Cursor
	for {
		batch, err := s.Select(context.Background(), sel, after, 0, size)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, batch...)
		if len(batch) < size {
			return all
		}
		after = accounts.CursorOf(batch[len(batch)-1])
	}
}

// TestSelectWalksEveryoneOnceInNameOrder: walking a selection by keyset,
// two at a time, yields each selected person once, in (name, id) order,
// also when names repeat across a batch boundary; the filters hold.
func TestSelectWalksEveryoneOnceInNameOrder(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s, _ := newStore(d)
		ctx := context.Background()
		sel, want := selectionFixture(t, s)
		total := len(want)
		if n, err := s.CountSelected(ctx, sel); err != nil || n != total {
			t.Fatalf("count %d %v, want %d", n, err, total)
		}
		got := walkKeyset(t, s, sel, 2)
		if len(got) != total {
			t.Fatalf("walked %d people, want %d", len(got), total)
		}
		for i, p := range got {
			if !want[p.ID] {
				t.Fatalf("%s (%s) is not selected, or came twice", p.Name, p.Email)
			}
			delete(want, p.ID)
			if i > 0 && (got[i-1].Name > p.Name || (got[i-1].Name == p.Name && got[i-1].ID >= p.ID)) {
				t.Fatalf("out of order: %s %s then %s %s", got[i-1].Name, got[i-1].ID, p.Name, p.ID)
			}
			if len(p.Roles) != 1 || len(p.SiteIDs) != 1 {
				t.Fatalf("roles and sites not attached: %+v", p)
			}
		}
		// An empty list of sites or ids selects nobody (not everybody).
		for _, sel := range []accounts.Selection{{SiteIDs: []string{}}, {IDs: []string{}}} {
			if n, err := s.CountSelected(ctx, sel); err != nil || n != 0 {
				t.Fatalf("%+v selects %d (%v)", sel, n, err)
			}
		}
	})
}

// EachSelected, the one-statement walk of exports, selects exactly whom
// the keyset walk selects, in the same order, in batches of the size
// asked, with each person's id, name and employee id.
func TestEachSelectedWalksAsSelectDoes(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s, _ := newStore(d)
		ctx := context.Background()
		sel, want := selectionFixture(t, s)
		keyset := walkKeyset(t, s, sel, 3)
		var got []*accounts.Person
		var sizes []int
		if err := s.EachSelected(ctx, sel, 3, func(batch []*accounts.Person) error {
			sizes = append(sizes, len(batch))
			got = append(got, batch...)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(sizes) != "[3 3 1]" {
			t.Errorf("batches of %v, want [3 3 1]", sizes)
		}
		if len(got) != len(want) || len(keyset) != len(want) {
			t.Fatalf("walked %d people, the keyset walk %d, want %d", len(got), len(keyset), len(want))
		}
		withEmployeeID := 0
		for i, p := range got {
			k := keyset[i]
			if p.ID != k.ID || p.Name != k.Name || p.EmployeeID != k.EmployeeID {
				t.Fatalf("person %d: %+v, the keyset walk has %+v", i, p, k)
			}
			if p.EmployeeID != "" {
				withEmployeeID++
			}
		}
		if withEmployeeID != 4 {
			t.Errorf("%d people with their employee id, want 4", withEmployeeID)
		}
		// The walk stops at fn's first error and returns it.
		stop := errors.New("stop")
		calls := 0
		if err := s.EachSelected(ctx, sel, 2, func([]*accounts.Person) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
			t.Fatalf("fn's error: %v after %d calls", err, calls)
		}
		// Empty lists select nobody; fn is never called.
		for _, sel := range []accounts.Selection{{SiteIDs: []string{}}, {IDs: []string{}}, {Role: accounts.RoleAdmin}} {
			if err := s.EachSelected(ctx, sel, 2, func(b []*accounts.Person) error {
				t.Errorf("%+v selects %d", sel, len(b))
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// The walk holds no connection while fn works: an export's fn reads each
// batch's records on other connections, and walks that each held one
// could take the whole pool. With a pool of one connection, fn can still
// query.
func TestEachSelectedHoldsNoConnectionDuringFn(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s, _ := newStore(d)
		sel, want := selectionFixture(t, s)
		d.DB.DB.SetMaxOpenConns(1)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		seen := 0
		if err := s.EachSelected(ctx, sel, 3, func(batch []*accounts.Person) error {
			ids := make([]string, len(batch))
			for i, p := range batch {
				ids[i] = p.ID
			}
			people, err := s.ByIDs(ctx, ids)
			seen += len(people)
			return err
		}); err != nil {
			t.Fatalf("a query inside fn with a pool of one connection: %v", err)
		}
		if seen != len(want) {
			t.Fatalf("read %d people inside fn, want %d", seen, len(want))
		}
	})
}

// SelectAll returns a whole selection past the page limit (a site of
// 1,001 apprentices), each person once with roles and sites, and List
// answers a limit above the maximum with a full page, not a small one.
func TestSelectAllReadsPastThePageLimit(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, _ := newStore(d)
		ctx := context.Background()
		site, err := s.CreateSite(ctx, "Eastside")
		if err != nil {
			t.Fatal(err)
		}
		const n = 2*accounts.MaxListLimit + 1
		people := make([]accounts.Person, n)
		for i := range people {
			// Every fifth name repeats, so pages split people of one name.
			people[i] = accounts.Person{ID: accounts.NewID(), Email: fmt.Sprintf("a%d@clinic.example", i), Name: fmt.Sprint("Apprentice ", i%(n/5)),
				Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: []string{site.ID}, CreatedAt: time.Now()}
		}
		if err := accounts.InsertPeople(ctx, db.Batches{IDB: d.DB, Size: 200}, people, ""); err != nil {
			t.Fatal(err)
		}
		got, err := s.SelectAll(ctx, accounts.Selection{Role: accounts.RoleApprentice, SiteIDs: []string{site.ID}})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, p := range got {
			if seen[p.ID] || len(p.SiteIDs) != 1 || len(p.Roles) != 1 {
				t.Fatalf("%s came twice or without its roles and sites: %+v", p.Email, p)
			}
			seen[p.ID] = true
		}
		if len(seen) != n {
			t.Fatalf("SelectAll returned %d people, want %d", len(seen), n)
		}
		page, total, err := s.List(ctx, accounts.ListFilter{Limit: 10 * accounts.MaxListLimit})
		if err != nil || len(page) != accounts.MaxListLimit || total != n {
			t.Fatalf("List with a large limit: %d of %d (%v), want %d of %d", len(page), total, err, accounts.MaxListLimit, n)
		}
	})
}
