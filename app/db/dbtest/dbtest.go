// Package dbtest gives tests a fresh, migrated database on each engine.
//
// Every storage test runs twice, as subtests named "sqlite" and "postgres".
// SQLite gets a new file in the test's temporary directory. PostgreSQL uses
// SKILLGATE_TEST_DATABASE_URL and a new schema per test, dropped afterwards,
// so tests run in parallel and leave nothing behind. Without the variable the
// postgres subtest is skipped with a message, except under CI (CI set), where
// a missing database fails the run.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/db"
)

// EnvURL names the variable holding the PostgreSQL server for tests.
const EnvURL = "SKILLGATE_TEST_DATABASE_URL"

// Dialects lists the engines every storage test runs on.
var Dialects = []db.Dialect{db.SQLite, db.Postgres}

// ForEach runs fn once per engine, as subtests "sqlite" and "postgres",
// each with its own freshly migrated database.
func ForEach(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	for _, dialect := range Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			fn(t, New(t, dialect))
		})
	}
}

// New returns a freshly migrated database of the given engine, closed and
// removed when the test ends.
func New(t testing.TB, dialect db.Dialect) *db.DB {
	t.Helper()
	o := Options(t, dialect)
	d, err := db.Open(context.Background(), o)
	if err != nil {
		t.Fatalf("open %s test database: %v", dialect, err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s test database: %v", dialect, err)
	}
	return d
}

// Options returns open options for a new, empty database of the given
// engine (not yet migrated). For PostgreSQL the schema is created now and
// dropped when the test ends; its URL (with search_path) is in Options.URL,
// so a server started by the test can be given the same database.
func Options(t testing.TB, dialect db.Dialect) db.Options {
	t.Helper()
	if dialect == db.SQLite {
		return db.Options{SQLitePath: filepath.Join(t.TempDir(), "skillgate.db")}
	}
	base := PostgresURL(t)
	schema := "t_" + randomHex(8)
	admin, err := db.Open(context.Background(), db.Options{URL: base})
	if err != nil {
		t.Fatalf("connect to test PostgreSQL: %v", err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		a, err := db.Open(ctx, db.Options{URL: base})
		if err != nil {
			t.Logf("drop test schema %s: %v", schema, err)
			return
		}
		defer a.Close()
		if _, err := a.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Logf("drop test schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return db.Options{URL: u.String()}
}

// PostgresURL returns the test server's URL, skipping the test when none is
// configured (failing instead under CI).
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set; CI must run the postgres tests", EnvURL)
		}
		t.Skipf("postgres tests skipped: set %s=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable to run them", EnvURL)
	}
	return u
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
