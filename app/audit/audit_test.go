package audit_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

func fixedClock() func() time.Time {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.UTC)
	return func() time.Time { return t0 }
}

func appendN(t *testing.T, ctx context.Context, d *db.DB, l *audit.Log, n int) {
	t.Helper()
	for i := range n {
		if err := l.Append(ctx, d, audit.Entry{Action: "test.write", EntityType: "thing", EntityID: fmt.Sprint(i),
			Before: map[string]any{"n": i}, After: map[string]any{"n": i + 1}}); err != nil {
			t.Fatal(err)
		}
	}
}

func mustVerify(t *testing.T, d *db.DB, anchors ...audit.Anchor) audit.Report {
	t.Helper()
	rep, err := audit.Verify(context.Background(), d, anchors...)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestAppendRecordsActorFromContextAndRedactsSecrets(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := audit.WithActor(context.Background(), audit.Actor{ID: "p-1", Via: "token:t-9", IP: "10.0.0.7", RequestID: "req-1"})
		l := &audit.Log{Now: fixedClock()}
		err := l.Append(ctx, d, audit.Entry{Action: "person.password_change", EntityType: "person", EntityID: "p-1",
			Before: map[string]any{"password_hash": "$argon2id$x", "name": "Ann"},
			After:  map[string]any{"Password": "hunter2-hunter2", "nested": []any{map[string]any{"token": "sgt_abc", "session_id": "s"}}, "reset_code": "r"}})
		if err != nil {
			t.Fatal(err)
		}
		rows, n, err := audit.List(context.Background(), d, audit.Filter{}, 10, 0)
		if err != nil || n != 1 {
			t.Fatalf("list: %d rows, %v", n, err)
		}
		r := rows[0]
		if r.Seq != 1 || r.Actor != "p-1" || r.Via != "token:t-9" || r.IP != "10.0.0.7" || r.RequestID != "req-1" || r.PrevHash != "" {
			t.Fatalf("entry %+v", r)
		}
		if !r.At.Equal(time.Date(2026, 3, 1, 9, 0, 0, 123456000, time.UTC)) {
			t.Errorf("at %v, want the injected clock to the microsecond", r.At)
		}
		for _, secret := range []string{"argon2id", "hunter2", "sgt_abc", `"s"`, `"r"`} {
			if strings.Contains(r.Before+r.After, secret) {
				t.Errorf("secret %s kept: before %s after %s", secret, r.Before, r.After)
			}
		}
		if !strings.Contains(r.Before, `"name":"Ann"`) || !strings.Contains(r.After, audit.Redacted) {
			t.Errorf("values not kept or not redacted: %s / %s", r.Before, r.After)
		}
		if rep := mustVerify(t, d); rep.Problem != nil || rep.Entries != 1 {
			t.Fatalf("verify: %+v", rep)
		}
	})
}

func TestAppendWithoutActorIsMarkedUnattributed(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		if err := audit.New().Append(context.Background(), d, audit.Entry{Action: "x.y", EntityType: "x"}); err != nil {
			t.Fatal(err)
		}
		rows, _, _ := audit.List(context.Background(), d, audit.Filter{}, 1, 0)
		if len(rows) != 1 || rows[0].Actor != audit.Unattributed {
			t.Fatalf("rows %+v", rows)
		}
	})
}

// An entry appended in a transaction that rolls back is gone with it, and
// the next entry takes its place in the chain.
func TestAppendRollsBackWithTheChange(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := audit.WithActor(context.Background(), audit.System("test"))
		l := audit.New()
		boom := errors.New("boom")
		err := d.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := l.Append(ctx, tx, audit.Entry{Action: "a.b", EntityType: "a"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		appendN(t, ctx, d, l, 2)
		rep := mustVerify(t, d)
		if rep.Problem != nil || rep.Entries != 2 || rep.Head.Seq != 2 {
			t.Fatalf("after rollback: %+v", rep)
		}
	})
}

