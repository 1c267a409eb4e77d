package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
)

func TestHealthAndReadiness(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		if r := apiCall(e, "GET", "/healthz", "", ""); r.StatusCode != 200 || strings.TrimSpace(r.body) != `{"status":"ok"}` {
			t.Fatalf("healthz: %d %s", r.StatusCode, r.body)
		}
		if r := apiCall(e, "GET", "/readyz", "", ""); r.StatusCode != 200 {
			t.Fatalf("readyz: %d %s", r.StatusCode, r.body)
		}
		// Pretend the newest migration was never applied.
		if _, err := e.db.ExecContext(context.Background(), "DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)"); err != nil {
			t.Fatal(err)
		}
		r := apiCall(e, "GET", "/readyz", "", "")
		if r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.body, "pending") {
			t.Fatalf("readyz with a pending migration: %d %s", r.StatusCode, r.body)
		}
	})
}

// The embedded SQLite database lives in the process and cannot be down on
// its own, so this runs on PostgreSQL only.
func TestDatabaseOutageAnswers503AndRecovers(t *testing.T) {
	d, px := proxiedPostgres(t)
	e := newEnv(t, d)
	e.person("out@example.test", accounts.RoleHR)
	c := e.client()
	c.mustLogin("out@example.test")

	px.stop()
	if r := apiCall(e, "GET", "/readyz", "", ""); r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.body, "database unreachable") {
		t.Fatalf("readyz during the outage: %d %s", r.StatusCode, r.body)
	}
	r := c.get("/account")
	if r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.body, "cannot reach its database") {
		t.Fatalf("a page during the outage: %d\n%s", r.StatusCode, r.body)
	}
	if r := apiCall(e, "GET", "/api/v1/me", "sgt_whatever", ""); r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.body, `"status":503`) {
		t.Fatalf("API during the outage: %d %s", r.StatusCode, r.body)
	}

	px.restart()
	if r := apiCall(e, "GET", "/readyz", "", ""); r.StatusCode != 200 {
		t.Fatalf("readyz after the outage: %d %s", r.StatusCode, r.body)
	}
	if r := c.get("/account"); r.StatusCode != 200 {
		t.Fatalf("the same session after the outage: %d", r.StatusCode)
	}
}
