package server_test

// Fault tests: PostgreSQL stops in the middle of a sign-off, an HR import
// and a report export. Each request must fail cleanly (a 503 that says
// nothing was saved) and leave all of its writes or none (and no temporary
// file); /readyz must say 503 meanwhile; once the database is back the same
// server must serve the retried request without a restart. The outage is a
// proxy cut at an exact statement (see pgproxy_test.go), so every run tests
// the same moment. The embedded SQLite database lives inside the process
// and cannot stop on its own; the crash test in app/faults kills the whole
// process on both engines.

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/curriculum"
)

// rowCounts counts the rows of every table of the test schema, except the
// key-value store, which CSRF tokens of page loads write to.
func rowCounts(t *testing.T, d *db.DB) map[string]int {
	t.Helper()
	ctx := context.Background()
	var tables []string
	if err := d.NewSelect().Table("information_schema.tables").Column("table_name").
		Where("table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'kv_store'").
		Scan(ctx, &tables); err != nil {
		t.Fatal(err)
	}
	if len(tables) < 10 {
		t.Fatalf("found only tables %v", tables)
	}
	out := make(map[string]int, len(tables))
	for _, tb := range tables {
		var n int
		if err := d.NewRaw("SELECT count(*) FROM ?", bun.Ident(tb)).Scan(ctx, &n); err != nil {
			t.Fatalf("count %s: %v", tb, err)
		}
		out[tb] = n
	}
	return out
}

// deltas lists the tables whose row count changed, with the change.
func deltas(before, after map[string]int) map[string]int {
	out := map[string]int{}
	for tb, n := range after {
		if n != before[tb] {
			out[tb] = n - before[tb]
		}
	}
	return out
}

// duringOutage checks what a client sees while the proxy is cut: /readyz
// says 503, and so on until restore.
func duringOutage(t *testing.T, e *env, cut <-chan struct{}) {
	t.Helper()
	select {
	case <-cut:
	case <-time.After(5 * time.Second):
		t.Fatal("the armed statement was never sent: the cut did not happen")
	}
	if r := apiCall(e, "GET", "/readyz", "", ""); r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.body, "database unreachable") {
		t.Fatalf("readyz during the outage: %d %s", r.StatusCode, r.body)
	}
}

func afterOutage(t *testing.T, e *env, px *proxy) {
	t.Helper()
	px.restart()
	if r := apiCall(e, "GET", "/readyz", "", ""); r.StatusCode != http.StatusOK {
		t.Fatalf("readyz once the database is back: %d %s", r.StatusCode, r.body)
	}
}

