package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/internal/tools/loadgen"
	"github.com/skillgate/skillgate/internal/tools/scale"
)

// The measurements of issue 24's first two targets.

// pastDays measures clearance checks of random people × tasks × days of
// the last 365 (each day on or after the person's start; the decisions of
// such a day are not cached: no job decides past days), at 500/s and at
// the maximum against /readyz in the same run.
func (b *bench) pastDays(ctx context.Context, d *db.DB, bearer http.Header) error {
	urls, err := pastDayURLs(ctx, d, 40000)
	if err != nil {
		return err
	}
	// A freshly started server opens its connections during its first
	// second of load: a warm-up that asks no clearance takes that out.
	if _, err := loadgen.RunRate(ctx, loadgen.Config{BaseURL: b.base, Targets: []string{"/api/v1/me"}, Header: bearer, Rate: 500, Duration: 3 * time.Second, Connections: 256}); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "past-day clearance checks at 500/s…")
	if err := preflight(ctx, loadgen.Config{BaseURL: b.base, Targets: urls[:3], Header: bearer}); err != nil {
		return err
	}
	cfg := loadgen.Config{BaseURL: b.base, Targets: urls[:20000], Header: bearer, Rate: 500, Duration: b.duration, Connections: 256, Seed: 4}
	res, err := loadgen.RunRate(ctx, cfg)
	if err != nil {
		return err
	}
	b.add(fmt.Sprintf("Clearance check, random person × task × day of the last 365 (decisions not cached), 500/s for %s", b.duration), summary(res),
		"p99 < 20 ms, no errors", res.Percentile(99) < 20*time.Millisecond && res.Errors == 0)
	fmt.Fprintln(os.Stderr, "past-day clearance checks, maximum throughput, and /readyz…")
	ready, err := loadgen.RunMax(ctx, loadgen.Config{BaseURL: b.base, Targets: []string{"/readyz"}, Duration: b.duration / 2, Connections: b.conns})
	if err != nil {
		return err
	}
	b.add(fmt.Sprintf("/readyz, max throughput (%d connections; the past-day yardstick)", b.conns), summary(ready), "", true)
	cfg.Targets, cfg.Rate, cfg.Duration, cfg.Connections, cfg.Seed = urls[20000:], 0, b.duration/2, b.conns, 5
	mx, err := loadgen.RunMax(ctx, cfg)
	if err != nil {
		return err
	}
	ratio := mx.Rate() / max(ready.Rate(), 1)
	b.add(fmt.Sprintf("Same past-day checks, max throughput (%d connections)", b.conns), summary(mx)+fmt.Sprintf("; %.0f%% of /readyz", ratio*100),
		"≥ 50% of /readyz", ratio >= 0.5 && mx.Errors == 0)
	return nil
}

// pastDayURLs returns n clearance checks of random enrolled people, random
// tasks of their program and a random day of the last 365 on which their
// enrollment had started.
func pastDayURLs(ctx context.Context, d *db.DB, n int) ([]string, error) {
	var rows []struct {
		ApprenticeID string `bun:"apprentice_id"`
		VersionID    string `bun:"version_id"`
		StartDate    string `bun:"start_date"`
	}
	if err := d.NewRaw("SELECT apprentice_id, version_id, start_date FROM enrollments WHERE status = 'active' ORDER BY id").Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("choose people: %w", err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no active enrollments: seed the database with skillgate seed --scale first")
	}
	tasks := taskCodes{svc: evidence.NewService(d, programs.NewStore(d)), codes: map[string][]string{}}
	rng := rand.New(rand.NewPCG(8, 8))
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Truncate(24 * time.Hour)
	out := make([]string, 0, n)
	for len(out) < n {
		r := rows[rng.IntN(len(rows))]
		start, err := time.Parse("2006-01-02", r.StartDate[:min(10, len(r.StartDate))])
		if err != nil {
			return nil, fmt.Errorf("start date %q: %w", r.StartDate, err)
		}
		span := min(365, int(yesterday.Sub(start).Hours()/24))
		if span < 0 {
			continue
		}
		on := yesterday.AddDate(0, 0, -rng.IntN(span+1))
		ts, err := tasks.of(ctx, r.VersionID)
		if err != nil {
			return nil, err
		}
		out = append(out, "/api/v1/clearances?person="+r.ApprenticeID+"&task="+ts[rng.IntN(len(ts))]+"&as_of="+on.Format("2006-01-02"))
	}
	return out, nil
}

