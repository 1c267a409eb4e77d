package clearance_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/internal/tools/scale"
)

// BenchmarkMemoryPerPerson: the live heap a process keeps per apprentice
// after the start-up run (ForPeopleCaching, as reminders call it) decided
// today for everyone: their evidence snapshots, their decisions, and both,
// as the server keeps them. The organisation has the default size's
// proportions (75 observations and 5 credentials an MA, a preceptor for 10
// MAs, a site for 100), which twice the default size keeps too. The heap
// is read after a collection with the service still held, against one read
// before it was made (the compiled programs and the database's buffers are
// warmed by a run before either).
func BenchmarkMemoryPerPerson(b *testing.B) {
	ctx := context.Background()
	today := curriculum.MustParseDate("2026-06-15")
	d := dbtest.New(b, dbtest.Dialects[0])
	if _, err := scale.Generate(ctx, d, scale.Options{Sites: 4, MAs: 400, Preceptors: 40, Observations: 30000, Credentials: 2000, Seed: 24, AsOf: today}); err != nil {
		b.Fatal(err)
	}
	var ids []string
	if err := d.NewRaw("SELECT DISTINCT apprentice_id FROM enrollments ORDER BY apprentice_id").Scan(ctx, &ids); err != nil {
		b.Fatal(err)
	}
	ev := evidence.NewService(d, programs.NewStore(d))
	if _, err := (&clearance.Service{Evidence: ev}).ForPeopleCaching(ctx, ids, today); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name                  string
		cacheSize, snapshotSz int
	}{
		{"snapshots", -1, 0},
		{"decisions", 0, -1},
		{"both", 0, 0},
	} {
		b.Run(c.name, func(b *testing.B) {
			var total uint64
			for b.Loop() {
				before := liveHeap()
				svc := &clearance.Service{Evidence: ev, CacheSize: c.cacheSize, SnapshotSize: c.snapshotSz}
				if _, err := svc.ForPeopleCaching(ctx, ids, today); err != nil {
					b.Fatal(err)
				}
				total += liveHeap() - before
				runtime.KeepAlive(svc)
			}
			b.ReportMetric(float64(total)/float64(b.N)/float64(len(ids)), "B/person")
		})
	}
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
