package accounts_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// TestSelectWalksEveryoneOnceInNameOrder: walking a selection by keyset,
// two at a time, yields each selected person once, in (name, id) order,
// also when names repeat across a batch boundary; the filters hold.
func TestSelectWalksEveryoneOnceInNameOrder(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s, _ := newStore(d)
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
			p, err := s.Create(ctx, accounts.NewPerson{Email: fmt.Sprintf("p%d@x.test", i), Name: n, Roles: []accounts.Role{accounts.RoleApprentice},
				SiteIDs: []string{east.ID}})
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
		sel := accounts.Selection{Role: accounts.RoleApprentice, SiteIDs: []string{east.ID}}
		if n, err := s.CountSelected(ctx, sel); err != nil || n != len(names) {
			t.Fatalf("count %d %v, want %d", n, err, len(names))
		}
		var got []*accounts.Person
		var after *accounts.Cursor
		for {
			batch, err := s.Select(ctx, sel, after, 0, 2)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, batch...)
			if len(batch) < 2 {
				break
			}
			after = accounts.CursorOf(batch[len(batch)-1])
		}
		if len(got) != len(names) {
			t.Fatalf("walked %d people, want %d", len(got), len(names))
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
