package accounts_test

import (
	"context"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/migrations"
)

// Migration 0019 moves hire dates to people: a person with one keeps it, a
// person without takes their first enrollment's (not the re-enrollment's),
// and each starts a history saying where the date came from.
func TestHireDatesMoveToPeople(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d, err := db.Open(ctx, dbtest.Options(t, dialect))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			all, err := db.LoadMigrations(migrations.Files)
			if err != nil {
				t.Fatal(err)
			}
			before := 0
			for before < len(all) && all[before].Version < 19 {
				before++
			}
			if _, err := d.MigrateWith(ctx, all[:before]); err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{
				"INSERT INTO sites (id, name, created_at) VALUES ('s', 'Clinic', '2025-01-01T00:00:00Z')",
				"INSERT INTO programs (id, code, title, created_at) VALUES ('p', 'MA', 'MA', '2025-01-01T00:00:00Z')",
				"INSERT INTO program_versions (id, program_id, number, status, content, content_sha256, created_at, updated_at) VALUES ('v', 'p', 1, 'published', '{}', 'x', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')",
				"INSERT INTO users (id, email, name, hire_date, created_at, updated_at) VALUES ('kept', 'k@example.test', 'K', '2024-05-01', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')",
				"INSERT INTO users (id, email, name, created_at, updated_at) VALUES ('moved', 'm@example.test', 'M', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')",
				"INSERT INTO users (id, email, name, created_at, updated_at) VALUES ('none', 'n@example.test', 'N', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')",
				"INSERT INTO enrollments (id, apprentice_id, version_id, site_id, hire_date, start_date, status, created_at, idempotency_key) VALUES ('e1', 'kept', 'v', 's', '2025-02-01', '2025-02-01', 'active', '2025-02-01T00:00:00Z', 'a')",
				"INSERT INTO enrollments (id, apprentice_id, version_id, site_id, hire_date, start_date, status, created_at, idempotency_key) VALUES ('e2', 'moved', 'v', 's', '2025-03-01', '2025-03-01', 'withdrawn', '2025-03-01T00:00:00Z', 'b')",
				"INSERT INTO enrollments (id, apprentice_id, version_id, site_id, hire_date, start_date, status, created_at, idempotency_key) VALUES ('e3', 'moved', 'v', 's', '2025-09-01', '2025-09-01', 'active', '2025-09-01T00:00:00Z', 'c')",
			} {
				if _, err := d.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if _, err := d.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			s := accounts.NewStore(d)
			for id, want := range map[string]string{"kept": "2024-05-01", "moved": "2025-03-01", "none": ""} {
				p, err := s.ByID(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				h, err := s.HireDateHistory(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if p.HireDate != want || (want == "" && len(h) != 0) || (want != "" && (len(h) != 1 || h[0].HireDate != want || h[0].Reason == "")) {
					t.Errorf("%s: hire date %q, history %+v; want %q", id, p.HireDate, h, want)
				}
			}
		})
	}
}
