package dbtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/curriculum"
)

// Template is a database built once per test binary and engine (migrated,
// then filled by Fill) whose rows tests start from. Seeding the demo
// organisation took 5 to 12 s per test under the race detector; starting
// from a template takes milliseconds on SQLite (a file copy) and one
// round trip on PostgreSQL (its rows copied in one transaction).
//
// A template is rebuilt when the day changes, since what Fill writes may be
// dated from the day it runs. A test binary that uses templates calls Main
// from its TestMain so that they are removed afterwards.
type Template struct {
	// Name says what the template holds, for messages.
	Name string
	// Fill writes the template's rows into a freshly migrated database.
	Fill func(ctx context.Context, d *db.DB) error

	mu    sync.Mutex
	built map[db.Dialect]builtTemplate
}

type builtTemplate struct {
	day    string
	source string // SQLite: the file; PostgreSQL: the schema
}

// templates lists every template built, for Main to remove.
var templates struct {
	mu      sync.Mutex
	dirs    []string // SQLite files' directories
	schemas []string // PostgreSQL schemas
}

// Refill returns a database of the test's holding exactly tpl's rows in
// place of d's, which must be a database of the test's own (from New). On
// PostgreSQL that is d itself, emptied and filled in one transaction with
// triggers off (the rows are copied as they are, stamps included); on
// SQLite, whose triggers cannot be switched off, a new copy of the
// template, closed when the test ends. Services built on d may hold what
// they read before: build them again on the result.
func Refill(t testing.TB, d *db.DB, tpl *Template) *db.DB {
	t.Helper()
	src, err := tpl.source(d.Engine)
	if err != nil {
		t.Fatalf("build %s template on %s: %v", tpl.Name, d.Engine, err)
	}
	if d.Engine == db.SQLite {
		o := Options(t, db.SQLite)
		if err := copyFile(src, o.SQLitePath); err != nil {
			t.Fatalf("copy %s template: %v", tpl.Name, err)
		}
		c, err := db.Open(context.Background(), o)
		if err != nil {
			t.Fatalf("open copy of %s template: %v", tpl.Name, err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	if err := copyRows(context.Background(), d, src); err != nil {
		t.Fatalf("fill from %s template: %v", tpl.Name, err)
	}
	return d
}

// OptionsFrom returns open options for a new database holding tpl's rows,
// for a server started by the test. It is removed when the test ends.
func OptionsFrom(t testing.TB, dialect db.Dialect, tpl *Template) db.Options {
	t.Helper()
	o := Options(t, dialect)
	if dialect == db.SQLite {
		src, err := tpl.source(dialect)
		if err != nil {
			t.Fatalf("build %s template on %s: %v", tpl.Name, dialect, err)
		}
		if err := copyFile(src, o.SQLitePath); err != nil {
			t.Fatalf("copy %s template: %v", tpl.Name, err)
		}
		return o
	}
	d, err := db.Open(context.Background(), o)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	defer d.Close()
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	Refill(t, d, tpl)
	return o
}

// copyRows replaces every row of d's schema with those of the template
// schema src, in one transaction and one round trip. Both schemas come from
// the same migrations, so their columns are in the same order.
func copyRows(ctx context.Context, d *db.DB, src string) error {
	var tables []string
	if err := d.NewRaw(`SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'
		ORDER BY table_name`).Scan(ctx, &tables); err != nil {
		return err
	}
	var seqs []string
	if err := d.NewRaw(`SELECT sequence_name FROM information_schema.sequences
		WHERE sequence_schema = current_schema() ORDER BY sequence_name`).Scan(ctx, &seqs); err != nil {
		return err
	}
	var b strings.Builder
	// Triggers (foreign keys, append-only guards, stamps) stay off for
	// this transaction only: the rows are copied exactly as they are.
	b.WriteString("SET LOCAL session_replication_role = replica;\n")
	for _, tb := range tables {
		fmt.Fprintf(&b, "DELETE FROM %q;\nINSERT INTO %q SELECT * FROM %q.%q;\n", tb, tb, src, tb)
	}
	// Sequences (audit_log_seq) continue where the template's stopped.
	for _, sq := range seqs {
		fmt.Fprintf(&b, "SELECT setval('%s', last_value, is_called) FROM %q.%q;\n", sq, src, sq)
	}
	tx, err := d.DB.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, b.String()); err != nil {
		return err
	}
	return tx.Commit()
}

// templateDay names the day a template built at now belongs to: the
// organisation's calendar day (what Fill dates its records from, such as
// the demo's "hired 20 months ago") and the UTC day (its stamps). Keyed
// by the UTC day alone, a demo built at 04:55 UTC, still the day before
// in New York, was used after 05:00 by tests whose today had moved on,
// and their dates were a day out.
func templateDay(now time.Time) string {
	return curriculum.DateOf(now, nil).String() + " " + now.UTC().Format(time.DateOnly)
}

// source builds the template on dialect if it is missing or from another
// day, and returns its file or schema.
func (tpl *Template) source(dialect db.Dialect) (string, error) {
	tpl.mu.Lock()
	defer tpl.mu.Unlock()
	day := templateDay(time.Now())
	if b, ok := tpl.built[dialect]; ok && b.day == day {
		return b.source, nil
	}
	var (
		src string
		err error
	)
	if dialect == db.SQLite {
		src, err = tpl.buildSQLite()
	} else {
		src, err = tpl.buildPostgres()
	}
	if err != nil {
		return "", err
	}
	if tpl.built == nil {
		tpl.built = map[db.Dialect]builtTemplate{}
	}
	tpl.built[dialect] = builtTemplate{day: day, source: src}
	return src, nil
}

func (tpl *Template) buildSQLite() (string, error) {
	migrated, err := migratedSQLiteOnce()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "skillgate-dbtest-template-")
	if err != nil {
		return "", err
	}
	templates.mu.Lock()
	templates.dirs = append(templates.dirs, dir)
	templates.mu.Unlock()
	path := filepath.Join(dir, "skillgate.db")
	if err := copyFile(migrated, path); err != nil {
		return "", err
	}
	ctx := context.Background()
	d, err := db.Open(ctx, db.Options{SQLitePath: path})
	if err != nil {
		return "", err
	}
	if err := tpl.Fill(ctx, d); err != nil {
		d.Close()
		return "", err
	}
	if err := d.Close(); err != nil {
		return "", err
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		return "", fmt.Errorf("%s-wal left after close", path)
	}
	return path, nil
}

func (tpl *Template) buildPostgres() (string, error) {
	base := os.Getenv(EnvURL)
	if base == "" {
		return "", fmt.Errorf("%s is not set", EnvURL)
	}
	ctx := context.Background()
	admin, err := db.Open(ctx, db.Options{URL: base})
	if err != nil {
		return "", err
	}
	defer admin.Close()
	sweepPostgres(ctx, admin)
	schema := fmt.Sprintf("sgtpl_%d_%s", time.Now().Unix(), randomHex(6))
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", err
	}
	templates.mu.Lock()
	templates.schemas = append(templates.schemas, schema)
	templates.mu.Unlock()
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	d, err := db.Open(ctx, db.Options{URL: u.String()})
	if err != nil {
		return "", err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return "", err
	}
	if err := tpl.Fill(ctx, d); err != nil {
		return "", err
	}
	return schema, nil
}

