// Package dbtest gives tests a fresh, migrated database on each engine.
//
// Every storage test runs twice, as subtests named "sqlite" and "postgres".
// SQLite gets a new file in the test's temporary directory. PostgreSQL uses
// SKILLGATE_TEST_DATABASE_URL and a new schema per test, dropped afterwards,
// so tests run in parallel and leave nothing behind. Without the variable the
// postgres subtest is skipped with a message, except under CI (CI set), where
// a missing database fails the run.
//
// Building databases is most of what storage tests cost under the race
// detector, so each is built once and copied: a new SQLite database is a
// copy of one migrated file per schema, and a Template (the demo
// organisation, say) is filled once per test binary and engine and copied
// into a test's database (Refill) or a server's (OptionsFrom). Copying on
// PostgreSQL switches triggers off for its transaction, which needs the
// test role to be a superuser, as postgres is on the CI machine.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/migrations"
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
// removed when the test ends. A SQLite database starts as a copy of one
// migrated once per schema (see migratedSQLite): migrating a new file for
// every test cost seconds under the race detector.
func New(t testing.TB, dialect db.Dialect) *db.DB {
	t.Helper()
	o := Options(t, dialect)
	if dialect == db.SQLite {
		if err := copyFile(migratedSQLite(t), o.SQLitePath); err != nil {
			t.Fatalf("copy migrated SQLite database: %v", err)
		}
	}
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
	// A test database need not survive a power cut; waiting for the WAL
	// flush of every commit made PostgreSQL tests wait on the disk.
	q.Set("synchronous_commit", "off")
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

var migrated struct {
	once sync.Once
	path string
	err  error
}

// migratedSQLite returns the path of a SQLite file holding the current
// schema and nothing else, built once per schema: its name carries a hash of
// the migrations, so test binaries and runs share it and a changed migration
// gets a new file. It is written under another name and renamed, so a
// reader never sees a half-built file.
func migratedSQLite(t testing.TB) string {
	t.Helper()
	path, err := migratedSQLiteOnce()
	if err != nil {
		t.Fatalf("build migrated SQLite template: %v", err)
	}
	return path
}

func migratedSQLiteOnce() (string, error) {
	migrated.once.Do(func() { migrated.path, migrated.err = buildMigratedSQLite() })
	return migrated.path, migrated.err
}

func buildMigratedSQLite() (string, error) {
	ms, err := db.LoadMigrations(migrations.Files)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range ms {
		fmt.Fprintf(h, "%s\x00%s\x00", m.Name, m.SQL)
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("skillgate-dbtest-%x.db", h.Sum(nil)[:12]))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	dir, err := os.MkdirTemp("", "skillgate-dbtest-build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	built := filepath.Join(dir, "skillgate.db")
	ctx := context.Background()
	d, err := db.Open(ctx, db.Options{SQLitePath: built})
	if err != nil {
		return "", err
	}
	if _, err := d.MigrateWith(ctx, ms); err != nil {
		d.Close()
		return "", err
	}
	if err := d.Close(); err != nil {
		return "", err
	}
	// Closing the last connection checkpoints and removes the WAL; if it is
	// still there the main file alone is not the whole database.
	if _, err := os.Stat(built + "-wal"); err == nil {
		return "", fmt.Errorf("%s-wal left after close", built)
	}
	if err := os.Rename(built, path); err != nil {
		return "", err
	}
	return path, nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