// hrAfterWrites measures the HR dashboard of hr@scale.test (every site)
// 200 times, each right after a write through another instance (this
// program, writing with Skillgate's own stores): alternately a new
// credential for a random apprentice and an enrollment put on hold or
// active again. The credentials it added are deleted afterwards.
func (b *bench) hrAfterWrites(ctx context.Context, d *db.DB, hr http.Header) error {
	const views = 200
	var ens []struct {
		ID           string `bun:"id"`
		ApprenticeID string `bun:"apprentice_id"`
	}
	if err := d.NewRaw("SELECT id, apprentice_id FROM enrollments WHERE status = 'active' ORDER BY id").Scan(ctx, &ens); err != nil {
		return fmt.Errorf("choose enrollments: %w", err)
	}
	if len(ens) == 0 {
		return fmt.Errorf("no active enrollments: seed the database with skillgate seed --scale first")
	}
	acc := accounts.NewStore(d)
	director, err := acc.ByEmail(ctx, scale.DirectorEmail)
	if err != nil {
		return fmt.Errorf("the scale director: %w", err)
	}
	by := assessments.Actor{ID: director.ID, Name: director.Name, Director: true}
	svc := evidence.NewService(d, programs.NewStore(d))
	// The dashboard computed once, as it is after start.
	if _, _, err := timedGet(ctx, b.base+"/hr", hr); err != nil {
		return fmt.Errorf("HR dashboard: %w", err)
	}
	fmt.Fprintf(os.Stderr, "HR dashboard right after each of %d writes…\n", views)
	rng := rand.New(rand.NewPCG(9, 9))
	res := &loadgen.Result{Statuses: map[int]int{}}
	today := curriculum.DateOf(time.Now(), time.UTC)
	defer func() {
		_, _ = d.NewRaw("DELETE FROM credentials WHERE number LIKE 'BENCH-%'").Exec(context.Background())
	}()
	for i := range views {
		e := ens[rng.IntN(len(ens))]
		if i%2 == 0 {
			if _, err := svc.Credentials.Add(ctx, credentials.NewRecord{PersonID: e.ApprenticeID, TypeCode: "BLS", Number: fmt.Sprintf("BENCH-%d", i),
				IssuedOn: today.AddDays(-700), ExpiresOn: today.AddDays(rng.IntN(120)), RecordedBy: director.ID}); err != nil {
				return fmt.Errorf("write a credential: %w", err)
			}
		} else {
			e := ens[i/2%len(ens)]
			if err := svc.ChangeStatus(ctx, e.ID, by, assessments.EnrollmentOnHold, "bench"); err != nil {
				return fmt.Errorf("put an enrollment on hold: %w", err)
			}
			if err := svc.ChangeStatus(ctx, e.ID, by, assessments.EnrollmentActive, "bench"); err != nil {
				return fmt.Errorf("make an enrollment active again: %w", err)
			}
		}
		took, _, err := timedGet(ctx, b.base+"/hr", hr)
		if err != nil {
			res.Errors++
			if res.FirstError == "" {
				res.FirstError = err.Error()
			}
		}
		res.Latencies = append(res.Latencies, took)
	}
	res.Elapsed = time.Duration(views) // not a rate
	b.add(fmt.Sprintf("HR dashboard (/hr, all sites), each of %d views right after a credential or enrollment write through another instance", views),
		fmt.Sprintf("p50 %.1f ms, p95 %.1f ms, max %.1f ms, %d errors", ms(res.Percentile(50)), ms(res.Percentile(95)), ms(res.Percentile(100)), res.Errors),
		"max < 150 ms", res.Percentile(100) < 150*time.Millisecond && res.Errors == 0)
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// taskCodes are the task codes of program versions, read once each.
type taskCodes struct {
	svc   *evidence.Service
	codes map[string][]string
}

func (tc taskCodes) of(ctx context.Context, versionID string) ([]string, error) {
	if ts, ok := tc.codes[versionID]; ok {
		return ts, nil
	}
	pv, err := tc.svc.Version(ctx, versionID)
	if err != nil {
		return nil, err
	}
	var ts []string
	for _, t := range pv.Program().Tasks {
		ts = append(ts, t.Code)
	}
	tc.codes[versionID] = ts
	return ts, nil
}
