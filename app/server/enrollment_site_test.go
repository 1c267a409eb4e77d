package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// dualFixture is the route × role fixture plus Dana, an apprentice who
// belongs to both clinics (Riverside, the callers' own, and Northgate) and
// is enrolled at Northgate only, with a newer program version published
// so that a move is possible.
type dualFixture struct {
	*accessFixture
	dana       *accounts.Person
	enrollment string // Dana's enrollment, at Northgate
	newer      string // the newer published version's id
}

func newDualFixture(t *testing.T, e *env) *dualFixture {
	t.Helper()
	ctx := context.Background()
	f := newAccessFixture(t, e)
	dana, err := e.store.Create(ctx, accounts.NewPerson{Email: "dana@demo.test", Name: "Dana Dual", Roles: []accounts.Role{accounts.RoleApprentice},
		SiteIDs: []string{f.site["own"], f.site["other"]}, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	progs := programs.NewStore(e.db)
	svc := evidence.NewService(e.db, progs)
	svc.Now, svc.Credentials.Now = e.clock.Now, e.clock.Now
	ens, err := svc.Store.Enrollments(ctx, evidence.EnrollmentFilter{ApprenticeIDs: []string{f.people["apprentice3@demo.test"].ID}})
	if err != nil || len(ens) != 1 {
		t.Fatalf("Riley's enrollment: %v %v", ens, err)
	}
	today := curriculum.DateOf(e.clock.Now(), e.cfg.Location())
	en, _, err := svc.Enroll(ctx, assessments.Enrollment{ApprenticeID: dana.ID, VersionID: ens[0].VersionID, SiteID: f.site["other"],
		HireDate: today.AddDays(-30), StartDate: today.AddDays(-30), PreceptorIDs: []string{f.people["physician@demo.test"].ID},
		IdempotencyKey: "dual-site-enroll"}, f.people["director@demo.test"].ID)
	if err != nil {
		t.Fatal(err)
	}
	draft, err := progs.StartDraft(ctx, f.own["program"], "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := progs.Publish(ctx, draft.ID, draft.LockVersion, ""); err != nil {
		t.Fatal(err)
	}
	return &dualFixture{accessFixture: f, dana: dana, enrollment: en.ID, newer: draft.ID}
}

// reportPaths are every report's page and workbook, optionally filtered.
func reportPaths(query string) []string {
	var out []string
	for _, r := range []string{"certifications", "clearances", "signoffs", "progress", "hours"} {
		out = append(out, "/reports/"+r+query, "/reports/"+r+".xlsx"+query)
	}
	return out
}

// reportText is what a report shows: the page, or every cell of the
// workbook's first sheet.
func reportText(t *testing.T, r response) string {
	t.Helper()
	if !strings.Contains(r.Header.Get("Content-Type"), "spreadsheetml") {
		return r.body
	}
	x := openXLSX(t, r)
	rows, err := x.GetRows(x.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, row := range rows {
		b.WriteString(strings.Join(row, "\t") + "\n")
	}
	return b.String()
}

// TestPersonLevelRoutesApplyTheEnrollmentRule: staff of Riverside may see
// Dana (she belongs to Riverside too) but not her enrollment, which is at
// Northgate. No person-level route shows that enrollment to them (its id,
// its decisions, its required credentials, report rows), the move preview
// and the move itself are 404 and change nothing; a director of both
// clinics sees all of it, so the fixture is one where there is something
// to hide.
func TestPersonLevelRoutesApplyTheEnrollmentRule(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		f := newDualFixture(t, e)
		dana := url.PathEscape(f.dana.ID)
		// Every person-level route of the table, and the API's ?person= reads.
		paths := map[string]string{}
		person := regexp.MustCompile(`\{(own_)?person\}`)
		for _, rule := range accessRules {
			if rule.method == "GET" && person.MatchString(rule.path) && !strings.Contains(rule.path, "{record}") {
				paths[person.ReplaceAllString(rule.path, dana)] = rule.want
			}
		}
		if len(paths) < 6 {
			t.Fatalf("only %d person-level reads in the route table", len(paths))
		}
		for _, r := range []role{prec, dir, hr, token} {
			c := f.clients[r]
			for path := range paths {
				res := f.send(c, r, "GET", path)
				if strings.Contains(res.body, f.enrollment) || strings.Contains(res.body, `"required":[{`) {
					t.Errorf("GET %s as %s (%d) shows the Northgate enrollment", path, roleNames[r], res.StatusCode)
				}
			}
			if res := f.send(c, r, "GET", "/api/v1/clearances?person="+dana); res.StatusCode != http.StatusNotFound {
				t.Errorf("clearances of Dana as %s: %d, want 404", roleNames[r], res.StatusCode)
			}
			if res := f.send(c, r, "GET", "/people/"+dana+"/clearance"); res.StatusCode != http.StatusOK ||
				!strings.Contains(res.body, "not at a site you may see") || strings.Contains(res.body, "Version 2 of this program is published") {
				t.Errorf("Dana's clearance page as %s: %d, shows the Northgate enrollment", roleNames[r], res.StatusCode)
			}
			if res := f.send(c, r, "GET", "/api/v1/clearances?site="+f.site["own"]); res.StatusCode != http.StatusOK || strings.Contains(res.body, "Dana Dual") {
				t.Errorf("Riverside's matrix as %s: %d, lists Dana", roleNames[r], res.StatusCode)
			}
			for _, path := range append(reportPaths(""), reportPaths("?site="+f.site["own"])...) {
				res := f.send(c, r, "GET", path)
				if res.StatusCode != http.StatusOK || strings.Contains(reportText(t, res), "Dana Dual") {
					t.Errorf("%s as %s: %d, lists Dana's Northgate enrollment", path, roleNames[r], res.StatusCode)
				}
			}
		}
		// The director of Riverside may not move her Northgate enrollment.
		c := f.clients[dir]
		if res := f.send(c, dir, "GET", "/people/"+dana+"/move"); res.StatusCode != http.StatusNotFound {
			t.Errorf("move preview of Dana as Riverside's director: %d, want 404", res.StatusCode)
		}
		before := snapshot(t, e.db)
		res := c.post("/people/"+dana+"/move", url.Values{"key": {"move-dual-site-1"}, "to": {f.newer}})
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("move of Dana as Riverside's director: %d, want 404", res.StatusCode)
		}
		if snapshot(t, e.db) != before {
			t.Error("the refused move changed the database")
		}

		// The demo director runs both clinics: everything above is there for them.
		both := f.newClient(t, dir, "director@demo.test")
		if res := both.get("/api/v1/enrollments?person=" + dana); !strings.Contains(res.body, f.enrollment) {
			t.Fatalf("the director of both clinics does not see Dana's enrollment: %d %s", res.StatusCode, res.body)
		}
		if res := both.get("/api/v1/clearances?person=" + dana); res.StatusCode != http.StatusOK {
			t.Fatalf("the director of both clinics: Dana's clearances %d", res.StatusCode)
		}
		for _, path := range []string{"/reports/clearances", "/reports/certifications.xlsx", "/reports/progress.xlsx?site=" + f.site["other"]} {
			if res := both.get(path); !strings.Contains(reportText(t, res), "Dana Dual") {
				t.Errorf("%s as the director of both clinics: Dana missing", path)
			}
		}
		if res := both.get("/people/" + dana + "/move"); res.StatusCode != http.StatusOK {
			t.Fatalf("move preview as the director of both clinics: %d", res.StatusCode)
		}
	})
}