func TestSignOffWhenTheDatabaseStops(t *testing.T) {
	d, px := proxiedPostgres(t)
	e := newEnv(t, d)
	people := withDemo(t, e)
	priya, jordan := people["preceptor@demo.test"], people["apprentice@demo.test"]
	_, tok, err := e.store.CreateToken(t.Context(), priya.ID, "tablet", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var ens struct{ Enrollments []struct{ ID string } }
	decode(t, apiCall(e, "GET", "/api/v1/enrollments?person="+jordan.ID, tok, ""), &ens)
	base := "/api/v1/enrollments/" + ens.Enrollments[0].ID
	// Jordan has 8 of the 10 venipunctures sign-off needs; observe two more.
	today := e.clock.Now().In(e.cfg.Location()).Format("2006-01-02")
	for _, key := range []string{"fault-obs-1", "fault-obs-2"} {
		obs := `{"idempotency_key":"` + key + `","competency":"PHL-VENI","performed_on":"` + today + `","steps":` + allStepsMet("PHL-VENI") + `}`
		if r := apiCall(e, "POST", base+"/observations", tok, obs); r.StatusCode != http.StatusCreated {
			t.Fatalf("observation: %d %s", r.StatusCode, r.body)
		}
	}
	signOff := func(key string) string {
		return `{"idempotency_key":"` + key + `","competency":"PHL-VENI","password":"` + demo.Password + `"}`
	}
	before := rowCounts(t, d)

	// 1. The database stops just before the sign-off's INSERT: PostgreSQL
	// rolls the transaction back, nothing is stored.
	cut := px.cutBefore(`INSERT INTO "sign_offs"`)
	r := apiCall(e, "POST", base+"/signoffs", tok, signOff("fault-sign-1"))
	duringOutage(t, e, cut)
	if r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.body, "nothing was saved") || r.Header.Get("Retry-After") == "" {
		t.Fatalf("sign-off cut before its insert: %d %s", r.StatusCode, r.body)
	}
	if r := apiCall(e, "POST", base+"/signoffs", tok, signOff("fault-sign-1")); r.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("sign-off while the database is down: %d %s", r.StatusCode, r.body)
	}
	afterOutage(t, e, px)
	if ch := deltas(before, rowCounts(t, d)); len(ch) > 0 {
		t.Fatalf("a sign-off that failed wrote rows: %v", ch)
	}

	// 2. The database stops as it answers COMMIT: the sign-off is stored
	// but the server never hears so. The client retries with the same key
	// and gets the stored record (200), not a second signature.
	cut = px.cutAfterReply("COMMIT\x00")
	r = apiCall(e, "POST", base+"/signoffs", tok, signOff("fault-sign-2"))
	duringOutage(t, e, cut)
	if r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.body, `"status":503`) {
		t.Fatalf("sign-off whose commit answer was lost: %d %s", r.StatusCode, r.body)
	}
	afterOutage(t, e, px)
	var stored []struct{ ID, IdempotencyKey string }
	if err := d.NewSelect().Table("sign_offs").Column("id", "idempotency_key").Where("enrollment_id = ? AND competency = 'PHL-VENI'", ens.Enrollments[0].ID).
		Scan(t.Context(), &stored); err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 || stored[0].IdempotencyKey != "fault-sign-2" {
		t.Fatalf("after the lost commit answer, sign-offs stored: %+v", stored)
	}
	r = apiCall(e, "POST", base+"/signoffs", tok, signOff("fault-sign-2"))
	var got struct{ ID string }
	decode(t, r, &got)
	if r.StatusCode != http.StatusOK || got.ID != stored[0].ID {
		t.Fatalf("retrying the sign-off: %d %s (stored %s)", r.StatusCode, r.body, stored[0].ID)
	}
	// The earlier key, retried now, is refused as the competency is signed
	// off (by the stored signature), and adds nothing.
	if r := apiCall(e, "POST", base+"/signoffs", tok, signOff("fault-sign-1")); r.StatusCode != http.StatusConflict {
		t.Fatalf("retrying the first attempt after the second was stored: %d %s", r.StatusCode, r.body)
	}
	// One signature and its audit entry, committed together.
	if ch := deltas(before, rowCounts(t, d)); len(ch) != 2 || ch["sign_offs"] != 1 || ch["audit_log"] != 1 {
		t.Fatalf("rows written by the sign-off: %v", ch)
	}
	var ev struct {
		SignOffs []struct {
			ID                string `json:"id"`
			SignatureVerified bool   `json:"signature_verified"`
		} `json:"sign_offs"`
	}
	decode(t, apiCall(e, "GET", base+"/evidence", tok, ""), &ev)
	for _, so := range ev.SignOffs {
		if so.ID == stored[0].ID && !so.SignatureVerified {
			t.Fatal("the signature stored across the outage does not verify")
		}
	}
}

