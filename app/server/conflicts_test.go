package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/accounts"

	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
)

// interleaver runs another request in the middle of one: once armed, it
// waits for a statement that reads the marked table, then, at the
// writing transaction that follows, runs between() before letting the
// first request go on. On PostgreSQL the trigger is the first UPDATE of
// the table inside the first request's open transaction, so the two
// transactions overlap; on SQLite, where a write transaction holds the
// database's one write lock from BEGIN, it is that BEGIN: between the
// first request's read and its write, the real race window there.
type interleaver struct {
	engine  db.Dialect
	table   string // e.g. `"enrollments"`
	atBegin bool   // trigger at BEGIN on PostgreSQL too (a write with no UPDATE)
	mu      sync.Mutex
	armed   bool
	sawRead bool
	fired   bool
	between func()
}

func (h *interleaver) arm(between func()) {
	h.mu.Lock()
	h.armed, h.sawRead, h.fired, h.between = true, false, false, between
	h.mu.Unlock()
}

func (h *interleaver) BeforeQuery(ctx context.Context, ev *bun.QueryEvent) context.Context {
	h.mu.Lock()
	q := strings.TrimSpace(ev.Query)
	fire := false
	if h.armed {
		switch {
		case strings.HasPrefix(q, "SELECT") && strings.Contains(q, "FROM "+h.table):
			h.sawRead = true
		case h.engine == db.Postgres && !h.atBegin && strings.HasPrefix(q, "UPDATE "+h.table):
			fire = h.sawRead
		case (h.engine == db.SQLite || h.atBegin) && strings.HasPrefix(q, "BEGIN"):
			fire = h.sawRead
		}
	}
	if fire {
		h.armed, h.fired = false, true
	}
	between := h.between
	h.mu.Unlock()
	if fire {
		between()
	}
	return ctx
}

func (h *interleaver) AfterQuery(context.Context, *bun.QueryEvent) {}

func (h *interleaver) didFire() bool { h.mu.Lock(); defer h.mu.Unlock(); return h.fired }

// forEachInterleaved runs fn on a server per engine whose database has an
// interleaver on table.
func forEachInterleaved(t *testing.T, table string, fn func(t *testing.T, e *env, h *interleaver)) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		h := &interleaver{engine: d.Engine, table: table}
		wrap := func(d *db.DB) *db.DB { return &db.DB{DB: d.WithQueryHook(h), Engine: d.Engine, Where: d.Where} }
		fn(t, ownEnv(newEnv(t, wrap(d)), d, wrap), h)
	})
}

