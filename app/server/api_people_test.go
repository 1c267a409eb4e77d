package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit/audittest"
)

// Issue 22: people are created and changed through the API by the rules
// of the people and hire-date pages, each change audited as the caller.
func TestAPICreatesAndChangesPeople(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		token := func(p *accounts.Person) string {
			_, tok, err := e.store.CreateToken(ctx, p.ID, "hris", 24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		adminP := e.person("admin@example.test", accounts.RoleAdmin)
		admin, hr := token(adminP), token(e.person("hr@example.test", accounts.RoleHR))
		want := func(r response, status int, inBody string) {
			t.Helper()
			if r.StatusCode != status || !strings.Contains(r.body, inBody) {
				t.Fatalf("%d %s, want %d with %q", r.StatusCode, r.body, status, inBody)
			}
		}

		newHire := `{"name":"Noa Hale","email":"Noa@Example.test","employee_id":"E-100","credential":"cma","roles":["apprentice"],"site_ids":["` + e.siteID + `"]}`
		want(apiCall(e, "POST", "/api/v1/people", hr, newHire), http.StatusForbidden, "")
		r := apiCall(e, "POST", "/api/v1/people", admin, newHire)
		want(r, http.StatusCreated, `"email":"noa@example.test"`)
		var noa struct{ ID string }
		decode(t, r, &noa)
		if a := audittest.Last(t, e.db, accounts.ActionPersonCreate); a.EntityID != noa.ID || a.Actor != adminP.ID {
			t.Fatalf("audit entry %+v, want person.create of %s by the admin", a, noa.ID)
		}
		// The page's rules: one person per email, known credentials and sites, a role.
		want(apiCall(e, "POST", "/api/v1/people", admin, newHire), http.StatusConflict, `"email":`)
		want(apiCall(e, "POST", "/api/v1/people", admin, `{"name":"X","email":"x@example.test","credential":"nurse","roles":["hr"]}`), http.StatusBadRequest, `"credential":`)
		want(apiCall(e, "POST", "/api/v1/people", admin, `{"name":"X","email":"x@example.test","roles":["hr"],"site_ids":["nowhere"]}`), http.StatusBadRequest, `"site_ids":`)
		want(apiCall(e, "POST", "/api/v1/people", admin, `{"name":"X","email":"x@example.test","roles":[]}`), http.StatusBadRequest, `"roles":`)

		// A hire date needs its reason; HR may change it, only an admin disables.
		path := "/api/v1/people/" + noa.ID
		want(apiCall(e, "PATCH", path, hr, `{"hire_date":"2026-03-02"}`), http.StatusBadRequest, `"reason":`)
		want(apiCall(e, "PATCH", path, hr, `{"hire_date":"2026-03-02","reason":"offer letter"}`), http.StatusOK, `"id":"`+noa.ID+`"`)
		if a := audittest.Last(t, e.db, accounts.ActionHireDate); a.EntityID != noa.ID || !strings.Contains(a.After, "offer letter") {
			t.Fatalf("audit entry %+v, want the hire date change with its reason", a)
		}
		want(apiCall(e, "PATCH", path, hr, `{"disabled":true}`), http.StatusForbidden, "")
		want(apiCall(e, "PATCH", path, admin, `{"disabled":true,"hire_date":"2026-03-03","reason":"x"}`), http.StatusBadRequest, "one kind of change")
		want(apiCall(e, "PATCH", path, admin, `{"disabled":true}`), http.StatusOK, `"disabled":true`)
		if a := audittest.Last(t, e.db, accounts.ActionPersonDisable); a.EntityID != noa.ID || a.Actor != adminP.ID {
			t.Fatalf("audit entry %+v, want person.disable of %s by the admin", a, noa.ID)
		}
		// Name, email, employee id, roles and sites: an admin's, by the
		// new-person form's rules; what is left out keeps its value.
		want(apiCall(e, "PATCH", path, hr, `{"name":"Noa Hale-Ito"}`), http.StatusForbidden, "")
		want(apiCall(e, "PATCH", path, admin, `{"email":"not-an-email"}`), http.StatusBadRequest, `"email":`)
		want(apiCall(e, "PATCH", path, admin, `{"roles":[]}`), http.StatusBadRequest, `"roles":`)
		want(apiCall(e, "PATCH", path, admin, `{"site_ids":["nowhere"]}`), http.StatusBadRequest, `"site_ids":`)
		want(apiCall(e, "PATCH", path, admin, `{"email":"admin@example.test"}`), http.StatusConflict, `"email":`)
		want(apiCall(e, "PATCH", path, admin, `{"name":"Noa Hale-Ito","email":"noa.ito@example.test","employee_id":"E-101","roles":["apprentice","hr"]}`),
			http.StatusOK, `"employee_id":"E-101","credential":"CMA","roles":["apprentice","hr"],"site_ids":["`+e.siteID+`"]`)
		for _, action := range []string{accounts.ActionPersonUpdate, accounts.ActionEmployeeID, accounts.ActionPersonRoles} {
			if a := audittest.Last(t, e.db, action); a.EntityID != noa.ID || a.Actor != adminP.ID {
				t.Fatalf("audit entry %+v, want %s of %s by the admin", a, action, noa.ID)
			}
		}
		want(apiCall(e, "PATCH", "/api/v1/people/"+adminP.ID, admin, `{"disabled":true}`), http.StatusUnprocessableEntity, "your own account")
		// Nor takes the administrator role from themself; the rest of their
		// own record they may change.
		want(apiCall(e, "PATCH", "/api/v1/people/"+adminP.ID, admin, `{"roles":["director"]}`), http.StatusBadRequest, "administrator role from yourself")
		want(apiCall(e, "PATCH", "/api/v1/people/"+adminP.ID, admin, `{"roles":["admin","director"]}`), http.StatusOK, `"roles":["admin","director"]`)
		if got, err := e.store.ByID(ctx, adminP.ID); err != nil || !got.Has(accounts.RoleAdmin) {
			t.Fatalf("admin's roles after the refused change: %+v, %v", got, err)
		}
		want(apiCall(e, "PATCH", "/api/v1/people/nobody", admin, `{"disabled":false}`), http.StatusNotFound, "")
	})
}
