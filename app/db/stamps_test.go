package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// A change stamp moves when a write in its scope commits, not before: a
// reader that sees the new stamp also sees the write. An unknown scope
// reads as 0.
func TestChangeStampMovesAtCommit(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := context.Background()
		stamp := func() int64 {
			t.Helper()
			v, err := db.ChangeStamp(ctx, d, db.ScopeCredentials)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		if v, err := db.ChangeStamp(ctx, d, "no such scope"); err != nil || v != 0 {
			t.Fatalf("unknown scope: %d, %v", v, err)
		}
		before := stamp()
		tx, err := d.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, "INSERT INTO sites (id, name, created_at) VALUES (?, ?, ?), (?, ?, ?)",
			"s1", "North", time.Now().UTC(), "s2", "South", time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		if got := stamp(); got != before {
			t.Fatalf("stamp moved to %d before the write committed (was %d)", got, before)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		after := stamp()
		if after <= before {
			t.Fatalf("stamp %d after a committed write, was %d", after, before)
		}
		// PostgreSQL bumps once per statement, however many rows.
		if d.Engine == db.Postgres && after != before+1 {
			t.Fatalf("a two-row insert moved the stamp from %d to %d; want one bump per statement", before, after)
		}
	})
}
