package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/reminders"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/migrations"
)

// countingMail records reminder emails by recipient and subject.
type countingMail struct {
	mu   sync.Mutex
	sent map[string]int
}

func (m *countingMail) Send(_ context.Context, to, subject, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent[to+"|"+subject]++
	return nil
}

// TestTwoInstancesOnOneDatabase runs two servers, each with its own
// connection pool, on one database, as two instances behind a load
// balancer would (README, "Running several instances"): they start
// together on an empty schema and migrate it once; a session and a CSRF
// token made by one are honoured by the other; and their reminder jobs,
// running at the same moment, create and email each reminder once.
// PostgreSQL is the deployment this is for; SQLite passes too (two pools
// on one file, as two processes on one host would have).
func TestTwoInstancesOnOneDatabase(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			ctx := context.Background()
			o := dbtest.Options(t, dialect)

			// Both start at once on the empty schema.
			var dbs [2]*db.DB
			var applied [2]int
			var errs [2]error
			var wg sync.WaitGroup
			for i := range dbs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if dbs[i], errs[i] = db.Open(ctx, o); errs[i] != nil {
						return
					}
					var ms []db.Migration
					ms, errs[i] = dbs[i].Migrate(ctx)
					applied[i] = len(ms)
				}()
			}
			wg.Wait()
			for i, d := range dbs {
				if d != nil {
					t.Cleanup(func() { d.Close() })
				}
				if errs[i] != nil {
					t.Fatalf("instance %d: %v", i, errs[i])
				}
			}
			all, err := db.LoadMigrations(migrations.Files)
			if err != nil {
				t.Fatal(err)
			}
			if applied[0]+applied[1] != len(all) {
				t.Fatalf("migrations applied %d + %d times; want %d in all, each once", applied[0], applied[1], len(all))
			}

			clk := &clock{t: time.Now().UTC()}
			a, b := newInstance(t, dbs[0], clk), newInstance(t, dbs[1], clk)
			if _, err := demo.Seed(ctx, a.db, a.store); err != nil {
				t.Fatal(err)
			}

			// The login form comes from A and is posted to B; the session
			// made by B is used on A.
			onA := a.client()
			onA.get("/login")
			onB := *onA
			onB.e = b
			if r := onB.post("/login", url.Values{"email": {"hr@demo.test"}, "password": {demo.Password}}); r.StatusCode != http.StatusSeeOther {
				t.Fatalf("login form from A posted to B: %d\n%s", r.StatusCode, r.body)
			}
			if r := onA.get("/account"); r.StatusCode != http.StatusOK || !strings.Contains(r.body, "Helen Ortiz") {
				t.Fatalf("session from B used on A: %d\n%s", r.StatusCode, r.body)
			}

			// A form rendered by A (its CSRF token) is accepted by B, and a
			// forged token is not.
			onB.csrf = "forged-token"
			if r := onB.post("/account/tokens", url.Values{"name": {"x"}, "days": {"30"}}); r.StatusCode != http.StatusForbidden {
				t.Fatalf("forged token on B: %d", r.StatusCode)
			}
			onB.csrf = onA.csrf
			if r := onB.post("/account/tokens", url.Values{"name": {"from A to B"}, "days": {"30"}, "password": {demo.Password}}); r.StatusCode != http.StatusCreated {
				t.Fatalf("form from A posted to B: %d\n%s", r.StatusCode, r.body)
			}

			// Logging out on B ends the session on A too.
			onB.csrf = onA.csrf
			if r := onB.post("/logout", nil); r.StatusCode != http.StatusSeeOther {
				t.Fatalf("logout on B: %d", r.StatusCode)
			}
			if r := onA.get("/account"); r.StatusCode == http.StatusOK {
				t.Fatalf("session still valid on A after logout on B")
			}

			// Both instances run the reminders job at the same moment.
			mail := &countingMail{sent: map[string]int{}}
			var created [2]int
			for i, e := range []*env{a, b} {
				wg.Add(1)
				s := &reminders.Service{DB: e.db, Accounts: e.store, Clearance: e.svc.Clearance, Mail: mail,
					Now: clk.Now, Location: curriculum.DefaultLocation()}
				go func() { defer wg.Done(); created[i], errs[i] = s.Run(ctx) }()
			}
			wg.Wait()
			if errs[0] != nil || errs[1] != nil {
				t.Fatalf("reminders: %v, %v", errs[0], errs[1])
			}
			var rows, distinct int
			if err := a.db.NewRaw("SELECT COUNT(*) FROM notifications").Scan(ctx, &rows); err != nil {
				t.Fatal(err)
			}
			if err := a.db.NewRaw("SELECT COUNT(*) FROM (SELECT DISTINCT recipient_id, subject, threshold, due_on FROM notifications) AS d").Scan(ctx, &distinct); err != nil {
				t.Fatal(err)
			}
			if rows == 0 || rows != distinct || created[0]+created[1] != rows {
				t.Fatalf("instances created %d + %d reminders; %d stored, %d distinct", created[0], created[1], rows, distinct)
			}
			emails := 0
			for k, n := range mail.sent {
				if n != 1 {
					t.Errorf("%s emailed %d times", k, n)
				}
				emails += n
			}
			if emails != rows {
				t.Errorf("%d emails for %d reminders", emails, rows)
			}
		})
	}
}
