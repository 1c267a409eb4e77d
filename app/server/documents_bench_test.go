package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/internal/tools/scale"
)

// BenchmarkDocuments prints, through the server, one apprentice's
// competency record and a 100-apprentice site's records as one ZIP, on an
// organisation made by seed --scale (one site, 100 MAs with 150 observed
// performances each and their sign-offs), on SQLite, or on PostgreSQL with
// SKILLGATE_TEST_DATABASE_URL set. Targets (issue 23): one record under
// 200 ms; the site's ZIP under 15 s and 200 MB. heap-peak-MB is the Go
// heap's peak during the request (sampled every 5 ms), rss-peak-MB the
// process's peak resident size during it (the whole process: server,
// client, database driver), cpu-ms/op the process's CPU time per request.
func BenchmarkDocuments(b *testing.B) {
	engines := []db.Dialect{db.SQLite}
	if os.Getenv(dbtest.EnvURL) != "" {
		engines = []db.Dialect{db.Postgres}
	}
	for _, engine := range engines {
		b.Run(string(engine), func(b *testing.B) {
			d := dbtest.New(b, engine)
			ctx := context.Background()
			asOf := curriculum.DateOf(time.Now(), curriculum.DefaultLocation())
			if _, err := scale.Generate(ctx, d, scale.Options{Sites: 1, MAs: 100, Preceptors: 10, Observations: 15000, Credentials: 400, Seed: 7, AsOf: asOf}); err != nil {
				b.Fatal(err)
			}
			e := newInstance(b, d, &clock{t: time.Now().UTC()})
			sites, err := e.store.Sites(ctx)
			if err != nil || len(sites) != 1 {
				b.Fatalf("sites: %v %v", sites, err)
			}
			hr, err := e.store.Create(ctx, accounts.NewPerson{Email: "hr-bench@example.test", Name: "Hana Bench", Roles: []accounts.Role{accounts.RoleHR},
				SiteIDs: []string{sites[0].ID}, Password: testPassword})
			if err != nil {
				b.Fatal(err)
			}
			var person string
			if err := d.NewRaw("SELECT apprentice_id FROM enrollments ORDER BY apprentice_id LIMIT 1").Scan(ctx, &person); err != nil {
				b.Fatal(err)
			}
			c := e.client()
			c.mustLogin(hr.Email)
			b.Run("record", func(b *testing.B) {
				cpu := cpuTime()
				for b.Loop() {
					if r := c.get("/people/" + person + "/record.pdf"); r.StatusCode != http.StatusOK {
						b.Fatalf("record: %d %s", r.StatusCode, r.body)
					}
				}
				b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
			})
			b.Run("site-zip", func(b *testing.B) {
				var peak, rss uint64
				cpu := cpuTime()
				for b.Loop() {
					resetPeakRSS()
					stop := sampleHeap(&peak)
					r := c.get("/sites/" + sites[0].ID + "/records.zip")
					stop()
					rss = max(rss, peakRSS())
					if r.StatusCode != http.StatusOK {
						b.Fatalf("zip: %d %s", r.StatusCode, r.body)
					}
					z, err := zip.NewReader(bytes.NewReader([]byte(r.body)), int64(len(r.body)))
					if err != nil || len(z.File) != 100 {
						b.Fatalf("zip of %d records: %v", len(z.File), err)
					}
					b.ReportMetric(float64(len(r.body))/1e6, "zip-MB")
				}
				b.ReportMetric(float64(peak)/(1<<20), "heap-peak-MB")
				b.ReportMetric(float64(rss)/(1<<20), "rss-peak-MB")
				b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
			})
		})
	}
}

// cpuTime is the process's user and system CPU time so far (the server
// and the test client share the process; with a loaded machine it is the
// steadier figure than wall time).
func cpuTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// resetPeakRSS resets the process's peak resident size (VmHWM), so
// peakRSS covers what follows; peakRSS reads it, in bytes (0 where /proc
// has neither).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// sampleHeap records the Go heap's peak in *peak until stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	runtime.GC()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			*peak = max(*peak, s[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
