package reports

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/auth/password"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/internal/tools/bulkload"
)

// BenchmarkCertificationsExport100k exports the certifications report of
// a health system with 25,000 medical assistants at 50 clinics, each
// required to hold 4 credentials (BLS, the state's MA-C, a national MA
// certification and, for venipuncture, phlebotomy): 100,000 rows, about
// 87,500 credential records on file (some missing, some expired, most
// verified). 25,000 × 4 is what a large multi-state group looks like;
// 100,000 MAs with one credential each is not.
//
// Sub-benchmarks, in the same run on the same rows:
//   - <engine>/from-database: the real export (people in batches of 2,000
//     from the database, decisions, rows, StreamWriter, temporary file);
//   - <engine>/from-database-one-clinic: the same for one clinic (2,000
//     rows), to show that memory does not grow with the rows;
//   - <engine>/from-memory: the same 100,000 rows, built beforehand, written
//     with the same reports.Workbook (excelize StreamWriter) to a file.
//
// Memory: peak-RSS-MB is the process's VmHWM (peak resident set) during
// the timed loop, after resetting it (/proc/self/clear_refs) once the
// database is seeded and garbage collected; base-RSS-MB is the resident
// set just before. cpu-s/op is user+system CPU time per export (all
// goroutines, the database driver's included; PostgreSQL's own work is in
// its server process, not here). heap-peak-MB is the largest Go heap (objects) sampled
// every 5 ms. Linux only for the RSS figures.
//
//	SKILLGATE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable \
//	  go test -run '^$' -bench CertificationsExport100k -benchtime 3x ./app/reports/
//
// Wall-clock figures need an otherwise idle machine; on a shared one the
// CPU time (cpu-s/op) is the figure to compare.
func BenchmarkCertificationsExport100k(b *testing.B) {
	for _, dialect := range dbtest.Dialects {
		b.Run(string(dialect), func(b *testing.B) {
			d := dbtest.New(b, dialect)
			start := time.Now()
			s, q := seedCertifications(b, d, dialect, 25000, nil)
			b.Logf("%s: seeded 25,000 people, 4 required credentials each, in %s", dialect, time.Since(start).Round(time.Millisecond))
			b.Run("from-database", func(b *testing.B) {
				path := measure(b, func(out io.Writer) error { return Certifications.Export(context.Background(), s, q, out) })
				checkWorkbook(b, path, 100000)
			})
			// One clinic of the fifty: 2,000 rows. Flat memory means about
			// the same peak as for 100,000.
			b.Run("from-database-one-clinic", func(b *testing.B) {
				one := *q
				for id := range q.SiteNames {
					one.Site, one.Scope.SiteIDs = id, []string{id}
					break
				}
				path := measure(b, func(out io.Writer) error { return Certifications.Export(context.Background(), s, &one, out) })
				checkWorkbook(b, path, 2000)
			})
			b.Run("from-memory", func(b *testing.B) {
				// The same rows, built before the measurement (and counted in
				// its base RSS, as they stay in memory throughout).
				var rows []CertificationRow
				ctx := context.Background()
				if err := s.eachBatch(ctx, q, exportBatch, func(people []*accounts.Person) error {
					rs, err := Certifications.rows(s, ctx, q, people)
					rows = append(rows, rs...)
					return err
				}); err != nil {
					b.Fatal(err)
				}
				if len(rows) != 100000 {
					b.Fatalf("%d rows, want 100,000", len(rows))
				}
				measure(b, func(out io.Writer) error {
					w, err := New(Certifications.Sheet, Certifications.Columns)
					if err != nil {
						return err
					}
					defer w.Close()
					for _, r := range rows {
						if err := w.Add(Certifications.cells(r)...); err != nil {
							return err
						}
					}
					return w.Finish(out, About{Report: Certifications.Title, AsOf: q.AsOf, GeneratedAt: time.Now(), GeneratedBy: "bench"})
				})
			})
		})
	}
}

