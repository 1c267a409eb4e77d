package server_test

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
)

// TestReportsWhoSeesWhom: every report's workbook holds exactly the people
// the reader may see: admins, HR and directors their sites' apprentices
// (one site when filtered; a site that is not theirs is refused), preceptors
// the apprentices of their enrollments, an apprentice only themselves.
func TestReportsWhoSeesWhom(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		ctx := context.Background()
		riverside, northgate := people["apprentice@demo.test"].SiteIDs[0], people["apprentice3@demo.test"].SiteIDs[0]
		// HR for Northgate only.
		if _, err := e.store.Create(ctx, accounts.NewPerson{Email: "hr-north@demo.test", Name: "Nora North", Roles: []accounts.Role{accounts.RoleHR},
			SiteIDs: []string{northgate}, Password: testPassword}); err != nil {
			t.Fatal(err)
		}
		// Whom each preceptor precepts, read from the enrollments.
		precepted := func(email string) []string {
			ens, err := evidence.NewStore(e.db).Enrollments(ctx, evidence.EnrollmentFilter{PreceptorID: people[email].ID})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, en := range ens {
				for _, p := range people {
					if p.ID == en.ApprenticeID && !slices.Contains(names, p.Name) {
						names = append(names, p.Name)
					}
				}
			}
			slices.Sort(names)
			return names
		}
		all := []string{"Casey Brooks", "Jordan Lee", "Riley Nguyen", "Sam Carter"}
		cases := []struct {
			who, password, query string
			want                 []string
		}{
			{"admin@demo.test", demo.Password, "", all},
			{"hr@demo.test", demo.Password, "", all},
			{"director@demo.test", demo.Password, "", all},
			{"director@demo.test", demo.Password, "?site=" + riverside, []string{"Jordan Lee", "Sam Carter"}},
			{"hr-north@demo.test", testPassword, "", []string{"Casey Brooks", "Riley Nguyen"}},
			{"hr-north@demo.test", testPassword, "?site=" + riverside, nil}, // not her site: refused below
			{"preceptor@demo.test", demo.Password, "", precepted("preceptor@demo.test")},
			{"physician@demo.test", demo.Password, "", precepted("physician@demo.test")},
			{"apprentice@demo.test", demo.Password, "", []string{"Jordan Lee"}},
			{"graduate@demo.test", demo.Password, "", []string{"Casey Brooks"}},
		}
		for _, c := range cases {
			cl := e.client()
			cl.login(c.who, c.password)
			for _, rep := range []struct{ path, sheet string }{{"certifications", "Certifications"}, {"clearances", "Clearances"}, {"progress", "Progress"}} {
				if c.want == nil && c.query != "" {
					// A site the reader may not see is refused as an unknown one.
					r := cl.get("/reports/" + rep.path + ".xlsx" + c.query)
					if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "that you may see") || strings.Contains(r.body, "Jordan Lee") {
						t.Errorf("%s, %s%s: %d, want 400 and a message", c.who, rep.path, c.query, r.StatusCode)
					}
					continue
				}
				rows, _ := openXLSX(t, cl.get("/reports/"+rep.path+".xlsx"+c.query)).GetRows(rep.sheet)
				seen := map[string]bool{}
				for _, r := range rows[1:] {
					seen[r[0]] = true
				}
				got := slices.Sorted(maps.Keys(seen))
				if strings.Join(got, ", ") != strings.Join(c.want, ", ") {
					t.Errorf("%s, %s%s: %v, want %v", c.who, rep.path, c.query, got, c.want)
				}
			}
		}
		if len(precepted("preceptor@demo.test")) == 0 || len(precepted("physician@demo.test")) == len(all) {
			t.Fatal("the demo's preceptors no longer make a useful case")
		}
	})
}
