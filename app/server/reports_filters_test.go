package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// secondProgram stores a phlebotomy-track program whose venipuncture also
// requires a CPT card, and enrolls a new apprentice, Pat Quinn, in it at
// Jordan's site. It returns the new program's id and the demo program's.
func secondProgram(t *testing.T, e *env, people map[string]*accounts.Person) (string, string) {
	t.Helper()
	ctx := context.Background()
	progs := programs.NewStore(e.db)
	list, err := progs.List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("programs: %v %v", list, err)
	}
	v, err := curriculum.MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	v.Program.Code, v.Program.Title = "MA-PHLEB", "Medical Assistant, phlebotomy track"
	for i := range v.Program.Tasks {
		if v.Program.Tasks[i].Code == "VENIPUNCTURE" {
			v.Program.Tasks[i].Credentials = append(v.Program.Tasks[i].Credentials, curriculum.CredentialRequirement{Credential: "CPT"})
		}
	}
	if !v.IsPublished() {
		if err := v.Publish(e.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	sv, err := progs.Create(ctx, v, "")
	if err != nil {
		t.Fatal(err)
	}
	jordan := people["apprentice@demo.test"]
	pat, err := e.store.Create(ctx, accounts.NewPerson{Email: "pat@demo.test", Name: "Pat Quinn", Roles: []accounts.Role{accounts.RoleApprentice},
		SiteIDs: jordan.SiteIDs})
	if err != nil {
		t.Fatal(err)
	}
	hire := curriculum.DateOf(e.clock.Now(), e.cfg.Location()).AddMonths(-2)
	if _, _, err := evidence.NewService(e.db, progs).Enroll(ctx, assessments.Enrollment{ApprenticeID: pat.ID, VersionID: sv.ID,
		SiteID: jordan.SiteIDs[0], HireDate: hire, StartDate: hire, Status: assessments.EnrollmentActive, IdempotencyKey: "pat-phleb"},
		people["director@demo.test"].ID); err != nil {
		t.Fatal(err)
	}
	return sv.ProgramID, list[0].ID
}

func TestReportsProgramFilter(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		phleb, ma := secondProgram(t, e, people)
		hr := e.client()
		hr.login("hr@demo.test", demo.Password)

		// The phlebotomy track: only Pat, with BLS and the CPT it requires.
		page := hr.get("/reports/certifications?program=" + phleb)
		if page.StatusCode != http.StatusOK || !strings.Contains(page.body, "Pat Quinn") || strings.Contains(page.body, "Jordan Lee") {
			t.Fatalf("certifications of the phlebotomy track: %d\n%s", page.StatusCode, e.logText())
		}
		if !strings.Contains(page.body, `<option value="`+phleb+`" selected>Medical Assistant, phlebotomy track (MA-PHLEB)</option>`) {
			t.Fatal("the program select does not show the chosen program")
		}
		f := openXLSX(t, hr.get("/reports/certifications.xlsx?program="+phleb))
		rows, _ := f.GetRows("Certifications")
		creds := map[string]string{}
		for _, r := range rows[1:] {
			if r[0] != "Pat Quinn" {
				t.Fatalf("a row outside the program: %q", r)
			}
			creds[r[3]] = r[7]
		}
		if len(creds) != 2 || creds["Certified Phlebotomy Technician (NHA)"] != "Missing" || !strings.HasPrefix(creds["Basic Life Support (AHA or equivalent)"], "Missing, within grace") {
			t.Fatalf("Pat's required credentials: %q", creds)
		}
		about, _ := f.GetRows("About")
		if !aboutHas(about, "Filter", "Program: Medical Assistant, phlebotomy track (MA-PHLEB)") {
			t.Fatalf("the About sheet does not name the program: %q", about)
		}

		// The demo program: everyone but Pat, and no CPT row.
		f = openXLSX(t, hr.get("/reports/certifications.xlsx?program="+ma))
		rows, _ = f.GetRows("Certifications")
		names := map[string]bool{}
		for _, r := range rows[1:] {
			names[r[0]] = true
			if strings.Contains(r[3], "Phlebotomy") {
				t.Fatalf("a credential the program does not require: %q", r)
			}
		}
		if names["Pat Quinn"] || !names["Jordan Lee"] || !names["Riley Nguyen"] {
			t.Fatalf("people in the demo program's report: %v", names)
		}
		// Without a filter: both programs, and the About sheet says so.
		f = openXLSX(t, hr.get("/reports/certifications.xlsx"))
		rows, _ = f.GetRows("Certifications")
		if len(rows) != len(names)+1+2 {
			t.Fatalf("unfiltered: %d rows, want %d", len(rows), len(names)+3)
		}
		about, _ = f.GetRows("About")
		if !aboutHas(about, "Filter", "Program: every program") {
			t.Fatalf("About sheet without a program filter: %q", about)
		}

		// Every report takes the filter, page and workbook alike.
		for _, rep := range []struct{ path, sheet string }{{"clearances", "Clearances"}, {"progress", "Progress"}, {"signoffs", "Sign-offs"}, {"hours", "Hours"}} {
			if p := hr.get("/reports/" + rep.path + "?program=" + phleb); p.StatusCode != http.StatusOK || strings.Contains(p.body, "Jordan Lee") {
				t.Fatalf("%s page with the phlebotomy track: %d, shows Jordan: %v\n%s", rep.path, p.StatusCode, strings.Contains(p.body, "Jordan Lee"), e.logText())
			}
			rows, _ := openXLSX(t, hr.get("/reports/"+rep.path+".xlsx?program="+phleb)).GetRows(rep.sheet)
			for _, r := range rows[1:] {
				if r[0] != "Pat Quinn" {
					t.Fatalf("%s: a row outside the program: %q", rep.path, r)
				}
			}
			if rep.path == "clearances" && len(rows) < 2 {
				t.Fatal("clearances: no rows for Pat")
			}
			rows, _ = openXLSX(t, hr.get("/reports/"+rep.path+".xlsx?program="+ma)).GetRows(rep.sheet)
			for _, r := range rows[1:] {
				if r[0] == "Pat Quinn" {
					t.Fatalf("%s: Pat in the demo program's report: %q", rep.path, r)
				}
			}
			if rep.path != "hours" && len(rows) < 2 {
				t.Fatalf("%s: the demo program's report is empty", rep.path)
			}
		}

		// Casey moves to the phlebotomy track next week. Until then the
		// enrollment in force is the demo program's, so she is in its
		// report and not in the track's; from then on the other way round.
		casey := people["graduate@demo.test"]
		if casey == nil || casey.Name != "Casey Brooks" {
			t.Fatalf("demo graduate: %+v", casey)
		}
		next := curriculum.DateOf(e.clock.Now(), e.cfg.Location()).AddDays(7)
		if _, _, err := evidence.NewService(e.db, programs.NewStore(e.db)).Enroll(context.Background(), assessments.Enrollment{ApprenticeID: casey.ID,
			VersionID: versionOf(t, e, phleb), SiteID: casey.SiteIDs[0], HireDate: next, StartDate: next, Status: assessments.EnrollmentActive,
			IdempotencyKey: "casey-phleb"}, people["director@demo.test"].ID); err != nil {
			t.Fatal(err)
		}
		in := func(program string, asOf curriculum.Date) bool {
			rows, _ := openXLSX(t, hr.get("/reports/certifications.xlsx?program="+program+"&as_of="+asOf.String())).GetRows("Certifications")
			for _, r := range rows[1:] {
				if r[0] == "Casey Brooks" {
					return true
				}
			}
			return false
		}
		if !in(ma, next.AddDays(-1)) || in(phleb, next.AddDays(-1)) || in(ma, next) || !in(phleb, next) {
			t.Fatalf("Casey by program the day before and the day of her move: ma %v, phleb %v; ma %v, phleb %v",
				in(ma, next.AddDays(-1)), in(phleb, next.AddDays(-1)), in(ma, next), in(phleb, next))
		}

		// An unknown program is an error that says so, not an empty report.
		bad := hr.get("/reports/certifications?program=no-such-program")
		if bad.StatusCode != http.StatusBadRequest || !strings.Contains(bad.body, `There is no program with the id &#34;no-such-program&#34;`) ||
			strings.Contains(bad.body, "<table") || strings.Contains(bad.body, "Download .xlsx") {
			t.Fatalf("unknown program on the page: %d\n%s", bad.StatusCode, bad.body)
		}
		if r := hr.get("/reports/signoffs.xlsx?program=no-such-program"); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "There is no program with the id") {
			t.Fatalf("unknown program for the workbook: %d %s", r.StatusCode, r.body)
		}
		if r := hr.get("/reports/clearances?site=no-such-site"); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "There is no site with the id") {
			t.Fatalf("unknown site: %d", r.StatusCode)
		}
	})
}

