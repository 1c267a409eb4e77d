package webhooks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// BenchmarkDeliver: events delivered per second to one local receiver
// (signed, one endpoint, so in order, one at a time). The events are
// written first; only Drain is timed.
func BenchmarkDeliver(b *testing.B) {
	for _, dialect := range dbtest.Dialects {
		b.Run(string(dialect), func(b *testing.B) {
			d := dbtest.New(b, dialect)
			f := newFixture(b, d)
			var got atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { got.Add(1); w.WriteHeader(http.StatusNoContent) }))
			defer srv.Close()
			if _, _, err := f.store.Create(ctx, Input{URL: srv.URL, Events: []string{SignOffRecorded}, Enabled: true}, "admin"); err != nil {
				b.Fatal(err)
			}
			for i := range b.N {
				err := d.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
					return f.out.Emit(ctx, tx, Event{Type: SignOffRecorded, Data: SignOffData{SignOffID: "so", Competency: "VITALS", SignedOn: "2026-03-01"}, SiteIDs: []string{"s"}})
				})
				if err != nil {
					b.Fatal(i, err)
				}
			}
			b.ResetTimer()
			start := time.Now()
			if _, err := f.disp.Drain(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
			if int(got.Load()) != b.N {
				b.Fatalf("received %d of %d", got.Load(), b.N)
			}
		})
	}
}

// BenchmarkWriteWithOutbox: the tail of a sign-off's transaction (its row
// and audit entry, as evidence.Store.AddSignOff writes them) without an
// outbox, with Emit and no endpoint subscribed, and with Emit writing the
// event and one delivery (plus the enrollment's site read for it).
func BenchmarkWriteWithOutbox(b *testing.B) {
	for _, dialect := range dbtest.Dialects {
		b.Run(string(dialect), func(b *testing.B) {
			d := dbtest.New(b, dialect)
			f := newFixture(b, d)
			log := &audit.Log{}
			write := func(b *testing.B, emit bool) {
				for i := range b.N {
					err := d.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
						if _, err := tx.NewInsert().Model(&map[string]any{"k": "bench-" + time.Now().Format(time.RFC3339Nano), "v": "x", "expires_at": 0}).
							TableExpr("kv_store").Exec(ctx); err != nil {
							return err
						}
						if err := log.Append(ctx, tx, audit.Entry{Action: "signoff.create", EntityType: "signoff", EntityID: "so", After: map[string]any{"i": i}}); err != nil {
							return err
						}
						if !emit {
							return nil
						}
						var n int
						if err := tx.NewSelect().TableExpr("webhook_endpoints").ColumnExpr("COUNT(*)").Scan(ctx, &n); err != nil {
							return err
						}
						return f.out.Emit(ctx, tx, Event{Type: SignOffRecorded, SiteIDs: []string{"s"}, Data: SignOffData{SignOffID: "so"}})
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			b.Run("without-outbox", func(b *testing.B) { write(b, false) })
			b.Run("outbox-no-endpoint", func(b *testing.B) { write(b, true) })
			if _, _, err := f.store.Create(ctx, Input{URL: "https://93.184.216.34/hook", Events: []string{SignOffRecorded}, Enabled: true}, "admin"); err != nil {
				b.Fatal(err)
			}
			b.Run("outbox-one-endpoint", func(b *testing.B) { write(b, true) })
		})
	}
}
