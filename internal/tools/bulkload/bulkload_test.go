package bulkload_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/internal/tools/bulkload"
)

// schemaOf lists a table's indexes and (on PostgreSQL) foreign keys with
// their definitions.
func schemaOf(t *testing.T, d *db.DB, table string) []string {
	t.Helper()
	var out []string
	q := "SELECT name || ': ' || sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL"
	if d.Engine == db.Postgres {
		q = `SELECT indexrelid::regclass::text || ': ' || pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = ?::regclass
			UNION ALL SELECT conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = ?::regclass AND contype = 'f'`
	}
	if err := d.NewRaw(q, table, table).Scan(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func TestLoaderWritesRowsAsGivenAndRestoresIndexes(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		before := map[string][]string{}
		for _, table := range []string{"sites", "user_sites"} {
			before[table] = schemaOf(t, d, table)
		}
		if len(before["sites"]) == 0 || (d.Engine == db.Postgres && len(before["user_sites"]) < 2) {
			t.Fatalf("expected indexes and keys to check: %v", before)
		}
		l, err := bulkload.New(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Rollback()
		if err := l.DeferIndexes(ctx, "sites", "user_sites"); err != nil {
			t.Fatal(err)
		}
		// Text that COPY must escape, and NULL-able columns left empty.
		at := time.Date(2026, 3, 14, 13, 30, 5, 123456000, time.UTC)
		sites := []accounts.Site{{ID: "s1", Name: "Tab\there, new\nline, back\\slash, CR\r", CreatedAt: at}, {ID: "s2", Name: "Plain", CreatedAt: at}}
		if n, err := l.Insert(ctx, &sites); err != nil || n != 2 {
			t.Fatalf("insert: %d, %v", n, err)
		}
		if err := l.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		var got []accounts.Site
		if err := d.NewSelect().Model(&got).Order("id").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Name != sites[0].Name || !got[0].CreatedAt.Equal(at) || got[1].Name != "Plain" {
			t.Fatalf("read back %+v", got)
		}
		if l.Rows("sites") != 2 {
			t.Errorf("stats say %d sites", l.Rows("sites"))
		}
		for table, want := range before {
			if after := schemaOf(t, d, table); !slices.Equal(after, want) {
				t.Errorf("%s after the load:\n%v\nbefore:\n%v", table, after, want)
			}
		}
	})
}

func TestLoaderFailsAsAWholeWhenAnIndexIsBroken(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l, err := bulkload.New(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Rollback()
		if err := l.DeferIndexes(ctx, "sites"); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		sites := []accounts.Site{{ID: "a", Name: "Same", CreatedAt: now}, {ID: "b", Name: "Same", CreatedAt: now}}
		if _, err := l.Insert(ctx, &sites); err != nil {
			t.Fatal(err) // accepted: the unique index is deferred
		}
		if err := l.Commit(ctx); err == nil {
			t.Fatal("two sites of the same name committed")
		}
		var n int
		if err := d.NewRaw("SELECT COUNT(*) FROM sites").Scan(ctx, &n); err != nil || n != 0 {
			t.Fatalf("%d sites after the failed load (%v)", n, err)
		}
		if len(schemaOf(t, d, "sites")) == 0 {
			t.Fatal("the failed load lost the index")
		}
	})
}
