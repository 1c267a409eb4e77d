package server_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
)

// Issue 22: an integrator holding only an API token enrolls a person. The
// version id POST /enrollments needs comes from GET /programs (and the
// version document), not from a page or the database.
func TestAPIIntegratorEnrollsWithVersionIDFromProgramList(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		site := people["apprentice@demo.test"].SiteIDs[0]
		ma, err := e.store.Create(t.Context(), accounts.NewPerson{Email: "newhire@demo.test", Name: "Noa Hale",
			Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: []string{site}})
		if err != nil {
			t.Fatal(err)
		}
		_, tok, err := e.store.CreateToken(t.Context(), people["director@demo.test"].ID, "sis", 24*3600e9)
		if err != nil {
			t.Fatal(err)
		}

		r := apiCall(e, "GET", "/api/v1/programs", tok, "")
		var list struct {
			Programs []struct {
				ID       string
				Versions []struct {
					ID     string
					Number int
					Status string
				}
			}
		}
		decode(t, r, &list)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("GET /programs: %d %s", r.StatusCode, r.body)
		}
		var programID, versionID string
		var number int
	find:
		for _, p := range list.Programs {
			for _, v := range p.Versions {
				if v.ID == "" {
					t.Fatalf("a listed version has no id: %s", r.body)
				}
				if v.Status == "published" {
					programID, versionID, number = p.ID, v.ID, v.Number
					break find
				}
			}
		}
		if versionID == "" {
			t.Fatalf("no published version with an id in GET /programs: %s", r.body)
		}

		// The version document names the same id.
		r = apiCall(e, "GET", fmt.Sprintf("/api/v1/programs/%s/versions/%d", programID, number), tok, "")
		var doc struct {
			VersionID string `json:"version_id"`
		}
		decode(t, r, &doc)
		if r.StatusCode != http.StatusOK || doc.VersionID != versionID {
			t.Fatalf("version document: %d, version_id %q, want %q", r.StatusCode, doc.VersionID, versionID)
		}

		today := orgToday(e)
		r = apiCall(e, "POST", "/api/v1/enrollments", tok, fmt.Sprintf(`{"idempotency_key":"sis-enroll-noa","person_id":%q,"version_id":%q,"site_id":%q,"start_date":%q}`,
			ma.ID, versionID, site, today))
		var got struct {
			ID           string
			ApprenticeID string `json:"apprentice_id"`
			VersionID    string `json:"version_id"`
		}
		decode(t, r, &got)
		if r.StatusCode != http.StatusCreated || got.ID == "" || got.ApprenticeID != ma.ID || got.VersionID != versionID {
			t.Fatalf("enroll with the listed version id: %d %s", r.StatusCode, r.body)
		}

		// The new enrollment is there when the integrator asks for the person's.
		r = apiCall(e, "GET", "/api/v1/enrollments?person="+ma.ID, tok, "")
		var ens struct {
			Enrollments []struct{ ID string }
		}
		decode(t, r, &ens)
		if r.StatusCode != http.StatusOK || len(ens.Enrollments) != 1 || ens.Enrollments[0].ID != got.ID {
			t.Fatalf("GET /enrollments?person: %d %s", r.StatusCode, r.body)
		}
	})
}
