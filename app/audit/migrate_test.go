package audit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/migrations"
)

// A trail written before chain places existed (hash v1, one entry after
// another under the old lock) gets its places from the migration, still
// verifies, and later entries continue it, with ids after the old ones.
func TestMigrationKeepsAnExistingTrail(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			ctx := WithActor(context.Background(), System("test"))
			d, err := db.Open(ctx, dbtest.Options(t, dialect))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			ms, err := db.LoadMigrations(migrations.Files)
			if err != nil {
				t.Fatal(err)
			}
			var before []db.Migration
			for _, m := range ms {
				if m.Version < 29 {
					before = append(before, m)
				}
			}
			if _, err := d.MigrateWith(ctx, before); err != nil {
				t.Fatal(err)
			}
			prev := ""
			for i := int64(1); i <= 3; i++ {
				r := Record{Seq: i, At: time.Date(2026, 3, 1, 9, 0, int(i), 0, time.UTC), Actor: "p-1", Via: "session", Action: "old.write",
					EntityType: "thing", EntityID: fmt.Sprint(i), After: `{"n":1}`, PrevHash: prev}
				r.Hash = r.hashV1()
				prev = r.Hash
				if _, err := d.NewRaw(`INSERT INTO audit_log (seq, at, actor, via, action, entity_type, entity_id, before_json, after_json, ip, request_id, prev_hash, hash)
					VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, '', '', ?, ?)`, r.Seq, r.At, r.Actor, r.Via, r.Action, r.EntityType, r.EntityID, r.After, r.PrevHash, r.Hash).Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := d.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			rep, err := Verify(ctx, d, Anchor{Seq: 3, Hash: prev})
			if err != nil || rep.Problem != nil || rep.Entries != 3 {
				t.Fatalf("after the migration: %+v %v", rep, err)
			}
			if err := New().Append(ctx, d, Entry{Action: "new.write", EntityType: "thing"}); err != nil {
				t.Fatal(err)
			}
			var last Record
			if err := d.NewSelect().Model(&last).Where("action = 'new.write'").Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if last.Seq != 4 || last.ChainSeq == nil || *last.ChainSeq != 4 || last.PrevHash != prev {
				t.Fatalf("the first entry after the migration: id %d, place %v, prev %s", last.Seq, last.ChainSeq, last.PrevHash)
			}
			if rep, err := Verify(ctx, d, Anchor{Seq: 3, Hash: prev}); err != nil || rep.Problem != nil || rep.Entries != 4 {
				t.Fatalf("after a new entry: %+v %v", rep, err)
			}
		})
	}
}