// Main runs the tests of a package that uses templates, then removes every
// template built. Call it from TestMain: os.Exit(dbtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	templates.mu.Lock()
	defer templates.mu.Unlock()
	for _, dir := range templates.dirs {
		os.RemoveAll(dir)
	}
	if base := os.Getenv(EnvURL); base != "" && len(templates.schemas) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if a, err := db.Open(ctx, db.Options{URL: base}); err == nil {
			for _, s := range templates.schemas {
				_, _ = a.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+s+" CASCADE")
			}
			a.Close()
		}
	}
	return code
}

var leftover = regexp.MustCompile(`^sgtpl_(\d+)_[0-9a-f]+$`)

var sweepOnce sync.Once

// sweepPostgres drops template schemas more than six hours old: those of a
// run killed before Main could remove them.
func sweepPostgres(ctx context.Context, admin *db.DB) {
	sweepOnce.Do(func() {
		var names []string
		if err := admin.NewRaw("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'sgtpl_%'").Scan(ctx, &names); err != nil {
			return
		}
		for _, n := range names {
			m := leftover.FindStringSubmatch(n)
			if m == nil {
				continue
			}
			if at, err := strconv.ParseInt(m[1], 10, 64); err == nil && time.Since(time.Unix(at, 0)) > 6*time.Hour {
				_, _ = admin.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+n+" CASCADE")
			}
		}
	})
}