func TestImportWhenTheDatabaseStops(t *testing.T) {
	d, px := proxiedPostgres(t)
	e := newEnv(t, d)
	withDemo(t, e)
	hr := e.client()
	hr.login("hr@demo.test", demo.Password)
	hr.get("/hr/import")
	file := "employee_id,name,email,role,site,credential_type,issuing_body,number,issued_on,expires_on,verified\n" +
		"F-1,Fay Dunn,fay@demo.test,apprentice,Riverside Family Medicine,BLS,AHA,77,2026-01-10,01/2028,yes\n" +
		"F-2,Gus Ames,gus@demo.test,apprentice,Northgate Pediatrics,BLS,AHA,78,2026-02-10,02/2028,no\n"
	r := postMultipart(hr, "/hr/import", nil, []byte(file), "people.csv")
	upload := regexpFind(`name="upload" value="([^"]+)"`, r.body)
	if r.StatusCode != http.StatusOK || upload == "" {
		t.Fatalf("preview: %d", r.StatusCode)
	}
	before := rowCounts(t, d)

	// The database stops when the last INSERT of the import (credentials)
	// is sent: the people, roles and sites inserted before it in the same
	// transaction must be gone too.
	cut := px.cutBefore(`INSERT INTO "credentials"`)
	r = hr.post("/hr/import/confirm", map[string][]string{"upload": {upload}})
	duringOutage(t, e, cut)
	if r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.body, "Temporarily unavailable") || !strings.Contains(r.body, "nothing was saved") {
		t.Fatalf("import cut before its last insert: %d\n%s", r.StatusCode, r.body)
	}
	afterOutage(t, e, px)
	if ch := deltas(before, rowCounts(t, d)); len(ch) > 0 {
		t.Fatalf("an import that failed wrote rows: %v", ch)
	}

	// The same preview can be confirmed once the database is back.
	r = hr.post("/hr/import/confirm", map[string][]string{"upload": {upload}})
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "2 people added") {
		t.Fatalf("confirm after the outage: %d", r.StatusCode)
	}
	ch := deltas(before, rowCounts(t, d))
	for tb, want := range map[string]int{"users": 2, "user_roles": 2, "user_sites": 2, "credentials": 2} {
		if ch[tb] != want {
			t.Fatalf("rows written by the import: %v; want %d in %s", ch, want, tb)
		}
	}
}

func TestExportWhenTheDatabaseStops(t *testing.T) {
	d, px := proxiedPostgres(t)
	e := newEnv(t, d)
	withDemo(t, e)
	dir := e.client()
	dir.login("director@demo.test", demo.Password)
	before := rowCounts(t, d)
	// Workbooks are built in a temporary file: none may be left behind.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	leftovers := func(when string) {
		t.Helper()
		if names, err := os.ReadDir(tmp); err != nil || len(names) > 0 {
			t.Fatalf("temporary files left %s: %v %v", when, names, err)
		}
	}

	cut := px.cutBefore(`FROM "sign_offs"`)
	r := dir.get("/reports/signoffs.xlsx")
	duringOutage(t, e, cut)
	if r.StatusCode != http.StatusServiceUnavailable || strings.Contains(r.Header.Get("Content-Type"), "spreadsheet") ||
		r.Header.Get("Content-Disposition") != "" || !strings.Contains(r.body, "Temporarily unavailable") {
		t.Fatalf("export cut mid-way: %d %s %q", r.StatusCode, r.Header.Get("Content-Type"), r.body)
	}
	leftovers("by the failed export")
	afterOutage(t, e, px)
	if ch := deltas(before, rowCounts(t, d)); len(ch) > 0 {
		t.Fatalf("a failed export wrote rows: %v", ch)
	}
	rows, err := openXLSX(t, dir.get("/reports/signoffs.xlsx")).GetRows("Sign-offs")
	if err != nil || len(rows) < 5 {
		t.Fatalf("the export once the database is back: %d rows, %v", len(rows), err)
	}
	leftovers("once the export was sent")
}

// allStepsMet is the steps field of an observation meeting every
// checklist step of a competency of the shipped program.
func allStepsMet(code string) string {
	var b strings.Builder
	b.WriteString("[")
	ma, err := curriculum.MedicalAssistantProgram()
	if err != nil {
		panic(err)
	}
	for i := range ma.Program.Competency(code).Checklist {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"index":` + itoa(i) + `,"met":true}`)
	}
	b.WriteString("]")
	return b.String()
}
