package evidence_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/auth/password"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// BenchmarkMixedWrites: 50 clients (a preceptor each, with an apprentice
// of their own on the shipped program) record observations and sign-offs
// at 200 writes a second in total (open loop: each latency counts from
// when the write was due, so a stall shows in every write queued behind
// it), as the API's handlers do: read the enrollment (with its records
// for a sign-off, without for an observation), then the evidence
// service's write (rules, its row, its audit entry, the
// clearance decision's stamp). A sign-off's re-authentication (argon2id
// with the production parameters, about 27 ms of CPU) is left out of the
// run and measured after it, alone, 20 times; b.N is the number of writes:
//
//	go test -run '^$' -bench MixedWrites -benchtime 2000x ./app/evidence/
func BenchmarkMixedWrites(b *testing.B) {
	const clients, rate = 50, 200.0
	for _, dialect := range dbtest.Dialects {
		b.Run(string(dialect), func(b *testing.B) {
			d := dbtest.New(b, dialect)
			ctx := audit.WithActor(context.Background(), audit.System("bench"))
			cs, svc := mixedClients(b, ctx, d, clients)
			sealCtx, stopSealer := context.WithCancel(ctx)
			sealed := make(chan struct{})
			go func() { defer close(sealed); audit.RunSealer(sealCtx, d, audit.SealInterval, slog.Default()) }()
			var mu sync.Mutex
			var lat, obs, signs, hashes []time.Duration
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for i, c := range cs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for k := 0; ; k++ {
						n := k*clients + i // this client's k-th write, n-th overall
						if n >= b.N {
							return
						}
						due := start.Add(time.Duration(float64(n) / rate * float64(time.Second)))
						time.Sleep(time.Until(due))
						isSign, err := c.next(ctx, svc)
						if err != nil {
							b.Errorf("client %d write %d: %v", i, k, err)
							return
						}
						took := time.Since(due)
						mu.Lock()
						lat = append(lat, took)
						if isSign {
							signs = append(signs, took)
						} else {
							obs = append(obs, took)
						}
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			stopSealer()
			<-sealed
			if _, err := audit.Seal(ctx, d); err != nil {
				b.Fatal(err)
			}
			if rep, err := audit.Verify(ctx, d); err != nil || rep.Problem != nil {
				b.Fatalf("audit chain after the run: %v %v", rep.Problem, err)
			}
			for range 20 {
				t0 := time.Now()
				if ok, err := password.Verify("a long bench password", cs[0].hash); err != nil || !ok {
					b.Fatalf("re-authenticate: %v %v", ok, err)
				}
				hashes = append(hashes, time.Since(t0))
			}
			pct := func(xs []time.Duration, p float64) float64 {
				if len(xs) == 0 {
					return 0
				}
				slices.Sort(xs)
				return float64(xs[min(len(xs)-1, int(float64(len(xs))*p/100))]) / 1e6
			}
			b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "writes/s")
			b.ReportMetric(pct(lat, 50), "p50-ms")
			b.ReportMetric(pct(lat, 99), "p99-ms")
			b.ReportMetric(pct(obs, 99), "obs-p99-ms")
			b.ReportMetric(pct(signs, 99), "signoff-p99-ms")
			b.ReportMetric(float64(len(signs)), "signoffs")
			b.ReportMetric(pct(hashes, 50), "reauth-hash-p50-ms")
			b.ReportMetric(pct(hashes, 99), "reauth-hash-p99-ms")
		})
	}
}

// mixedClient is one preceptor working through their apprentice's
// competencies that need only observations: each one's observations, then
// its sign-off.
type mixedClient struct {
	signer     assessments.Actor
	apprentice string
	enrollment string
	hash       string // the signer's password hash (production parameters)
	plan       []mixedStep
	key        int
}

type mixedStep struct {
	competency, variant string
	sign                bool
}

func (c *mixedClient) next(ctx context.Context, svc *evidence.Service) (bool, error) {
	if len(c.plan) == 0 {
		return false, fmt.Errorf("no competency left to record: run fewer writes")
	}
	st := c.plan[0]
	c.plan = c.plan[1:]
	c.key++
	key := fmt.Sprintf("mixed-%05d", c.key) // keys are the submitter's
	if st.sign {
		rec, err := svc.Enrollment(ctx, c.enrollment)
		if err != nil {
			return false, err
		}
		_, _, err = svc.SignOff(ctx, rec, c.signer, assessments.SignOffRequest{IdempotencyKey: key, Competency: st.competency,
			Kind: curriculum.InitialSignOff, ApprenticeName: c.apprentice, AuthMethod: "password"})
		return true, err
	}
	e, err := svc.Head(ctx, c.enrollment)
	if err != nil {
		return false, err
	}
	comp := e.Version.Competency(st.competency)
	steps := make([]assessments.StepResult, len(comp.Checklist))
	for j := range steps {
		steps[j] = assessments.StepResult{Index: j, Met: true}
	}
	_, _, err = svc.Observe(ctx, e, c.signer, assessments.ObservationRequest{IdempotencyKey: key, Competency: st.competency, Variant: st.variant,
		ChecklistVersion: comp.ChecklistVersion, PerformedOn: curriculum.DateOf(svc.Now(), nil), Steps: steps})
	return false, err
}

