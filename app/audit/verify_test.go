package audit_test

import (
	"context"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// allowTampering does what only the table's owner or a superuser can: it
// switches off the triggers that make the audit table append-only.
func allowTampering(t *testing.T, d *db.DB) {
	t.Helper()
	stmts := []string{"ALTER TABLE audit_log DISABLE TRIGGER USER"}
	if d.Engine == db.SQLite {
		stmts = []string{"DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"}
	}
	for _, s := range stmts {
		if _, err := d.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func exec(t *testing.T, d *db.DB, q string, args ...any) {
	t.Helper()
	if _, err := d.NewRaw(q, args...).Exec(context.Background()); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func seeded(t *testing.T, d *db.DB, n int) audit.Report {
	t.Helper()
	appendN(t, audit.WithActor(context.Background(), audit.System("test")), d, audit.New(), n)
	rep := mustVerify(t, d)
	if rep.Problem != nil || rep.Entries != int64(n) {
		t.Fatalf("fresh chain: %+v", rep)
	}
	return rep
}

func TestAuditTableRefusesUpdateAndDelete(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		seeded(t, d, 2)
		ctx := context.Background()
		for _, q := range []string{
			"UPDATE audit_log SET after_json = '{}' WHERE seq = 1",
			"DELETE FROM audit_log WHERE seq = 2",
		} {
			_, err := d.ExecContext(ctx, q)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: want refusal, got %v", q, err)
			}
		}
		if d.Engine == db.Postgres {
			if _, err := d.ExecContext(ctx, "TRUNCATE audit_log"); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("TRUNCATE: want refusal, got %v", err)
			}
		}
		if rep := mustVerify(t, d); rep.Problem != nil || rep.Entries != 2 {
			t.Fatalf("after refused changes: %+v", rep)
		}
	})
}

func TestVerifyFindsEditedRow(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		seeded(t, d, 5)
		allowTampering(t, d)
		exec(t, d, `UPDATE audit_log SET after_json = '{"n":99}' WHERE seq = 3`)
		p := mustVerify(t, d).Problem
		if p == nil || p.Seq != 3 || p.Kind != "altered" {
			t.Fatalf("edited entry 3: got %+v", p)
		}
	})
}

func TestVerifyFindsDeletedRow(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		seeded(t, d, 5)
		allowTampering(t, d)
		exec(t, d, "DELETE FROM audit_log WHERE seq = 3")
		p := mustVerify(t, d).Problem
		if p == nil || p.Seq != 3 || p.Kind != "removed" {
			t.Fatalf("deleted entry 3: got %+v", p)
		}
	})
}

// Removing the newest entries leaves a valid chain; an anchor noted from an
// earlier verify catches it.
func TestVerifyWithAnchorFindsRemovedTail(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		head := seeded(t, d, 5).Head
		if head.Seq != 5 {
			t.Fatalf("head %+v", head)
		}
		anchor, err := audit.ParseAnchor(head.String())
		if err != nil || anchor != head {
			t.Fatalf("anchor round trip: %v %v", anchor, err)
		}
		allowTampering(t, d)
		exec(t, d, "DELETE FROM audit_log WHERE seq >= 4")
		if p := mustVerify(t, d).Problem; p != nil {
			t.Fatalf("without an anchor a shortened chain still holds, got %+v", p)
		}
		p := mustVerify(t, d, anchor).Problem
		if p == nil || p.Seq != 4 || p.Kind != "removed" {
			t.Fatalf("removed tail with anchor: got %+v", p)
		}
	})
}

// A forger who inserts an entry in the middle renumbers the later ones and
// recomputes every hash from their content, so each entry on its own looks
// right; the next genuine entry still names the hash of the entry that was
// there before, which the forger cannot change without rewriting the rest
// of the chain (what anchors catch).
func TestVerifyFindsRowInsertedInTheMiddle(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		seeded(t, d, 5)
		ctx := context.Background()
		allowTampering(t, d)
		exec(t, d, "UPDATE audit_log SET seq = seq + 1000, chain_seq = chain_seq + 1000 WHERE seq >= 3")
		exec(t, d, "UPDATE audit_log SET seq = seq - 999, chain_seq = chain_seq - 999 WHERE seq >= 1000")
		var moved []audit.Record
		if err := d.NewSelect().Model(&moved).Where("seq >= 4").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		for _, r := range moved {
			exec(t, d, "UPDATE audit_log SET hash = ? WHERE seq = ?", r.ComputeHash(), r.Seq)
		}
		var second audit.Record
		if err := d.NewSelect().Model(&second).Where("seq = 2").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		forged := second
		three := int64(3)
		forged.Seq, forged.ChainSeq, forged.PrevHash, forged.Action, forged.After = 3, &three, second.Hash, "signoff.create", `{"forged":true}`
		forged.Hash = forged.ComputeHash()
		if _, err := d.NewInsert().Model(&forged).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		p := mustVerify(t, d).Problem
		if p == nil || p.Seq != 3 || p.Kind != "inserted" {
			t.Fatalf("inserted entry 3: got %+v", p)
		}
	})
}

// An entry added at the end by hand, with a hash made up or copied, is
// caught; one whose hash is recomputed correctly is the documented limit of
// a chain without a secret (SECURITY.md).
func TestVerifyFindsForgedLastRowWithWrongHash(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		head := seeded(t, d, 3).Head
		ctx := context.Background()
		four := int64(4)
		forged := audit.Record{Seq: 4, ChainSeq: &four, At: fixedClock()(), Actor: "p-x", Action: "signoff.create", EntityType: "signoff",
			EntityID: "s", PrevHash: head.Hash, Hash: head.Hash}
		if _, err := d.NewInsert().Model(&forged).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		p := mustVerify(t, d).Problem
		if p == nil || p.Seq != 4 || p.Kind != "altered" {
			t.Fatalf("forged entry 4: got %+v", p)
		}
	})
}

// Verify reads in batches: a chain longer than one batch verifies, and a
// break beyond the first batch is found at its place.
func TestVerifyAcrossBatches(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := audit.WithActor(context.Background(), audit.System("test"))
		n := audit.VerifyBatch*2 + 7
		es := make([]audit.Entry, n)
		for i := range es {
			es[i] = audit.Entry{Action: "bulk.row", EntityType: "row"}
		}
		if err := audit.New().AppendAll(ctx, d, es); err != nil {
			t.Fatal(err)
		}
		if rep := mustVerify(t, d); rep.Problem != nil || rep.Entries != int64(n) {
			t.Fatalf("%+v", rep)
		}
		allowTampering(t, d)
		exec(t, d, "DELETE FROM audit_log WHERE seq = ?", audit.VerifyBatch+1)
		if p := mustVerify(t, d).Problem; p == nil || p.Seq != int64(audit.VerifyBatch+1) {
			t.Fatalf("gap after the first batch: %+v", p)
		}
	})
}