func versionOf(t *testing.T, e *env, programID string) string {
	t.Helper()
	p, err := programs.NewStore(e.db).Program(context.Background(), programID)
	if err != nil || len(p.Versions) == 0 {
		t.Fatalf("program %s: %v", programID, err)
	}
	return p.Versions[0].ID
}

func aboutHas(rows [][]string, key, value string) bool {
	for _, r := range rows {
		if len(r) > 1 && r[0] == key && r[1] == value {
			return true
		}
	}
	return false
}

// TestCertificationsAsOfThePast: the report shows each credential as it
// stood on the as-of day, as the clearance engine decided it then.
func TestCertificationsAsOfThePast(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		withDemo(t, e)
		hr := e.client()
		hr.login("hr@demo.test", demo.Password)
		today := curriculum.DateOf(e.clock.Now(), e.cfg.Location())
		riley := func(asOf curriculum.Date) []string {
			rows, _ := openXLSX(t, hr.get("/reports/certifications.xlsx?as_of="+asOf.String())).GetRows("Certifications")
			for _, r := range rows[1:] {
				if r[0] == "Riley Nguyen" {
					return r
				}
			}
			t.Fatalf("no row for Riley as of %s", asOf)
			return nil
		}
		// Riley's BLS ran to the end of last month: expired today ...
		expires := today.AddMonths(-1).EndOfMonth()
		if r := riley(today); r[7] != "Expired "+expires.String() {
			t.Fatalf("Riley's BLS today: %q", r)
		}
		// ... valid four months ago, expiring in its last month ...
		if r := riley(today.AddMonths(-4)); r[7] != "Valid until "+expires.String() || r[6] != expires.String() {
			t.Fatalf("Riley's BLS four months ago: %q", r)
		}
		if r := riley(expires.AddDays(-10)); r[7] != fmt.Sprintf("Expiring in 10 days (%s)", expires) {
			t.Fatalf("Riley's BLS ten days before it expired: %q", r)
		}
		// ... and not yet on file a few days after hire (the card came ten
		// days in), which the 90-day grace covers.
		hire := today.AddMonths(-20)
		if r := riley(hire.AddDays(5)); !strings.HasPrefix(r[7], "Missing, within grace until "+hire.AddDays(90).String()) || r[4] != "" {
			t.Fatalf("Riley's BLS five days after hire: %q", r)
		}
	})
}

