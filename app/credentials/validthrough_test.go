package credentials_test

import (
	"context"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/auth/password"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/curriculum"
)

// A card printed "valid through 06/2026" is stored as valid to 30 June.
func TestValidThroughMonthIsTheMonthEnd(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := context.Background()
		acc := accounts.NewStore(d)
		acc.Hasher = password.Hasher{Params: password.TestParams}
		p, err := acc.Create(ctx, accounts.NewPerson{Email: "vt@x.test", Name: "Val Thru", Roles: []accounts.Role{accounts.RoleApprentice}})
		if err != nil {
			t.Fatal(err)
		}
		s := credentials.NewStore(d)
		r, err := s.Add(ctx, credentials.NewRecord{PersonID: p.ID, TypeCode: "BLS", IssuedOn: curriculum.MustParseDate("2024-06-03"),
			ExpiresOn: curriculum.MustParseDate("2026-06-15"), ValidThroughMonth: true})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.ByID(ctx, r.ID)
		if err != nil || got.ExpiresOn != curriculum.MustParseDate("2026-06-30") || !got.ValidThroughMonth {
			t.Fatalf("stored %+v, %v", got, err)
		}
	})
}
