package audit_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// BenchmarkWrite measures a one-row write transaction from 50 concurrent
// clients, without and with its audit entry, on each engine, with the
// sealer running as in a server. It reports how many entries still waited
// to be chained when the writers stopped, and checks that after sealing
// them the chain holds every entry, without fork or gap:
//
//	go test -run XXX -bench Write -benchtime 4000x ./app/audit
func BenchmarkWrite(b *testing.B) {
	for _, dialect := range dbtest.Dialects {
		for _, audited := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/audited=%v", dialect, audited), func(b *testing.B) {
				d := dbtest.New(b, dialect)
				l := audit.New()
				ctx := audit.WithActor(context.Background(), audit.Actor{ID: "bench", Via: "session", IP: "127.0.0.1", RequestID: "r"})
				var n atomic.Int64
				sealCtx, stopSealer := context.WithCancel(context.Background())
				sealerDone := make(chan struct{})
				go func() { defer close(sealerDone); audit.RunSealer(sealCtx, d, audit.SealInterval, slog.Default()) }()
				b.SetParallelism(benchClients) // × GOMAXPROCS
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						k := fmt.Sprintf("bench-%d", n.Add(1))
						err := d.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
							if _, err := tx.NewRaw("INSERT INTO kv_store (k, v, expires_at) VALUES (?, 'x', 0)", k).Exec(ctx); err != nil {
								return err
							}
							if !audited {
								return nil
							}
							return l.Append(ctx, tx, audit.Entry{Action: "bench.write", EntityType: "kv", EntityID: k, After: map[string]any{"v": "x"}})
						})
						if err != nil && !db.IsUnavailable(err) {
							b.Error(err)
						}
					}
				})
				b.StopTimer()
				stopSealer()
				<-sealerDone
				if audited {
					rep, err := audit.Verify(context.Background(), d)
					if err != nil || rep.Problem != nil {
						b.Fatalf("chain after the run: %v %v", rep.Problem, err)
					}
					b.ReportMetric(float64(rep.Waiting), "waiting-at-end")
					if _, err := audit.Seal(context.Background(), d); err != nil {
						b.Fatal(err)
					}
					rep, err = audit.Verify(context.Background(), d)
					if err != nil || rep.Problem != nil || rep.Entries != int64(b.N) || rep.Waiting != 0 {
						b.Fatalf("chain after sealing: %d entries (want %d), %d waiting, %v %v", rep.Entries, b.N, rep.Waiting, rep.Problem, err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
			})
		}
	}
}

// benchClients × GOMAXPROCS goroutines write at once (50 on 2 cores).
var benchClients = 25

// BenchmarkVerify walks a chain of 100,000 entries (appended in bulk
// first) on each engine:
//
//	go test -run XXX -bench Verify -benchtime 3x ./app/audit
func BenchmarkVerify(b *testing.B) {
	const n = 100_000
	for _, dialect := range dbtest.Dialects {
		b.Run(string(dialect), func(b *testing.B) {
			d := dbtest.New(b, dialect)
			ctx := audit.WithActor(context.Background(), audit.System("bench"))
			es := make([]audit.Entry, 10_000)
			for i := range es {
				es[i] = audit.Entry{Action: "bench.row", EntityType: "row", EntityID: fmt.Sprint(i), After: map[string]any{"n": i, "note": "a typical small value"}}
			}
			for range n / len(es) {
				if err := audit.New().AppendAll(ctx, d, es); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for range b.N {
				rep, err := audit.Verify(context.Background(), d)
				if err != nil || rep.Problem != nil || rep.Entries != n {
					b.Fatalf("%d entries, %v %v", rep.Entries, rep.Problem, err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
