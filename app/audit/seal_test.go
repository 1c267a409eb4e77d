package audit_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// waitingEntries commits n entries that wait for the sealer, as a crash
// between their writes and their sealing leaves them: on PostgreSQL by
// appending while another transaction holds the chain's lock (so the
// writers do not wait, and nothing seals); on SQLite, whose writers always
// chain, by writing them as such a writer would.
func waitingEntries(t *testing.T, d *db.DB, n int) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.System("test"))
	if d.Engine == db.Postgres {
		holder, err := d.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer holder.Rollback()
		if _, err := holder.ExecContext(ctx, "SELECT pg_advisory_xact_lock("+audit.LockKey+")"); err != nil {
			t.Fatal(err)
		}
		appendN(t, ctx, d, audit.New(), n)
		return
	}
	seqs, err := audit.Reserve(ctx, d, n)
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]audit.Record, n)
	for i := range rows {
		rows[i] = audit.Record{Seq: seqs[i], At: fixedClock()(), Actor: audit.SystemActor, Via: "test", Action: "test.write",
			EntityType: "thing", EntityID: fmt.Sprint(i), After: fmt.Sprintf(`{"n":%d}`, i)}
	}
	if _, err := d.NewInsert().Model(&rows).Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

// Entries committed but not yet chained (a writer found the chain busy, and
// the process stopped before any sealer ran) are in the trail at once,
// counted as waiting by verify, and chained by the next Seal after the
// entries chained before, which an earlier anchor still covers.
func TestCrashBetweenWriteAndSealLeavesEntriesWaiting(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		before := seeded(t, d, 3).Head
		waitingEntries(t, d, 4)
		if _, n, err := audit.List(context.Background(), d, audit.Filter{}, 1, 0); err != nil || n != 7 {
			t.Fatalf("the trail lists %d entries (%v), want 7 at once", n, err)
		}
		rep := mustVerify(t, d, before)
		if rep.Problem != nil || rep.Entries != 3 || rep.Waiting != 4 || rep.OldestWaiting.IsZero() {
			t.Fatalf("before sealing: %+v", rep)
		}
		n, err := audit.Seal(context.Background(), d)
		if err != nil || n != 4 {
			t.Fatalf("sealed %d, %v; want 4", n, err)
		}
		rep = mustVerify(t, d, before)
		if rep.Problem != nil || rep.Entries != 7 || rep.Waiting != 0 || rep.Head.Seq != 7 {
			t.Fatalf("after sealing: %+v", rep)
		}
		if n, err := audit.Seal(context.Background(), d); err != nil || n != 0 {
			t.Fatalf("a second Seal chained %d, %v", n, err)
		}
	})
}

// A waiting entry cannot be edited or removed, only chained; once chained
// its place cannot change; a change made by someone who may switch the
// table's triggers off is found as for any entry.
func TestWaitingEntriesAreProtectedAndSealedOnesChecked(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		seeded(t, d, 2)
		waitingEntries(t, d, 3)
		ctx := context.Background()
		var waiting int64
		if err := d.NewSelect().Model((*audit.Record)(nil)).ColumnExpr("MIN(seq)").Where("chain_seq IS NULL").Scan(ctx, &waiting); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			"UPDATE audit_log SET after_json = '{\"n\":99}' WHERE seq = ?",
			"UPDATE audit_log SET chain_seq = 3, after_json = '{\"n\":99}' WHERE seq = ?",
			"DELETE FROM audit_log WHERE seq = ?",
		} {
			if _, err := d.NewRaw(q, waiting).Exec(ctx); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s on a waiting entry: want refusal, got %v", q, err)
			}
		}
		if _, err := audit.Seal(ctx, d); err != nil {
			t.Fatal(err)
		}
		if _, err := d.NewRaw("UPDATE audit_log SET chain_seq = 99 WHERE seq = ?", waiting).Exec(ctx); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("moving a chained entry: want refusal, got %v", err)
		}
		if rep := mustVerify(t, d); rep.Problem != nil || rep.Entries != 5 {
			t.Fatalf("after sealing: %+v", rep)
		}
		allowTampering(t, d)
		exec(t, d, `UPDATE audit_log SET after_json = '{"n":99}' WHERE chain_seq = 4`)
		if p := mustVerify(t, d).Problem; p == nil || p.Seq != 4 || p.Kind != "altered" {
			t.Fatalf("edited sealed entry 4: got %+v", p)
		}
	})
}

// Two entries in one place of the chain (a fork) are refused by the
// database itself.
func TestChainRefusesFork(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		head := seeded(t, d, 2).Head
		ctx := context.Background()
		seqs, err := audit.Reserve(ctx, d, 1)
		if err != nil {
			t.Fatal(err)
		}
		two := int64(2)
		fork := audit.Record{Seq: seqs[0], ChainSeq: &two, At: fixedClock()(), Actor: "p-x", Action: "signoff.create", EntityType: "signoff",
			EntityID: "s", PrevHash: head.Hash}
		fork.Hash = fork.ComputeHash()
		if _, err := d.NewInsert().Model(&fork).Exec(ctx); !db.IsUniqueViolation(err) {
			t.Fatalf("second entry 2: want a unique violation, got %v", err)
		}
	})
}

// A Counter's total of the whole trail is the number of entries at every
// moment: before anything is written, with entries waiting for the
// sealer, after they are chained, and as more come (counted from where it
// counted before); a filtered list is counted in full, and the page is the
// same as List's.
func TestCounterCountsTheWholeTrail(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var c audit.Counter
		check := func(stage string, want int) {
			t.Helper()
			rows, n, err := c.List(ctx, d, audit.Filter{}, 5, 1)
			if err != nil {
				t.Fatalf("%s: %v", stage, err)
			}
			plain, pn, err := audit.List(ctx, d, audit.Filter{}, 5, 1)
			if err != nil {
				t.Fatal(err)
			}
			if n != want || pn != want || len(rows) != len(plain) {
				t.Fatalf("%s: counted %d (List %d), want %d; %d rows, List %d", stage, n, pn, want, len(rows), len(plain))
			}
			for i := range rows {
				if rows[i].Seq != plain[i].Seq {
					t.Fatalf("%s: row %d is entry %d, List has %d", stage, i, rows[i].Seq, plain[i].Seq)
				}
			}
		}
		check("empty trail", 0)
		seeded(t, d, 3)
		check("three chained", 3)
		waitingEntries(t, d, 4)
		check("four waiting", 7)
		if _, err := audit.Seal(ctx, d); err != nil {
			t.Fatal(err)
		}
		check("sealed", 7)
		appendN(t, audit.WithActor(ctx, audit.System("test")), d, audit.New(), 2)
		check("two more", 9)
		check("again", 9)
		if _, n, err := c.List(ctx, d, audit.Filter{EntityID: "1"}, 5, 0); err != nil || n != 3 {
			t.Fatalf("entries about thing 1: %d (%v), want 3", n, err)
		}
	})
}