// mixedClients makes a site, a director, n RN preceptors (licence verified)
// and n apprentices enrolled on the shipped program, one per preceptor.
func mixedClients(b *testing.B, ctx context.Context, d *db.DB, n int) ([]*mixedClient, *evidence.Service) {
	b.Helper()
	acc := accounts.NewStore(d)
	acc.Hasher = password.Hasher{Params: password.TestParams}
	site, err := acc.CreateSite(ctx, "Main Street")
	if err != nil {
		b.Fatal(err)
	}
	mk := func(email, name, cred string, roles ...accounts.Role) *accounts.Person {
		p, err := acc.Create(ctx, accounts.NewPerson{Email: email, Name: name, Credential: cred, Roles: roles, SiteIDs: []string{site.ID}})
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	dir := mk("dir@x.test", "Dee Rector", "RN", accounts.RoleDirector)
	progs := programs.NewStore(d)
	v, err := curriculum.MedicalAssistantProgram()
	if err != nil {
		b.Fatal(err)
	}
	if !v.IsPublished() {
		if err := v.Publish(time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	sv, err := progs.Create(ctx, v, "")
	if err != nil {
		b.Fatal(err)
	}
	svc := evidence.NewService(d, progs)
	creds := credentials.NewStore(d)
	hash, err := password.Hash("a long bench password") // production parameters, as signers' are
	if err != nil {
		b.Fatal(err)
	}
	today := curriculum.DateOf(time.Now(), nil)
	var cs []*mixedClient
	for i := range n {
		rn := mk(fmt.Sprintf("rn%02d@x.test", i), fmt.Sprintf("Rita Nurse %02d", i), "RN", accounts.RolePreceptor)
		ap := mk(fmt.Sprintf("ap%02d@x.test", i), fmt.Sprintf("Avery Park %02d", i), "none", accounts.RoleApprentice)
		r, err := creds.Add(ctx, credentials.NewRecord{PersonID: rn.ID, TypeCode: "RN", IssuedOn: today.AddDays(-2000), ExpiresOn: today.AddDays(2000), Number: "N-RN"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := creds.Verify(ctx, r.ID, dir.ID, "checked the board's site"); err != nil {
			b.Fatal(err)
		}
		e, _, err := svc.Enroll(ctx, assessments.Enrollment{ApprenticeID: ap.ID, VersionID: sv.ID, SiteID: site.ID,
			HireDate: today.AddDays(-30), StartDate: today.AddDays(-30), PreceptorIDs: []string{rn.ID}, IdempotencyKey: fmt.Sprintf("mixed-enroll-%02d", i)}, dir.ID)
		if err != nil {
			b.Fatal(err)
		}
		c := &mixedClient{signer: evidence.ActorOf(rn), apprentice: ap.Name, enrollment: e.ID, hash: hash}
		// Each client takes the competencies in an order of its own, so
		// that sign-offs (and their password hashes) do not come in bursts
		// of 50.
		comps := slices.Clone(v.Program.Competencies)
		rand.New(rand.NewPCG(uint64(i), 24)).Shuffle(len(comps), func(a, b int) { comps[a], comps[b] = comps[b], comps[a] })
		for _, comp := range comps {
			if comp.KnowledgeTest != nil || comp.Coverage != nil || len(comp.Prerequisites) > 0 || len(comp.IndependentPrerequisites) > 0 ||
				comp.TrainingHours != nil || !comp.MaySignOff(rn.ID, "RN") || !comp.MayObserve(rn.ID, "RN") {
				continue
			}
			for _, p := range comp.Performances {
				for range p.Count {
					c.plan = append(c.plan, mixedStep{competency: comp.Code, variant: p.Variant})
				}
			}
			c.plan = append(c.plan, mixedStep{competency: comp.Code, sign: true})
		}
		cs = append(cs, c)
	}
	return cs, svc
}