// measure runs write into a fresh file per iteration and reports the
// memory figures described on the benchmark. It returns the last file.
func measure(b *testing.B, write func(io.Writer) error) string {
	runtime.GC()
	debug.FreeOSMemory()
	base := procStatusKB(b, "VmRSS")
	resetPeakRSS(b)
	stop := sampleHeap()
	cpu0 := cpuTime()
	var path string
	for b.Loop() {
		f, err := os.CreateTemp(b.TempDir(), "export-*.xlsx")
		if err != nil {
			b.Fatal(err)
		}
		if err := write(f); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		path = f.Name()
	}
	heap := stop()
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(procStatusKB(b, "VmHWM"))/1024, "peak-RSS-MB")
	b.ReportMetric(float64(base)/1024, "base-RSS-MB")
	b.ReportMetric(float64(heap)/(1<<20), "heap-peak-MB")
	return path
}

// cpuTime is the process's user and system CPU time so far: on a shared
// machine it varies far less than wall-clock time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// checkWorkbook counts the data rows of the report sheet, streaming.
func checkWorkbook(b *testing.B, path string, want int) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rows, err := f.Rows("Certifications")
	if err != nil {
		b.Fatal(err)
	}
	n := -1 // the header
	for rows.Next() {
		n++
	}
	if n != want {
		b.Fatalf("the workbook holds %d rows, want %d", n, want)
	}
}

func procStatusKB(b *testing.B, field string) int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return n
		}
	}
	return 0
}

// resetPeakRSS sets VmHWM back to the current resident set (Linux 4.0+).
func resetPeakRSS(b *testing.B) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("cannot reset the peak RSS (%v); peak-RSS-MB includes seeding", err)
	}
}

// sampleHeap samples the Go heap every 5 ms until stopped; it returns the
// largest value seen.
func sampleHeap() func() uint64 {
	done := make(chan struct{})
	var peak uint64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak }
}