// Appends from concurrent transactions form one chain without forks or gaps.
func TestConcurrentAppendsFormOneChain(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		const workers, each = 20, 10
		l := audit.New()
		var wg sync.WaitGroup
		errs := make(chan error, workers*each+2)
		// Two sealers (two instances) chain waiting entries meanwhile.
		stop := make(chan struct{})
		var sealers sync.WaitGroup
		for range 2 {
			sealers.Add(1)
			go func() {
				defer sealers.Done()
				for {
					if _, err := audit.Seal(context.Background(), d); err != nil {
						errs <- err
					}
					select {
					case <-stop:
						return
					default:
					}
				}
			}()
		}
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := audit.WithActor(context.Background(), audit.Actor{ID: fmt.Sprintf("worker-%d", w)})
				for i := range each {
					// Each in its own transaction with another write, as stores do.
					err := d.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
						if _, err := tx.NewRaw("SELECT 1").Exec(ctx); err != nil {
							return err
						}
						return l.Append(ctx, tx, audit.Entry{Action: "test.concurrent", EntityType: "w", EntityID: fmt.Sprintf("%d-%d", w, i)})
					})
					if err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(stop)
		sealers.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("append or seal: %v", err)
		}
		// Entries that found the chain busy wait for the sealer.
		if _, err := audit.Seal(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		rep := mustVerify(t, d)
		if rep.Problem != nil || rep.Entries != workers*each || rep.Head.Seq != workers*each || rep.Waiting != 0 {
			t.Fatalf("verify after concurrent appends: entries %d head %d waiting %d problem %v", rep.Entries, rep.Head.Seq, rep.Waiting, rep.Problem)
		}
	})
}

func TestAppendAllChainsInOrder(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := audit.WithActor(context.Background(), audit.System("test"))
		var es []audit.Entry
		for i := range 1234 { // more than one INSERT chunk
			es = append(es, audit.Entry{Action: "import.row", EntityType: "person", EntityID: fmt.Sprint(i)})
		}
		if err := audit.New().AppendAll(ctx, d, es); err != nil {
			t.Fatal(err)
		}
		appendN(t, ctx, d, audit.New(), 1)
		if rep := mustVerify(t, d); rep.Problem != nil || rep.Entries != 1235 {
			t.Fatalf("%+v", rep)
		}
	})
}

func TestListFiltersNewestFirst(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		l := &audit.Log{Now: func() time.Time { now = now.Add(time.Hour); return now }}
		ctx := context.Background()
		add := func(actor, action, typ, id string) {
			if err := l.Append(audit.WithActor(ctx, audit.Actor{ID: actor}), d, audit.Entry{Action: action, EntityType: typ, EntityID: id}); err != nil {
				t.Fatal(err)
			}
		}
		add("ann", "signoff.create", "signoff", "s1")      // 01:00
		add("bob", "signoff.revoke", "signoff", "s1")      // 02:00
		add("ann", "credential.verify", "credential", "c") // 03:00
		add("ann", "signoff.create", "signoff", "s2")      // 04:00
		cases := []struct {
			f    audit.Filter
			want []int64
		}{
			{audit.Filter{}, []int64{4, 3, 2, 1}},
			{audit.Filter{Actor: "ann"}, []int64{4, 3, 1}},
			{audit.Filter{Action: "signoff."}, []int64{4, 2, 1}},
			{audit.Filter{Action: "signoff.create"}, []int64{4, 1}},
			{audit.Filter{EntityType: "signoff", EntityID: "s1"}, []int64{2, 1}},
			{audit.Filter{From: time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC), Until: time.Date(2026, 1, 1, 4, 0, 0, 0, time.UTC)}, []int64{3, 2}},
		}
		for _, c := range cases {
			rows, n, err := audit.List(ctx, d, c.f, 10, 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, r := range rows {
				got = append(got, r.Seq)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) || n != len(c.want) {
				t.Errorf("filter %+v: got %v (total %d), want %v", c.f, got, n, c.want)
			}
			var each []int64
			if err := audit.Each(ctx, d, c.f, func(r *audit.Record) error { each = append(each, r.Seq); return nil }); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(each) != fmt.Sprint(c.want) {
				t.Errorf("Each %+v: got %v, want %v", c.f, each, c.want)
			}
		}
		rows, n, _ := audit.List(ctx, d, audit.Filter{}, 2, 2)
		if n != 4 || len(rows) != 2 || rows[0].Seq != 2 {
			t.Errorf("second page: %d rows of %d, first %v", len(rows), n, rows)
		}
	})
}

func TestChangesKeepsOnlyWhatDiffers(t *testing.T) {
	before := []byte(`{"program":{"title":"MA","competencies":[{"code":"A","min":3},{"code":"B","min":1},{"code":"C"}]},"number":2}`)
	after := []byte(`{"program":{"title":"MA","competencies":[{"code":"A","min":5},{"code":"B","min":1},{"code":"D"}]},"number":2}`)
	b, a, err := audit.Changes(before, after)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(b) + " → " + fmt.Sprint(a)
	want := "map[program:map[competencies:map[A:map[code:A min:3] C:map[code:C]]]] → map[program:map[competencies:map[A:map[code:A min:5] D:map[code:D]]]]"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
