package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/demo"
)

// TestHRImportCreatesOnlyRolesBelowHR: HR's import may not create
// directors, HR or preceptors (by default only apprentices): the preview
// names the row and nothing can be confirmed; with
// SKILLGATE_IMPORT_ROLES=apprentice,preceptor a preceptor may be imported,
// never a director; the administrator's import may create any role.
func TestHRImportCreatesOnlyRolesBelowHR(t *testing.T) {
	header := "employee_id,name,email,role,site\n"
	row := func(emp, role string) string {
		return emp + ",Person " + emp + "," + strings.ToLower(emp) + "@demo.test," + role + ",Riverside Family Medicine\n"
	}
	for _, tt := range []struct {
		setting string
		allowed []string // roles HR's import may create
	}{
		{"", []string{"apprentice"}},
		{"apprentice,preceptor", []string{"apprentice", "preceptor"}},
	} {
		t.Run("roles="+tt.setting, func(t *testing.T) {
			dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
				t.Parallel()
				e := newEnvWith(t, d, map[string]string{"SKILLGATE_TRUSTED_PROXIES": "0.0.0.0", "SKILLGATE_IMPORT_ROLES": tt.setting})
				withDemo(t, e)
				hr := e.client()
				hr.login("hr@demo.test", demo.Password)
				hr.get("/hr/import")
				for _, role := range []string{"apprentice", "preceptor", "director", "hr"} {
					emp := "IMP-" + strings.ToUpper(role)
					r := postMultipart(hr, "/hr/import", nil, []byte(header+row(emp, role)), "staff.csv")
					upload := regexpFind(`name="upload" value="([^"]+)"`, r.body)
					want := strings.Contains(strings.Join(tt.allowed, ","), role)
					if want != (r.StatusCode == http.StatusOK && upload != "") {
						t.Errorf("setting %q, HR importing a %s: %d (upload %v), want allowed=%v", tt.setting, role, r.StatusCode, upload != "", want)
					}
					if !want && !strings.Contains(r.body, "only an administrator can create") {
						t.Errorf("setting %q, HR importing a %s: the preview does not say why", tt.setting, role)
					}
					if want {
						if c := hr.post("/hr/import/confirm", map[string][]string{"upload": {upload}}); c.StatusCode != http.StatusOK {
							t.Errorf("setting %q, confirming a %s: %d", tt.setting, role, c.StatusCode)
						}
					}
					p, err := e.store.ByEmail(t.Context(), strings.ToLower(emp)+"@demo.test")
					if created := err == nil && p != nil; created != want {
						t.Errorf("setting %q, HR importing a %s: created=%v", tt.setting, role, created)
					}
				}
				// The administrator's import may make a director.
				admin := e.client()
				admin.login("admin@demo.test", demo.Password)
				admin.get("/hr/import")
				r := postMultipart(admin, "/hr/import", nil, []byte(header+row("ADM-DIR", "director")), "staff.csv")
				if upload := regexpFind(`name="upload" value="([^"]+)"`, r.body); r.StatusCode != http.StatusOK || upload == "" {
					t.Errorf("setting %q, the administrator importing a director: %d", tt.setting, r.StatusCode)
				}
			})
		})
	}
}
