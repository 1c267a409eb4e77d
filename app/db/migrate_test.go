package db_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/migrations"
)

func TestMigrateEmptyDatabaseToHead(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d, err := db.Open(ctx, dbtest.Options(t, dialect))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if err := d.SchemaCurrent(ctx); err == nil {
				t.Fatal("an empty database reports its schema as current")
			}
			applied, err := d.Migrate(ctx)
			if err != nil {
				t.Fatalf("migrate: %v", err)
			}
			all, _ := db.LoadMigrations(migrations.Files)
			if len(applied) != len(all) || len(all) == 0 {
				t.Fatalf("applied %d of %d migrations", len(applied), len(all))
			}
			if err := d.SchemaCurrent(ctx); err != nil {
				t.Fatalf("after migrating: %v", err)
			}
			again, err := d.Migrate(ctx)
			if err != nil || len(again) != 0 {
				t.Fatalf("second run applied %d (%v); want none", len(again), err)
			}
			st, err := d.MigrationStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range st {
				if s.AppliedAt.IsZero() || s.Description == "" {
					t.Errorf("migration %s: applied %v, description %q", s.Name, s.AppliedAt, s.Description)
				}
			}
			// The schema works: a row goes in and comes back.
			if _, err := d.ExecContext(ctx, "INSERT INTO app_meta (key, value) VALUES ('probe', 'x')"); err != nil {
				t.Fatalf("insert into migrated schema: %v", err)
			}
		})
	}
}

// A failing migration leaves nothing behind and is not marked applied.
func TestFailedMigrationIsNotMarkedApplied(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ms, err := db.LoadMigrations(fstest.MapFS{
			"0901_good_then_bad.sql": {Data: []byte("-- creates a table then fails\nCREATE TABLE half_done (id TEXT PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);\n")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.MigrateWith(ctx, ms); err == nil || !strings.Contains(err.Error(), "0901_good_then_bad.sql") {
			t.Fatalf("want an error naming the migration, got %v", err)
		}
		var n int
		if err := d.NewRaw("SELECT COUNT(*) FROM schema_migrations WHERE version = 901").Scan(ctx, &n); err != nil || n != 0 {
			t.Fatalf("failed migration recorded as applied (count %d, %v)", n, err)
		}
		if _, err := d.ExecContext(ctx, "SELECT * FROM half_done"); err == nil {
			t.Fatal("the failed migration's first statement was kept")
		}
	})
}

// Two instances starting at once apply each migration exactly once.
func TestConcurrentMigrateAppliesOnce(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			ctx := context.Background()
			o := dbtest.Options(t, dialect)
			var wg sync.WaitGroup
			counts := make([]int, 3)
			errs := make([]error, 3)
			for i := range counts {
				wg.Add(1)
				go func() {
					defer wg.Done()
					d, err := db.Open(ctx, o)
					if err != nil {
						errs[i] = err
						return
					}
					defer d.Close()
					applied, err := d.Migrate(ctx)
					counts[i], errs[i] = len(applied), err
				}()
			}
			wg.Wait()
			total := 0
			for i := range counts {
				if errs[i] != nil {
					t.Fatalf("instance %d: %v", i, errs[i])
				}
				total += counts[i]
			}
			all, _ := db.LoadMigrations(migrations.Files)
			if total != len(all) {
				t.Fatalf("migrations applied %d times in all; want %d", total, len(all))
			}
		})
	}
}

func TestLoadMigrationsRejectsBadNames(t *testing.T) {
	for name, fs := range map[string]fstest.MapFS{
		"bad name":          {"init.sql": {Data: []byte("-- x\nSELECT 1;")}},
		"no description":    {"0001_x.sql": {Data: []byte("SELECT 1;")}},
		"duplicate version": {"0001_a.sql": {Data: []byte("-- a\n")}, "0001_b.sql": {Data: []byte("-- b\n")}},
	} {
		if _, err := db.LoadMigrations(fs); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestMigrationSQLForEngine(t *testing.T) {
	m := db.Migration{SQL: "-- what\nCREATE TABLE a (x TEXT);\n-- only postgres\nCREATE FUNCTION f();\n-- only sqlite\nCREATE TRIGGER t;\n-- both\nCREATE INDEX i ON a (x);\n"}
	pg, lite := m.SQLFor(db.Postgres), m.SQLFor(db.SQLite)
	if !strings.Contains(pg, "CREATE FUNCTION") || strings.Contains(pg, "CREATE TRIGGER") || !strings.Contains(pg, "CREATE INDEX") || !strings.Contains(pg, "CREATE TABLE") {
		t.Errorf("postgres statements:\n%s", pg)
	}
	if strings.Contains(lite, "CREATE FUNCTION") || !strings.Contains(lite, "CREATE TRIGGER") || !strings.Contains(lite, "CREATE INDEX") || !strings.Contains(lite, "CREATE TABLE") {
		t.Errorf("sqlite statements:\n%s", lite)
	}
	if plain := (db.Migration{SQL: "-- x\nSELECT 1;\n"}); plain.SQLFor(db.SQLite) != plain.SQL || plain.SQLFor(db.Postgres) != plain.SQL {
		t.Error("a migration without sections changed")
	}
}

// TestPeopleSearchTrigramIndexes: where PostgreSQL offers pg_trgm, the
// migrated schema has the trigram indexes people searches use (0032), and
// a search for part of a name uses one; a migration that silently left
// them out would only show as slow searches.
func TestPeopleSearchTrigramIndexes(t *testing.T) {
	ctx := context.Background()
	d, err := db.Open(ctx, dbtest.Options(t, db.Postgres))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var available bool
	if err := d.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm')").Scan(&available); err != nil || !available {
		t.Skipf("pg_trgm is not available on this server (%v)", err)
	}
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	var names []string
	rows, err := d.QueryContext(ctx, "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'users' AND indexdef LIKE '%gin_trgm_ops%' ORDER BY indexname")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"users_email_trgm_idx", "users_employee_id_trgm_idx", "users_name_trgm_idx"}; !slices.Equal(names, want) {
		t.Fatalf("trigram indexes on users: %v, want %v", names, want)
	}
	// The planner would rather scan a handful of rows: tell it not to, to
	// see that the index answers the search's own expression.
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var plan strings.Builder
	if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	prows, err := tx.QueryContext(ctx, `EXPLAIN SELECT id FROM users WHERE LOWER(name) LIKE '%garcia%' OR LOWER(email) = 'garcia@x.test' OR LOWER(COALESCE(employee_id, '')) LIKE '%e20%'`)
	if err != nil {
		t.Fatal(err)
	}
	for prows.Next() {
		var line string
		if err := prows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	_ = prows.Close()
	for _, idx := range []string{"users_name_trgm_idx", "users_email_trgm_idx", "users_employee_id_trgm_idx"} {
		if !strings.Contains(plan.String(), idx) {
			t.Errorf("the search does not use %s:\n%s", idx, plan.String())
		}
	}
}