// seedCertifications fills d with n MAs and their credentials through the
// bulk loader, and returns the service and an HR user's query for today.
func seedCertifications(b testing.TB, d *db.DB, dialect db.Dialect, n int, name func(i int) string) (*Service, *Query) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	today := curriculum.DateOf(now, curriculum.DefaultLocation())
	store := accounts.NewStore(d)
	store.Hasher = password.Hasher{Params: password.TestParams}
	store.Now = func() time.Time { return now }

	v, err := curriculum.MedicalAssistantProgram()
	if err != nil {
		b.Fatal(err)
	}
	for i := range v.Program.Tasks {
		t := &v.Program.Tasks[i]
		if len(t.Credentials) == 0 {
			continue // administrative tasks
		}
		t.Credentials = append(t.Credentials, curriculum.CredentialRequirement{Credential: "WA-MAC"}, curriculum.CredentialRequirement{Credential: "CCMA", WithinDaysOfHire: 180})
		if t.Code == "VENIPUNCTURE" {
			t.Credentials = append(t.Credentials, curriculum.CredentialRequirement{Credential: "CPT"})
		}
	}
	if !v.IsPublished() {
		if err := v.Publish(now); err != nil {
			b.Fatal(err)
		}
	}
	sv, err := programs.NewStore(d).Create(ctx, v, "")
	if err != nil {
		b.Fatal(err)
	}

	sites := make([]accounts.Site, 50)
	siteIDs := make([]string, len(sites))
	for i := range sites {
		sites[i] = accounts.Site{ID: uuid.NewString(), Name: fmt.Sprintf("Clinic %02d", i+1), CreatedAt: now}
		siteIDs[i] = sites[i].ID
	}
	hr, err := func() (*accounts.Person, error) {
		l, err := bulkload.New(ctx, d)
		if err != nil {
			return nil, err
		}
		defer l.Rollback()
		if err := accounts.InsertSites(ctx, l, sites); err != nil {
			return nil, err
		}
		if err := l.Commit(ctx); err != nil {
			return nil, err
		}
		return store.Create(ctx, accounts.NewPerson{Email: "hr@bench.test", Name: "Harriet Rowe", Roles: []accounts.Role{accounts.RoleHR}, SiteIDs: siteIDs})
	}()
	if err != nil {
		b.Fatal(err)
	}

	given := []string{"Ana", "Bo", "Cruz", "Dana", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jo", "Kai", "Lia", "Mo", "Noa", "Oli", "Pia", "Quin", "Rae", "Sol", "Tess"}
	family := []string{"Abbott", "Baker", "Chen", "Diaz", "Evans", "Fox", "Garcia", "Hill", "Ito", "Jones", "Khan", "Lopez", "Moore", "Nguyen", "Ortiz", "Patel", "Reyes", "Smith", "Tran", "Ward"}
	l, err := bulkload.New(ctx, d)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Rollback()
	const chunk = 5000
	for from := 0; from < n; from += chunk {
		var people []accounts.Person
		var ens []evidence.BulkEnrollment
		var recs []credentials.Record
		for i := from; i < min(from+chunk, n); i++ {
			id := uuid.NewString()
			site := siteIDs[i%len(siteIDs)]
			full := given[i%20] + " " + family[(i/20)%20] + " " + strconv.Itoa(i)
			if name != nil {
				full = name(i)
			}
			people = append(people, accounts.Person{ID: id, Email: fmt.Sprintf("ma%05d@bench.test", i), Name: full,
				EmployeeID: fmt.Sprintf("E%06d", i), Credential: "none", Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: []string{site}, CreatedAt: now})
			hire := today.AddDays(-30 - i%1500)
			e := assessments.Enrollment{ID: uuid.NewString(), ApprenticeID: id, VersionID: sv.ID, SiteID: site, HireDate: hire, StartDate: hire,
				Status: assessments.EnrollmentActive, IdempotencyKey: "bench-" + id}
			ens = append(ens, evidence.BulkEnrollment{Records: &assessments.Records{Enrollment: &e}, CreatedAt: now, CreatedBy: hr.ID})
			// BLS: valid, expiring within 30 days, or expired; WA-MAC and
			// CCMA mostly on file; CPT on file for half.
			card := func(typ string, issued, expires curriculum.Date) {
				verified := now.Add(-time.Hour)
				r := credentials.Record{ID: uuid.NewString(), PersonID: id, TypeCode: typ, IssuingBody: "Bench", Number: fmt.Sprintf("%s-%06d", typ, i),
					IssuedOn: issued, ExpiresOn: expires, RecordedAt: now.Add(-2 * time.Hour), RecordedBy: hr.ID}
				if i%10 != 0 {
					r.VerifiedAt, r.VerifiedBy, r.VerificationMethod = &verified, hr.ID, "checked at the source"
				}
				recs = append(recs, r)
			}
			card("BLS", today.AddDays(-700+i%60), today.AddDays(30-i%60).EndOfMonth())
			if i%8 != 0 {
				card("WA-MAC", today.AddMonths(-6), today.AddMonths(6))
			}
			if i%8 != 1 {
				card("CCMA", today.AddMonths(-12), today.AddMonths(12))
			}
			if i%2 == 0 {
				card("CPT", today.AddMonths(-3), today.AddMonths(21))
			}
		}
		if err := accounts.InsertPeople(ctx, l, people, "bench-no-login"); err != nil {
			b.Fatal(err)
		}
		if err := evidence.InsertRecords(ctx, l, ens); err != nil {
			b.Fatal(err)
		}
		if err := credentials.InsertRecords(ctx, l, recs); err != nil {
			b.Fatal(err)
		}
	}
	if err := l.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	if dialect == db.Postgres {
		if _, err := d.ExecContext(ctx, "ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}

	clock := func() time.Time { return now }
	ev := evidence.NewService(d, programs.NewStore(d))
	ev.Now, ev.Credentials.Now = clock, clock
	s := &Service{DB: d, Accounts: store, Evidence: ev, Clearance: &clearance.Service{Evidence: ev}, Now: clock, Location: curriculum.DefaultLocation()}
	// What the server passes for an HR user without a site filter: the
	// apprentices of their sites.
	q := &Query{AsOf: today, Scope: Scope{Role: accounts.RoleApprentice, SiteIDs: slices.Clone(hr.SiteIDs)}, SiteNames: map[string]string{},
		GeneratedBy: hr.Name + " <" + hr.Email + ">"}
	for _, st := range sites {
		q.SiteNames[st.ID] = st.Name
	}
	return s, q
}
