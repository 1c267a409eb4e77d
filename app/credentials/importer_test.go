package credentials_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

var header = []string{"employee_id", "name", "email", "role", "site", "professional_credential", "credential_type", "issuing_body", "number", "issued_on", "expires_on", "verified", "notes"}

func csvBytes(t testing.TB, rows ...[]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func parse(t testing.TB, name string, data []byte) *credentials.Preview {
	t.Helper()
	p, err := credentials.Parse(name, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return p
}

// hasProblem reports whether p lists a problem at row and column whose
// message contains text.
func hasProblem(p *credentials.Preview, row int, col, text string) bool {
	for _, pr := range p.Problems {
		if pr.Row == row && pr.Column == col && strings.Contains(pr.Message, text) {
			return true
		}
	}
	return false
}

// org creates two clinics and an HR user, and returns the importer.
func org(t testing.TB, d *db.DB) (*credentials.Importer, *accounts.Person) {
	t.Helper()
	ctx := context.Background()
	as := accounts.NewStore(d)
	for _, name := range []string{"Main Street", "Eastside"} {
		if _, err := as.CreateSite(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	hr, err := as.Create(ctx, accounts.NewPerson{Email: "hr@clinic.example", Name: "Hana Reyes", EmployeeID: "HR1", Roles: []accounts.Role{accounts.RoleHR}})
	if err != nil {
		t.Fatal(err)
	}
	return credentials.NewImporter(d), hr
}

func TestTemplatesParseCleanly(t *testing.T) {
	for _, f := range []credentials.Format{credentials.FormatCSV, credentials.FormatXLSX} {
		data, err := credentials.Template(f, "")
		if err != nil {
			t.Fatal(err)
		}
		p := parse(t, "template."+string(f), data)
		if !p.OK() || len(p.People) != 1 || len(p.Credentials) != 1 {
			t.Fatalf("%s template: problems %v, %d people, %d credentials", f, p.Problems, len(p.People), len(p.Credentials))
		}
		c := p.Credentials[0]
		if c.Row != 2 || c.Record.TypeCode != "BLS" || c.Record.IssuedOn != day("2026-01-15") ||
			c.Record.ExpiresOn != day("2028-01-31") || !c.Record.ValidThroughMonth || c.Verified {
			t.Fatalf("%s template example = %+v", f, c)
		}
	}
	if _, err := credentials.Template("ods", ""); err == nil {
		t.Fatal("unknown template format accepted")
	}
}

func TestParseReportsRowAndColumn(t *testing.T) {
	data := csvBytes(t,
		header,
		[]string{"E1", "Ana Diaz", "ana@clinic.example", "apprentice", "Main Street", "", "BLS", "AHA", "1", "2026-01-10", "01/2028", "yes", ""},
		[]string{"", "No Id", "noid@clinic.example", "apprentice", "", "", "", "", "", "", "", "", ""},
		[]string{"E3", "Bo Chen", "not-an-email", "nurse", "", "", "BLS", "", "", "13/01/2026", "", "", ""},
		[]string{"E4", "Cy Dee", "cy@clinic.example", "apprentice", "", "", "BLS", "", "", "02/30/2026", "2026-01-01", "maybe", ""},
		[]string{"E5", "Di Eve", "di@clinic.example", "apprentice", "", "", "", "AHA", "", "", "", "", ""},
		[]string{"E6", "Ed Fox", "ed@clinic.example", "apprentice", "", "", "BLS", "", "", "2026-03-01", "2026-02-01", "", ""},
		[]string{"E7", "Flo Gil", "ana@clinic.example", "apprentice", "", "", "BLS", "", "", "3/1/26", "", "", ""},
		[]string{"E1", "Ana Diaz-Other", "", "", "", "", "CMA", "AAMA", "", "2025-06-01", "", "", ""},
		[]string{"E9", "Gus Hu", "gus@clinic.example", "apprentice", "", "", "BLS", "", "", "06/2025", "", "", ""},
	)
	p := parse(t, "people.csv", data)
	want := []struct {
		row       int
		col, text string
	}{
		{3, "employee_id", "missing"},
		{4, "email", "not an email"},
		{4, "role", "unknown role"},
		{4, "issued_on", "day/month order"},
		{5, "issued_on", "February 2026 has 28 days"},
		{5, "verified", "yes or no"},
		{6, "credential_type", "missing"},
		{7, "expires_on", "before the issue date"},
		{8, "email", "also the email of employee E1"},
		{8, "issued_on", "four digits"},
		{9, "name", "row 2"},
		{10, "issued_on", "needs a day"},
	}
	for _, w := range want {
		if !hasProblem(p, w.row, w.col, w.text) {
			t.Errorf("no problem at row %d, %s containing %q", w.row, w.col, w.text)
		}
	}
	if len(p.Problems) != len(want) {
		for _, pr := range p.Problems {
			t.Log(pr)
		}
		t.Errorf("%d problems, want %d", len(p.Problems), len(want))
	}
	if p.OK() {
		t.Fatal("preview with problems is OK")
	}
}

func TestParseHeaderProblems(t *testing.T) {
	p := parse(t, "x.csv", csvBytes(t, []string{"Name", "E-mail", "Employee ID"}, []string{"a", "b", "c"}))
	if !hasProblem(p, 1, "E-mail", "unknown column") || len(p.Problems) != 1 {
		t.Fatalf("problems = %v", p.Problems)
	}
	p = parse(t, "x.csv", csvBytes(t, []string{"name", "email"}, []string{"a", "b"}))
	if !hasProblem(p, 1, "employee_id", "missing") {
		t.Fatalf("problems = %v", p.Problems)
	}
	if p := parse(t, "x.csv", nil); p.OK() {
		t.Fatal("empty file is OK")
	}
}

func TestCSVRowNumbersAsSpreadsheetShows(t *testing.T) {
	// A blank line and a quoted notes cell spanning three lines must not
	// shift the row numbers of later rows.
	data := "\xEF\xBB\xBFemployee_id,name,email,role,credential_type,issued_on,notes\r\n" +
		"\r\n" +
		"E1,Ana,ana@x.example,apprentice,BLS,2026-01-10,\"line one\r\nline two\r\nline three\"\r\n" +
		"E2,Bo,bo@x.example,apprentice,BLS,2026-13-01,\r\n"
	p := parse(t, "x.csv", []byte(data))
	if !hasProblem(p, 4, "issued_on", "month") {
		t.Fatalf("problems = %v", p.Problems)
	}
	if p.Credentials[0].Row != 3 || p.Credentials[0].Record.Notes != "line one\nline two\nline three" {
		t.Fatalf("first credential = %+v", p.Credentials[0])
	}
	// Semicolon-separated CSV (Excel in some locales) is read too.
	p = parse(t, "x.csv", []byte("employee_id;name;email;role\nE1;Ana;ana@x.example;apprentice\n"))
	if !p.OK() || p.People[0].Name != "Ana" {
		t.Fatalf("semicolon CSV: %+v %v", p.People, p.Problems)
	}
}

func TestFormulaLookingCellsStayText(t *testing.T) {
	evil := []string{"=1+2", "+SUM(A1:A9)", "-2+3", "@cmd", `=HYPERLINK("http://evil.example","x")`}
	rows := [][]string{header}
	for i, e := range evil {
		rows = append(rows, []string{fmt.Sprintf("E%d", i), e, fmt.Sprintf("p%d@x.example", i), "apprentice", "", "", "BLS", e, "", "2026-01-10", "", "", e})
	}
	check := func(p *credentials.Preview) {
		t.Helper()
		if !p.OK() {
			t.Fatalf("problems = %v", p.Problems)
		}
		for i, e := range evil {
			if p.People[i].Name != e || p.Credentials[i].Record.Notes != e || p.Credentials[i].Record.IssuingBody != e {
				t.Fatalf("row %d: %+v / %+v", i, p.People[i], p.Credentials[i].Record)
			}
		}
	}
	check(parse(t, "x.csv", csvBytes(t, rows...)))
	f := excelize.NewFile()
	for r, row := range rows {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if err := f.SetCellStr("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	check(parse(t, "x.xlsx", b.Bytes()))
}

func TestImportApplyAndReimport(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := context.Background()
		im, hr := org(t, d)
		// An existing person, with an existing BLS card, named in the file.
		as := accounts.NewStore(d)
		sites, _ := as.Sites(ctx)
		old, err := as.Create(ctx, accounts.NewPerson{Email: "old@clinic.example", Name: "Olga Old", EmployeeID: "E0",
			Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: []string{sites[0].ID}}) // Eastside
		if err != nil {
			t.Fatal(err)
		}
		if _, err := im.Credentials.Add(ctx, credentials.NewRecord{PersonID: old.ID, TypeCode: "BLS", Number: "B0",
			IssuedOn: day("2025-01-10"), ExpiresOn: day("2027-01-31"), ValidThroughMonth: true}); err != nil {
			t.Fatal(err)
		}
		data := csvBytes(t,
			header,
			[]string{"E0", "olga old", "OLD@clinic.example", "apprentice", "main street", "", "BLS", "AHA", "B0", "01/10/2025", "01/2027", "", ""},
			[]string{"E0", "", "", "", "", "", "CMA", "AAMA", "C0", "2024-05-01", "2029-05-31", "yes", "seen original"},
			[]string{"E1", "Ana Diaz", "ana@clinic.example", "apprentice", "Main Street; Eastside", "", "BLS", "AHA", "B1", "2026-01-10", "01/2028", "yes", ""},
			[]string{"E1", "", "", "", "", "", "CCMA", "NHA", "", "2025-11-03", "2027-11-03", "", ""},
			[]string{"E2", "Rita Nurse", "rita@clinic.example", "preceptor", "Main Street", "rn", "", "", "", "", "", "", ""},
		)
		p, err := im.Preview(ctx, "staff.csv", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if !p.OK() {
			t.Fatalf("problems = %v", p.Problems)
		}
		// Olga's site differs from the file: a warning, not a change.
		if len(p.Warnings) != 1 || p.Warnings[0].Column != "site" {
			t.Fatalf("warnings = %v", p.Warnings)
		}
		want := credentials.Summary{PeopleCreated: 2, PeopleUnchanged: 1, CredentialsCreated: 3, CredentialsUnchanged: 1}
		if got := p.Counts(); got != want {
			t.Fatalf("preview counts = %+v, want %+v", got, want)
		}
		sum, err := im.Apply(ctx, p, hr.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sum != want {
			t.Fatalf("summary = %+v, want %+v", sum, want)
		}

		ana, err := as.ByEmail(ctx, "ana@clinic.example")
		if err != nil {
			t.Fatal(err)
		}
		if ana.EmployeeID != "E1" || !ana.Has(accounts.RoleApprentice) || len(ana.SiteIDs) != 2 || ana.Credential != "none" {
			t.Fatalf("ana = %+v", ana)
		}
		if rita, _ := as.ByEmail(ctx, "rita@clinic.example"); rita == nil || rita.Credential != "RN" || !rita.Has(accounts.RolePreceptor) {
			t.Fatalf("rita = %+v", rita)
		}
		recs, _ := im.Credentials.ForPerson(ctx, ana.ID)
		if len(recs) != 2 {
			t.Fatalf("ana's records = %+v", recs)
		}
		for _, r := range recs {
			switch r.TypeCode {
			case "BLS":
				if !r.Verified() || r.VerifiedBy != hr.ID || !strings.Contains(r.VerificationMethod, "staff.csv") || r.ExpiresOn != day("2028-01-31") || !r.ValidThroughMonth || r.RecordedBy != hr.ID {
					t.Fatalf("BLS = %+v", r)
				}
			case "CCMA":
				if r.Verified() {
					t.Fatalf("CCMA = %+v", r)
				}
			}
		}
		oldRecs, _ := im.Credentials.ForPerson(ctx, old.ID)
		if len(oldRecs) != 2 {
			t.Fatalf("olga's records = %+v", oldRecs)
		}
		if o, _ := as.ByID(ctx, old.ID); len(o.SiteIDs) != 1 || o.SiteIDs[0] != sites[0].ID {
			t.Fatalf("import changed olga: %+v", o)
		}

		// The same file again changes nothing.
		before, _ := as.Count(ctx)
		p2, err := im.Preview(ctx, "staff.csv", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		sum2, err := im.Apply(ctx, p2, hr.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sum2 != (credentials.Summary{PeopleUnchanged: 3, CredentialsUnchanged: 4}) {
			t.Fatalf("re-import summary = %+v", sum2)
		}
		if after, _ := as.Count(ctx); after != before {
			t.Fatalf("re-import changed the number of people: %d → %d", before, after)
		}
		all, _ := im.Credentials.ForPeople(ctx, []string{ana.ID, old.ID})
		if len(all[ana.ID]) != 2 || len(all[old.ID]) != 2 {
			t.Fatalf("re-import added records: %d, %d", len(all[ana.ID]), len(all[old.ID]))
		}
	})
}

func TestImportCheckProblems(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := context.Background()
		im, _ := org(t, d)
		im.CredentialTypes = []string{"BLS", "CMA"}
		if _, err := accounts.NewStore(d).Create(ctx, accounts.NewPerson{Email: "taken@clinic.example", Name: "Tia Taken", Roles: []accounts.Role{accounts.RoleApprentice}}); err != nil {
			t.Fatal(err)
		}
		data := csvBytes(t,
			header,
			[]string{"HR1", "Somebody Else", "", "", "", "", "", "", "", "", "", "", ""},
			[]string{"E2", "Ned New", "taken@clinic.example", "apprentice", "Westside", "", "BLS", "", "", "2026-01-10", "", "", ""},
			[]string{"E3", "", "e3@clinic.example", "", "", "", "XYZ", "", "", "2026-01-10", "", "", ""},
		)
		p, err := im.Preview(ctx, "x.csv", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []struct {
			row       int
			col, text string
		}{
			{2, "name", "is Hana Reyes in Skillgate"},
			{3, "email", "already belongs to Tia Taken"},
			{3, "site", `no clinic called "Westside"`},
			{4, "name", "name is needed"},
			{4, "role", "role is needed"},
			{4, "credential_type", "XYZ is not a credential type"},
		} {
			if !hasProblem(p, w.row, w.col, w.text) {
				t.Errorf("no problem at row %d, %s containing %q", w.row, w.col, w.text)
			}
		}
		if len(p.Problems) != 6 {
			t.Errorf("problems = %v", p.Problems)
		}
		if _, err := im.Apply(ctx, p, "x"); !errors.Is(err, credentials.ErrProblems) {
			t.Fatalf("apply with problems: %v", err)
		}
	})
}

// bigImport returns a CSV of n people with a BLS card each; bad, when
// positive, is the spreadsheet row made bad by bad(row).
func bigImport(t testing.TB, n int, bad int, spoil func([]string)) []byte {
	rows := make([][]string, 0, n+1)
	rows = append(rows, header)
	for i := range n {
		r := []string{fmt.Sprintf("E%05d", i), fmt.Sprintf("Person %d", i), fmt.Sprintf("p%d@clinic.example", i), "apprentice", "Main Street", "",
			"BLS", "American Heart Association", fmt.Sprintf("AHA-%d", i), "2026-01-10", "01/2028", "no", ""}
		if i+2 == bad {
			spoil(r)
		}
		rows = append(rows, r)
	}
	return csvBytes(t, rows...)
}

func TestImportAllOrNothing(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := context.Background()
		im, hr := org(t, d)
		as := accounts.NewStore(d)
		before, _ := as.Count(ctx)

		// A bad date on row 9,999: the preview says where, nothing is written.
		p, err := im.Preview(ctx, "big.csv", bytes.NewReader(bigImport(t, 10000, 9999, func(r []string) { r[9] = "31/12/2025" })))
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Problems) != 1 || p.Problems[0].Row != 9999 || p.Problems[0].Column != "issued_on" {
			t.Fatalf("problems = %v", p.Problems)
		}
		if _, err := im.Apply(ctx, p, hr.ID); !errors.Is(err, credentials.ErrProblems) {
			t.Fatalf("apply: %v", err)
		}

		// A clean preview whose row 9,999 becomes bad before Apply (someone
		// takes that email meanwhile): Apply checks again inside its
		// transaction and writes nothing.
		p, err = im.Preview(ctx, "big.csv", bytes.NewReader(bigImport(t, 10000, 0, nil)))
		if err != nil || !p.OK() {
			t.Fatalf("clean preview: %v %v", err, p.Problems)
		}
		if _, err := as.Create(ctx, accounts.NewPerson{Email: "p9997@clinic.example", Name: "Quick", Roles: []accounts.Role{accounts.RoleHR}}); err != nil {
			t.Fatal(err)
		}
		before++
		if _, err := im.Apply(ctx, p, hr.ID); !errors.Is(err, credentials.ErrProblems) {
			t.Fatalf("apply after a conflicting change: %v", err)
		}
		if !hasProblem(p, 9999, "email", "already belongs to Quick") {
			t.Fatalf("problems = %v", p.Problems)
		}
		if after, _ := as.Count(ctx); after != before {
			t.Fatalf("%d people written by a refused import", after-before)
		}
		var n int
		if err := d.NewSelect().Table("credentials").ColumnExpr("COUNT(*)").Scan(ctx, &n); err != nil || n != 0 {
			t.Fatalf("%d credentials written by a refused import (%v)", n, err)
		}
	})
}

func TestApplyRollsBackOnDatabaseError(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := context.Background()
		im, _ := org(t, d)
		p, err := im.Preview(ctx, "big.csv", bytes.NewReader(bigImport(t, 1200, 0, nil)))
		if err != nil || !p.OK() {
			t.Fatalf("preview: %v %v", err, p.Problems)
		}
		// recorded_by must name a user: an unknown one makes the credential
		// inserts fail after the people were inserted, in the same transaction.
		if _, err := im.Apply(ctx, p, "no-such-user"); err == nil || !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("apply: %v", err)
		}
		if n, _ := accounts.NewStore(d).Count(ctx); n != 1 {
			t.Fatalf("%d people after a failed import, want only the HR user", n)
		}
	})
}

func TestXLSXDates(t *testing.T) {
	f := excelize.NewFile()
	set := func(cell string, v any) {
		if err := f.SetCellValue("Sheet1", cell, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SetSheetRow("Sheet1", "A1", &header); err != nil {
		t.Fatal(err)
	}
	base := []any{"E1", "Ana", "ana@x.example", "apprentice", "", "", "BLS", "", "", nil, nil, "", ""}
	for r := 2; r <= 5; r++ {
		row := append([]any{}, base...)
		row[0], row[2], row[8] = fmt.Sprintf("E%d", r), fmt.Sprintf("p%d@x.example", r), fmt.Sprintf("N%d", r)
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", r), &row); err != nil {
			t.Fatal(err)
		}
	}
	// Row 2: real date cells with a two-digit-year display format, which
	// excelize would return formatted as "01-10-26".
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	set("J2", time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC))
	set("K2", time.Date(2028, 1, 31, 0, 0, 0, 0, time.UTC))
	_ = f.SetCellStyle("Sheet1", "J2", "K2", style)
	// Row 3: text dates, ISO and month/year.
	set("J3", "2026-02-01")
	set("K3", "02/2028")
	// Row 4: US text date; a serial number typed as a plain number with a
	// time of day.
	set("J4", "3/14/2026")
	set("K4", 46826.75) // 2028-03-14 18:00
	// Row 5: an impossible serial and a two-digit year.
	set("J5", 9999999)
	set("K5", "3/14/28")
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	p := parse(t, "d.xlsx", b.Bytes())
	if len(p.Credentials) != 3 {
		t.Fatalf("credentials = %+v, problems %v", p.Credentials, p.Problems)
	}
	got := func(i int) string {
		r := p.Credentials[i].Record
		return fmt.Sprintf("%s %s %v", r.IssuedOn, r.ExpiresOn, r.ValidThroughMonth)
	}
	for i, want := range []string{"2026-01-10 2028-01-31 false", "2026-02-01 2028-02-29 true", "2026-03-14 2028-03-14 false"} {
		if got(i) != want {
			t.Errorf("row %d: %s, want %s", i+2, got(i), want)
		}
	}
	if !hasProblem(p, 5, "issued_on", "outside") || !hasProblem(p, 5, "expires_on", "four digits") {
		t.Fatalf("problems = %v", p.Problems)
	}
}

// An import by someone who is not an administrator stays within their
// clinics: no new administrators, no new people elsewhere, no records for
// people of other clinics; and Apply refuses the same rows, writing nothing.
func TestImportScope(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := context.Background()
		im, hr := org(t, d)
		as := accounts.NewStore(d)
		sites, _ := as.Sites(ctx)
		byName := map[string]string{}
		for _, s := range sites {
			byName[s.Name] = s.ID
		}
		far, err := as.Create(ctx, accounts.NewPerson{Email: "far@clinic.example", Name: "Farah Far", EmployeeID: "F1",
			Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: []string{byName["Eastside"]}})
		if err != nil {
			t.Fatal(err)
		}
		near, err := as.Create(ctx, accounts.NewPerson{Email: "near@clinic.example", Name: "Nia Near", EmployeeID: "N1",
			Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: []string{byName["Main Street"]}})
		if err != nil {
			t.Fatal(err)
		}
		data := csvBytes(t,
			header,
			[]string{"N1", "", "", "", "", "", "BLS", "AHA", "B1", "2026-01-10", "01/2028", "", ""},
			[]string{"F1", "", "", "", "", "", "BLS", "AHA", "B2", "2026-01-10", "01/2028", "", ""},
			[]string{"A9", "Ada Admin", "ada@clinic.example", "admin", "Main Street", "", "", "", "", "", "", "", ""},
			[]string{"E9", "Eve East", "eve@clinic.example", "apprentice", "Eastside", "", "", "", "", "", "", "", ""},
			[]string{"M9", "Mo Main", "mo@clinic.example", "apprentice", "Main Street", "", "", "", "", "", "", "", ""},
		)
		im.Scope = &credentials.Scope{SiteIDs: []string{byName["Main Street"]}}
		p, err := im.Preview(ctx, "staff.csv", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Problems) != 3 || !hasProblem(p, 3, "employee_id", "not at one of your clinics") ||
			!hasProblem(p, 4, "role", "only an administrator") || !hasProblem(p, 5, "site", "one or more of your clinics") {
			t.Fatalf("problems = %v", p.Problems)
		}
		// Apply checks again, so a preview edited in memory is no way round.
		p.Problems = nil
		if _, err := im.Apply(ctx, p, hr.ID); !errors.Is(err, credentials.ErrProblems) {
			t.Fatalf("apply outside the scope: %v", err)
		}
		for _, id := range []string{near.ID, far.ID} {
			if recs, err := im.Credentials.ForPerson(ctx, id); err != nil || len(recs) != 0 {
				t.Fatalf("records written by a refused import: %v %v", recs, err)
			}
		}
		if n, _ := as.Count(ctx); n != 3 {
			t.Fatalf("%d people after a refused import, want 3", n)
		}
		// Without a scope (an administrator), the same file imports.
		im.Scope = nil
		if p, err = im.Preview(ctx, "staff.csv", bytes.NewReader(data)); err != nil || !p.OK() {
			t.Fatalf("admin preview: %v %v", err, p.Problems)
		}
	})
}