// TestReportPages shows a page of people at a time, saying which, with
// links to the others; the workbook holds everyone.
func TestReportPages(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		site := people["apprentice@demo.test"].SiteIDs
		for i := range 12 {
			if _, err := e.store.Create(context.Background(), accounts.NewPerson{Email: fmt.Sprintf("new%02d@demo.test", i),
				Name: fmt.Sprintf("Zed Newcomer %02d", i), Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: site}); err != nil {
				t.Fatal(err)
			}
		}
		// The administrator: reports count the people of every site for
		// them, enrolled or not (for a director, only those enrolled at
		// their sites, see TestPersonLevelRoutesApplyTheEnrollmentRule).
		dir := e.client()
		dir.login("admin@demo.test", demo.Password)
		n, err := e.store.CountSelected(context.Background(), accounts.Selection{Role: accounts.RoleApprentice})
		if err != nil || n < 15 {
			t.Fatalf("apprentices: %d %v", n, err)
		}
		first := dir.get("/reports/clearances")
		if !strings.Contains(first.body, fmt.Sprintf("People 1–10 of %d", n)) || !strings.Contains(first.body, `rel="next"`) || strings.Contains(first.body, `rel="prev"`) {
			t.Fatalf("first page:\n%s", first.body)
		}
		last := dir.get(fmt.Sprintf("/reports/clearances?page=%d", (n+9)/10))
		if !strings.Contains(last.body, fmt.Sprintf("–%d of %d", n, n)) || !strings.Contains(last.body, `rel="prev"`) || strings.Contains(last.body, `rel="next"`) {
			t.Fatalf("last page:\n%s", last.body)
		}
		// Newcomers (not enrolled) sort last and have no rows; the demo
		// apprentices are on the first page, and the workbook has them all.
		if !strings.Contains(first.body, "Jordan Lee") || strings.Contains(last.body, "Jordan Lee") {
			t.Fatal("Jordan is not on the first page only")
		}
		rows, _ := openXLSX(t, dir.get("/reports/clearances.xlsx")).GetRows("Clearances")
		seen := map[string]bool{}
		for _, r := range rows[1:] {
			seen[r[0]] = true
		}
		if !seen["Jordan Lee"] || !seen["Casey Brooks"] || !seen["Riley Nguyen"] {
			t.Fatalf("the workbook lacks someone: %v", seen)
		}
	})
}
