package credentials_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// TestImportRolesBelowHR: an import by HR may create only people with the
// roles its scope allows (apprentices by default; preceptors when the
// administrator allows them), never directors, HR or administrators; Apply
// refuses the same rows, and an applied import's audit entry records the
// roles that were allowed.
func TestImportRolesBelowHR(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := context.Background()
		im, hr := org(t, d)
		row := func(emp, role string) []string {
			return []string{emp, "Person " + emp, emp + "@clinic.example", role, "Main Street", "", "", "", "", "", "", "", ""}
		}
		data := csvBytes(t, header, row("A1", "apprentice"), row("P1", "preceptor"), row("D1", "director"), row("H1", "hr"), row("X1", "apprentice;director"))
		sites, err := accounts.NewStore(d).Sites(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var main string
		for _, s := range sites {
			if s.Name == "Main Street" {
				main = s.ID
			}
		}
		for _, tt := range []struct {
			roles   []accounts.Role
			refused []int // rows with a role problem
		}{
			{nil, []int{3, 4, 5, 6}},
			{[]accounts.Role{accounts.RoleApprentice, accounts.RolePreceptor}, []int{4, 5, 6}},
		} {
			im.Scope = &credentials.Scope{SiteIDs: []string{main}, Roles: tt.roles}
			p, err := im.Preview(ctx, "staff.csv", bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Problems) != len(tt.refused) {
				t.Errorf("roles %v: problems %v, want rows %v", tt.roles, p.Problems, tt.refused)
			}
			for _, r := range tt.refused {
				if !hasProblem(p, r, "role", "only an administrator can create") {
					t.Errorf("roles %v: row %d is not refused: %v", tt.roles, r, p.Problems)
				}
			}
			p.Problems = nil // Apply checks again
			if _, err := im.Apply(ctx, p, hr.ID); err == nil {
				t.Fatalf("roles %v: an import over the limit was applied", tt.roles)
			}
		}
		for _, email := range []string{"D1@clinic.example", "H1@clinic.example", "P1@clinic.example", "A1@clinic.example"} {
			if p, _ := accounts.NewStore(d).ByEmail(ctx, email); p != nil {
				t.Errorf("%s was created by a refused import", email)
			}
		}
		// Within the limit: applied, and the trail says what was allowed.
		im.Scope = &credentials.Scope{SiteIDs: []string{main}, Roles: []accounts.Role{accounts.RoleApprentice, accounts.RolePreceptor}}
		p, err := im.Preview(ctx, "staff.csv", bytes.NewReader(csvBytes(t, header, row("A1", "apprentice"), row("P1", "preceptor"))))
		if err != nil || !p.OK() {
			t.Fatalf("preview: %v %v", err, p.Problems)
		}
		if _, err := im.Apply(ctx, p, hr.ID); err != nil {
			t.Fatal(err)
		}
		entry := audittest.Value(t, audittest.Last(t, d, credentials.ActionImportApply).After)
		if got := fmt.Sprint(entry["roles_allowed"]); got != "[apprentice preceptor]" {
			t.Errorf("roles_allowed in the audit entry: %s", got)
		}
	})
}