// Two directors change one enrollment's status at the same moment: the
// one whose write comes second answers 409 with a message saying so (not
// 500), and only the first change is stored.
func TestConcurrentStatusChangeIsAConflict(t *testing.T) {
	forEachInterleaved(t, `"enrollments"`, func(t *testing.T, e *env, h *interleaver) {
		people := withDemo(t, e)
		sam := people["apprentice2@demo.test"]
		dirA, dirB := e.client(), e.client()
		dirA.login("director@demo.test", demo.Password)
		dirB.login("director@demo.test", demo.Password)
		enr := regexpFind(`href="(/enrollments/[^"]+)"`, dirA.get("/people/"+sam.ID+"/clearance").body)
		if enr == "" {
			t.Fatal("no enrollment link for Sam")
		}
		dirA.get(enr)
		dirB.get(enr)
		id := strings.TrimPrefix(enr, "/enrollments/")
		changes := func() int {
			n, err := e.db.NewSelect().Table("enrollment_status_changes").Where("enrollment_id = ?", id).Count(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
		before, audited := changes(), audittest.Count(t, e.db, evidence.ActionStatusChange)

		var second response
		h.arm(func() {
			// Director B puts Sam on hold while A's withdrawal is between
			// its read (still active) and its write.
			second = dirB.post(enr+"/status", url.Values{"status": {"on_hold"}, "reason": {"leave"}})
		})
		first := dirA.post(enr+"/status", url.Values{"status": {"withdrawn"}, "reason": {"left"}})
		if !h.didFire() {
			t.Fatal("the second change never ran inside the first one: the test did not interleave them")
		}
		if second.StatusCode != http.StatusSeeOther {
			t.Fatalf("the change that got in first: %d\n%s", second.StatusCode, second.body)
		}
		if first.StatusCode != http.StatusConflict || !strings.Contains(first.body, "Someone else changed this enrollment") {
			t.Fatalf("the change that came second: %d, want 409 saying someone else changed it\n%s", first.StatusCode, first.body)
		}
		var status string
		if err := e.db.NewSelect().Table("enrollments").Column("status").Where("id = ?", id).Scan(t.Context(), &status); err != nil {
			t.Fatal(err)
		}
		if status != "on_hold" {
			t.Fatalf("status %q after the race; want on_hold (the change that got in)", status)
		}
		if n := changes(); n != before+1 {
			t.Fatalf("%d status changes recorded for two attempts; want %d", n-before, 1)
		}
		if n := audittest.Count(t, e.db, evidence.ActionStatusChange); n != audited+1 {
			t.Fatalf("%d status changes audited; want 1", n-audited)
		}
		// The API answers the same conflict as JSON.
		_, tok := mustToken(t, e, people["director@demo.test"].ID)
		h.arm(func() {
			if r := apiCall(e, "POST", "/api/v1"+enr+"/status", tok, `{"status":"active"}`); r.StatusCode != http.StatusOK {
				t.Errorf("API change that got in first: %d %s", r.StatusCode, r.body)
			}
		})
		r := apiCall(e, "POST", "/api/v1"+enr+"/status", tok, `{"status":"withdrawn"}`)
		if !h.didFire() || r.StatusCode != http.StatusConflict || !strings.Contains(r.body, `"status":409`) || !strings.Contains(r.body, "Someone else changed") {
			t.Fatalf("API race: fired %v, %d %s", h.didFire(), r.StatusCode, r.body)
		}
	})
}

// A preceptor and a director approve the same hours at the same moment:
// the second answers 409 (the entry was reviewed meanwhile), and the
// entry is reviewed once.
func TestConcurrentReviewIsAConflict(t *testing.T) {
	forEachInterleaved(t, `"hours_entries"`, func(t *testing.T, e *env, h *interleaver) {
		people := withDemo(t, e)
		jordan := people["apprentice@demo.test"]
		_, apTok := mustToken(t, e, jordan.ID)
		_, precTok := mustToken(t, e, people["preceptor@demo.test"].ID)
		_, dirTok := mustToken(t, e, people["director@demo.test"].ID)
		var ens struct{ Enrollments []struct{ ID string } }
		decode(t, apiCall(e, "GET", "/api/v1/enrollments?person="+jordan.ID, apTok, ""), &ens)
		if len(ens.Enrollments) != 1 {
			t.Fatalf("Jordan's enrollments: %+v", ens)
		}
		today := e.clock.Now().In(e.cfg.Location()).Format("2006-01-02")
		r := apiCall(e, "POST", "/api/v1/enrollments/"+ens.Enrollments[0].ID+"/hours", apTok,
			`{"idempotency_key":"race-hours-0001","kind":"ojl","code":"PT-CARE","worked_on":"`+today+`","hours":"6"}`)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("log hours: %d %s", r.StatusCode, r.body)
		}
		var entry struct{ ID string }
		decode(t, r, &entry)
		approvals := audittest.Count(t, e.db, evidence.ActionHoursApprove)

		var second response
		h.arm(func() {
			second = apiCall(e, "POST", "/api/v1/reviews/hours/"+entry.ID, dirTok, `{"decision":"approve"}`)
		})
		first := apiCall(e, "POST", "/api/v1/reviews/hours/"+entry.ID, precTok, `{"decision":"approve"}`)
		if !h.didFire() {
			t.Fatal("the director's approval never ran inside the preceptor's: the test did not interleave them")
		}
		if second.StatusCode != http.StatusOK {
			t.Fatalf("the approval that got in first: %d %s", second.StatusCode, second.body)
		}
		answered(t, "the approval that came second", first, http.StatusConflict, "already been reviewed")
		if n := audittest.Count(t, e.db, evidence.ActionHoursApprove); n != approvals+1 {
			t.Fatalf("%d approvals recorded; want 1", n-approvals)
		}
		var reviewer string
		if err := e.db.NewSelect().Table("hours_entries").Column("reviewed_by").Where("id = ?", entry.ID).Scan(t.Context(), &reviewer); err != nil {
			t.Fatal(err)
		}
		if reviewer != people["director@demo.test"].ID {
			t.Fatalf("reviewed by %q; want the director, whose approval got in", reviewer)
		}
	})
}

// An import is confirmed while someone else takes one of its new people's
// email address: the import's own transaction finds it, answers 409
// (credentials.ErrProblems: the data changed since the preview) and writes
// nothing.
func TestImportChangedSinceThePreviewIsAConflict(t *testing.T) {
	// The preview reads the clinics (sites) to check the rows' site names.
	forEachInterleaved(t, `"sites"`, func(t *testing.T, e *env, h *interleaver) {
		h.atBegin = true
		withDemo(t, e)
		hr := e.client()
		hr.login("hr@demo.test", demo.Password)
		hr.get("/hr/import")
		file := "employee_id,name,email,role,site,credential_type,issuing_body,number,issued_on,expires_on,verified\n" +
			"E-77,Zoe Park,zoe@demo.test,apprentice,Riverside Family Medicine,BLS,AHA,1,2026-01-10,01/2028,yes\n"
		r := postMultipart(hr, "/hr/import", nil, []byte(file), "people.csv")
		upload := regexpFind(`name="upload" value="([^"]+)"`, r.body)
		if r.StatusCode != http.StatusOK || upload == "" {
			t.Fatalf("preview: %d", r.StatusCode)
		}
		h.arm(func() {
			// An administrator adds another person with Zoe's email.
			if _, err := e.store.Create(t.Context(), accounts.NewPerson{Name: "Zoe Other", Email: "zoe@demo.test", EmployeeID: "X-1",
				Roles: []accounts.Role{accounts.RolePreceptor}}); err != nil {
				t.Error(err)
			}
		})
		r = hr.post("/hr/import/confirm", url.Values{"upload": {upload}})
		if !h.didFire() {
			t.Fatal("the other change never ran inside the import")
		}
		answered(t, "credentials.ErrProblems", r, http.StatusConflict, "The data changed since the preview")
		n, err := e.db.NewSelect().Table("users").Where("employee_id = ?", "E-77").Count(t.Context())
		if err != nil || n != 0 {
			t.Fatalf("%d people with employee id E-77 after a refused import (%v); want 0", n, err)
		}
	})
}