// TestReportRefusesAnotherSite: a report filtered to a site the caller may
// not see is refused, with the same message as an unknown site, on the page
// and the workbook, for every kind of caller (before, staff got an empty
// report and apprentices and preceptors their own rows).
func TestReportRefusesAnotherSite(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		f := newAccessFixture(t, e)
		for _, r := range []role{appr, grad, prec, dir, hr, token} {
			site := f.site["other"]
			if r == grad { // Casey's own site is Northgate
				site = f.site["own"]
			}
			for _, path := range reportPaths("?site=" + site) {
				res := f.send(f.clients[r], r, "GET", path)
				if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, "that you may see") {
					t.Errorf("%s as %s: %d, want 400 and the message", path, roleNames[r], res.StatusCode)
				}
				for _, name := range []string{"Jordan Lee", "Casey Brooks", "Riley Nguyen", "Sam Carter"} {
					// (A page names the caller in its header.)
					if strings.Contains(res.body, name) && (r != appr || name != "Jordan Lee") && (r != grad || name != "Casey Brooks") {
						t.Errorf("%s as %s shows %s", path, roleNames[r], name)
					}
				}
			}
		}
		// The admin may filter to any site; nobody may name an unknown one.
		for _, path := range reportPaths("?site=" + f.site["other"]) {
			if res := f.send(f.clients[admin], admin, "GET", path); res.StatusCode != http.StatusOK {
				t.Errorf("%s as admin: %d", path, res.StatusCode)
			}
		}
		if res := f.send(f.clients[admin], admin, "GET", "/reports/hours?site=no-such-site"); res.StatusCode != http.StatusBadRequest {
			t.Errorf("unknown site as admin: %d", res.StatusCode)
		}
	})
}
