package clearance_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(d curriculum.Date) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Midday in New York, well inside the organisation's day.
	c.t = d.Time(curriculum.DefaultLocation()).Add(12 * time.Hour).UTC()
}

// world is an organisation with one apprentice on the shipped program.
type world struct {
	t          *testing.T
	ctx        context.Context
	clk        *clock
	svc        *evidence.Service
	clear      *clearance.Service
	creds      *credentials.Store
	apprentice *accounts.Person
	rn         assessments.Actor
	md         assessments.Actor
	director   assessments.Actor
	enrollment string
	key        int
}

func day(s string) curriculum.Date { return curriculum.MustParseDate(s) }

func newWorld(t *testing.T, d *db.DB, hire string) *world {
	t.Helper()
	return newWorldWith(t, d, hire, nil)
}

// newWorldWith lets a test change the shipped program before it is stored.
func newWorldWith(t *testing.T, d *db.DB, hire string, edit func(*curriculum.Program)) *world {
	t.Helper()
	ctx := context.Background()
	clk := &clock{}
	clk.Set(day(hire))
	acc := accounts.NewStore(d)
	acc.Hasher = password.Hasher{Params: password.TestParams}
	site, err := acc.CreateSite(ctx, "Main Street")
	if err != nil {
		t.Fatal(err)
	}
	mk := func(email, name, cred string, roles ...accounts.Role) *accounts.Person {
		p, err := acc.Create(ctx, accounts.NewPerson{Email: email, Name: name, Credential: cred, Roles: roles, SiteIDs: []string{site.ID}})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	ap := mk("ap@x.test", "Avery Park", "none", accounts.RoleApprentice)
	rn := mk("rn@x.test", "Rita Nurse", "RN", accounts.RolePreceptor)
	md := mk("md@x.test", "Dr. Mo", "MD", accounts.RolePreceptor)
	dir := mk("dir@x.test", "Dee Rector", "RN", accounts.RoleDirector)

	progs := programs.NewStore(d)
	v, err := curriculum.MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&v.Program)
	}
	if !v.IsPublished() {
		if err := v.Publish(clk.Now()); err != nil {
			t.Fatal(err)
		}
	}
	sv, err := progs.Create(ctx, v, "")
	if err != nil {
		t.Fatal(err)
	}
	svc := evidence.NewService(d, progs)
	svc.Now, svc.Store.Now = clk.Now, clk.Now // enrollments are stamped with the test's clock
	svc.Credentials.Now = clk.Now
	w := &world{t: t, ctx: ctx, clk: clk, svc: svc, clear: &clearance.Service{Evidence: svc}, creds: svc.Credentials,
		apprentice: ap, rn: evidence.ActorOf(rn), md: evidence.ActorOf(md), director: evidence.ActorOf(dir)}
	// The signers' own licences, valid and verified.
	for _, p := range []*accounts.Person{rn, md, dir} {
		w.credential(p.ID, p.Credential, "2020-01-01", "2030-12-31")
	}
	e, _, err := svc.Enroll(ctx, assessments.Enrollment{ApprenticeID: ap.ID, VersionID: sv.ID, SiteID: site.ID,
		HireDate: day(hire), StartDate: day(hire), PreceptorIDs: []string{rn.ID}, IdempotencyKey: w.nextKey()}, dir.ID)
	if err != nil {
		t.Fatal(err)
	}
	w.enrollment = e.ID
	return w
}

func (w *world) nextKey() string { w.key++; return fmt.Sprintf("test-key-%06d", w.key) }

func (w *world) credential(person, typ, issued, expires string) {
	w.t.Helper()
	r, err := w.creds.Add(w.ctx, credentials.NewRecord{PersonID: person, TypeCode: typ, IssuedOn: day(issued), ExpiresOn: day(expires), Number: "N-" + typ})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.creds.Verify(w.ctx, r.ID, w.director.ID, "checked the issuer's site"); err != nil {
		w.t.Fatal(err)
	}
}

// observe records n observations of a competency on the clock's day, all
// steps met unless failCritical.
func (w *world) observe(code string, n int, failCritical bool) {
	w.t.Helper()
	rec, err := w.svc.Enrollment(w.ctx, w.enrollment)
	if err != nil {
		w.t.Fatal(err)
	}
	c := rec.Enrollment.Version.Competency(code)
	for i := 0; i < n; i++ {
		steps := make([]assessments.StepResult, len(c.Checklist))
		for j, st := range c.Checklist {
			steps[j] = assessments.StepResult{Index: j, Met: !(failCritical && st.Critical)}
		}
		_, _, err := w.svc.Observe(w.ctx, rec.Enrollment, w.rn, assessments.ObservationRequest{IdempotencyKey: w.nextKey(), Competency: code,
			ChecklistVersion: c.ChecklistVersion, PerformedOn: curriculum.DateOf(w.clk.Now(), nil), Steps: steps})
		if err != nil {
			w.t.Fatalf("observe %s: %v", code, err)
		}
	}
}

// records loads the enrollment with its records, as the evidence
// service's writes take it.
func (w *world) records() *assessments.Records {
	w.t.Helper()
	rec, err := w.svc.Enrollment(w.ctx, w.enrollment)
	if err != nil {
		w.t.Fatal(err)
	}
	return rec
}

func (w *world) test(code string, score float64) {
	w.t.Helper()
	if _, _, err := w.svc.RecordTest(w.ctx, w.records().Enrollment, w.rn, assessments.TestResultRequest{IdempotencyKey: w.nextKey(), Competency: code,
		Score: score, TakenOn: curriculum.DateOf(w.clk.Now(), nil)}); err != nil {
		w.t.Fatalf("test %s: %v", code, err)
	}
}

// logHours logs hours of an RTI course on the clock's day, pending, and
// returns the entry's id.
func (w *world) logHours(code string, hours int) string {
	w.t.Helper()
	h, _, err := w.svc.LogHours(w.ctx, w.records(), evidence.ActorOf(w.apprentice), assessments.HoursRequest{IdempotencyKey: w.nextKey(),
		Kind: assessments.RTI, Code: code, WorkedOn: curriculum.DateOf(w.clk.Now(), nil), Minutes: assessments.Minutes(hours) * assessments.MinutesPerHour})
	if err != nil {
		w.t.Fatalf("log hours of %s: %v", code, err)
	}
	return h.ID
}

func (w *world) signOff(code string, by assessments.Actor) (assessments.SignOff, error) {
	return w.signOffKey(code, by, w.nextKey())
}

func (w *world) signOffKey(code string, by assessments.Actor, key string) (assessments.SignOff, error) {
	so, _, err := w.svc.SignOff(w.ctx, w.records(), by, assessments.SignOffRequest{IdempotencyKey: key, Competency: code,
		Kind: curriculum.InitialSignOff, ApprenticeName: w.apprentice.Name})
	return so, err
}

// complete takes a competency through its test, observations and sign-off.
func (w *world) complete(code string, observations int) assessments.SignOff {
	w.t.Helper()
	w.test(code, 90)
	w.observe(code, observations, false)
	so, err := w.signOff(code, w.rn)
	if err != nil {
		w.t.Fatalf("sign off %s: %v", code, err)
	}
	return so
}

func (w *world) status(task string, asOf string) curriculum.Decision {
	w.t.Helper()
	r, err := w.clear.For(w.ctx, w.apprentice.ID, day(asOf))
	if err != nil {
		w.t.Fatalf("decide %s on %s: %v", task, asOf, err)
	}
	d, ok := r.Decision(task)
	if !ok {
		w.t.Fatalf("no decision for task %s", task)
	}
	// Every scenario also checks that deciding from the decision fields
	// alone (the cache's and the exports' path) gives the same answer.
	narrow, err := clearance.DecideFromFields(w.clear, w.ctx, []string{w.apprentice.ID}, day(asOf))
	if err != nil {
		w.t.Fatalf("decide from decision fields: %v", err)
	}
	got, err := narrow[w.apprentice.ID].Decisions()
	if err != nil {
		w.t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r.Decisions) {
		w.t.Fatalf("on %s, decisions from the decision fields differ from those from whole records:\n%+v\n%+v", asOf, got, r.Decisions)
	}
	return d
}

func TestVenipunctureClearanceChangesAsEvidenceArrives(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		w := newWorld(t, d, "2026-01-05")
		if got := w.status("VENIPUNCTURE", "2026-01-05"); got.Status != curriculum.NotCleared {
			t.Fatalf("day one: %v", got.Status)
		}
		w.clk.Set(day("2026-01-20"))
		w.complete("SAF-INFECT", 3)
		w.complete("SAF-BBP", 1)
		if got := w.status("VENIPUNCTURE", "2026-01-20"); got.Status != curriculum.NotCleared {
			t.Fatalf("prerequisites only, no venipuncture test yet: %v %v", got.Status, got.Messages())
		}
		w.test("PHL-VENI", 85)
		training := w.logHours("PHLEB", 10) // approved on the day of the sign-off, below
		got := w.status("VENIPUNCTURE", "2026-01-20")
		if got.Status != curriculum.DirectSupervision {
			t.Fatalf("after the knowledge test: %v %v", got.Status, got.Messages())
		}
		w.observe("PHL-VENI", 1, true) // a critical step missed: does not count
		w.observe("PHL-VENI", 9, false)
		if _, err := w.signOff("PHL-VENI", w.rn); !errors.Is(err, assessments.ErrCountShort) {
			t.Fatalf("sign-off with 9 of 10: %v", err)
		}
		w.clk.Set(day("2026-02-02"))
		w.observe("PHL-VENI", 1, false)
		// The apprentice cannot sign themselves off.
		if _, err := w.signOff("PHL-VENI", evidence.ActorOf(w.apprentice)); !errors.Is(err, assessments.ErrSelfSignOff) {
			t.Fatalf("self sign-off: %v", err)
		}
		so, err := w.signOff("PHL-VENI", w.rn)
		if err != nil {
			t.Fatal(err)
		}
		rec, _ := w.svc.Enrollment(w.ctx, w.enrollment)
		stored := rec.SignOffs[len(rec.SignOffs)-1]
		if err := assessments.VerifySignature(&stored, evidence.SignedEvidenceFor(rec, &stored)); err != nil {
			t.Fatalf("the stored signature does not verify: %v", err)
		}
		if len(stored.Signature.PerformanceIDs) != 10 || stored.Signature.PrintedName != "Rita Nurse" {
			t.Fatalf("signature = %+v", stored.Signature)
		}
		moved := stored
		moved.Signature.PerformanceIDs = append([]string{rec.Observations[0].ID}, stored.Signature.PerformanceIDs[1:]...)
		if err := assessments.VerifySignature(&moved, evidence.SignedEvidenceFor(rec, &moved)); err == nil {
			t.Fatal("a signature moved onto other evidence still verifies")
		}
		// Signed off, but the 10 hours of phlebotomy training (16 CCR
		// 1366.1) still wait for approval: direct supervision, saying so.
		got = w.status("VENIPUNCTURE", "2026-02-02")
		if got.Status != curriculum.DirectSupervision || !slices.Contains(got.Messages(),
			"Venipuncture: 0 of 10 clock hours of training approved (Phlebotomy and specimen collection)") {
			t.Fatalf("signed off, training hours pending: %v %v", got.Status, got.Messages())
		}
		if err := w.svc.ReviewHours(w.ctx, training, w.rn, true, ""); err != nil {
			t.Fatal(err)
		}
		got = w.status("VENIPUNCTURE", "2026-02-02")
		if got.Status != curriculum.Cleared {
			t.Fatalf("after sign-off and approved training: %v %v", got.Status, got.Messages())
		}
		// No BLS on file: cleared only within 90 days of hire.
		// Hire day is day 0, so day 90 (5 April) is the last day of grace.
		if got.LapsesOn != day("2026-04-06") {
			t.Errorf("lapses on %v, want the day after the 90-day BLS grace (2026-04-06)", got.LapsesOn)
		}
		if got := w.status("VENIPUNCTURE", "2026-04-05"); got.Status != curriculum.Cleared {
			t.Fatalf("day 90 after hire, no BLS: %v %v", got.Status, got.Messages())
		}
		if got := w.status("VENIPUNCTURE", "2026-04-06"); got.Status == curriculum.Cleared {
			t.Fatalf("day 91 after hire, no BLS: still cleared")
		}
		// As of a past day, the answer is what was on file then.
		if got := w.status("VENIPUNCTURE", "2026-01-25"); got.Status != curriculum.DirectSupervision {
			t.Fatalf("as of 25 January: %v", got.Status)
		}
		// A BLS card valid through April: cleared on its expiry day (and the
		// decision says when it lapses), not cleared the day after.
		w.credential(w.apprentice.ID, "BLS", "2024-04-10", "2026-04-30")
		if got := w.status("VENIPUNCTURE", "2026-04-30"); got.Status != curriculum.Cleared || got.LapsesOn != day("2026-05-01") {
			t.Fatalf("on the BLS expiry day: %v, lapses %v, %v", got.Status, got.LapsesOn, got.Messages())
		}
		if got := w.status("VENIPUNCTURE", "2026-05-01"); got.Status == curriculum.Cleared {
			t.Fatalf("the day after BLS expiry: still cleared")
		}

		// A director revokes the sign-off from 2026-02-15.
		w.clk.Set(day("2026-02-20"))
		if _, _, err := w.svc.Revoke(w.ctx, w.records(), so.ID, w.director, assessments.RevocationRequest{IdempotencyKey: w.nextKey(),
			Reason: "needle-stick incident review", EffectiveOn: day("2026-02-15")}); err != nil {
			t.Fatal(err)
		}
		if got := w.status("VENIPUNCTURE", "2026-02-14"); got.Status == curriculum.Cleared {
			// Before the revocation was recorded the answer for the 14th was
			// cleared, and it still is: recorded_on 20th > as-of 14th.
		} else {
			t.Fatalf("the day before the revocation took effect: %v", got.Status)
		}
		if got := w.status("VENIPUNCTURE", "2026-02-20"); got.Status == curriculum.Cleared {
			t.Fatalf("after the revocation: still cleared")
		}
	})
}

func TestDoubleSubmissionAndConcurrentSignOff(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		w := newWorld(t, d, "2026-01-05")
		w.clk.Set(day("2026-01-20"))
		w.test("SAF-INFECT", 95)
		w.observe("SAF-INFECT", 3, false)

		// The same form twice (double click, retry): one sign-off.
		key := w.nextKey()
		a, err := w.signOffKey("SAF-INFECT", w.rn, key)
		if err != nil {
			t.Fatal(err)
		}
		b, err := w.signOffKey("SAF-INFECT", w.rn, key)
		if err != nil || a.ID != b.ID {
			t.Fatalf("resubmission: %v, ids %s / %s", err, a.ID, b.ID)
		}

		// Two preceptors signing the same competency at the same moment.
		w.test("SAF-BBP", 95)
		w.observe("SAF-BBP", 1, false)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, by := range []assessments.Actor{w.rn, w.md} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = w.signOffKey("SAF-BBP", by, fmt.Sprintf("concurrent-%d-key", i))
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, evidence.ErrAlreadySignedOff), errors.Is(err, assessments.ErrAlreadySignedOff):
			default:
				t.Fatalf("concurrent sign-off failed oddly: %v", err)
			}
		}
		rec, _ := w.svc.Enrollment(w.ctx, w.enrollment)
		n := 0
		for _, so := range rec.SignOffs {
			if so.Competency == "SAF-BBP" {
				n++
			}
		}
		if ok != 1 || n != 1 {
			t.Fatalf("concurrent sign-offs: %d succeeded, %d stored; want exactly one", ok, n)
		}
	})
}

func TestMoveToNewerVersionKeepsEvidenceThatApplies(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		w := newWorld(t, d, "2026-01-05")
		w.clk.Set(day("2026-01-20"))
		w.complete("SAF-INFECT", 3)
		w.observe("PROC-GAIT", 1, false)
		// Phlebotomy training, approved in version 1.
		if err := w.svc.ReviewHours(w.ctx, w.logHours("PHLEB", 10), w.rn, true, ""); err != nil {
			t.Fatal(err)
		}

		// Version 2: gait training is gone, infection control needs 4.
		progs := w.svc.Programs
		rec, _ := w.svc.Enrollment(w.ctx, w.enrollment)
		v1, _ := progs.VersionByID(w.ctx, rec.Enrollment.VersionID)
		draft, err := progs.StartDraft(w.ctx, v1.ProgramID, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := draft.Version.Edit(func(p *curriculum.Program) error {
			p.Competency("SAF-INFECT").Performances[0].Count = 4
			p.Tasks = slicesDelete(p.Tasks, "GAIT-TRAINING")
			for i := range p.Competencies {
				if p.Competencies[i].Code == "PROC-GAIT" {
					p.Competencies = append(p.Competencies[:i], p.Competencies[i+1:]...)
					break
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		saved, err := progs.SaveDraft(w.ctx, draft.ID, draft.LockVersion, draft.Version)
		if err != nil {
			t.Fatal(err)
		}
		v2, err := progs.Publish(w.ctx, saved.ID, saved.LockVersion, "")
		if err != nil {
			t.Fatal(err)
		}

		co, err := w.svc.Preview(w.ctx, w.enrollment, v2.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(co.Dropped) != 1 || co.Kept == 0 {
			t.Fatalf("carry-over preview: kept %d, dropped %v", co.Kept, co.Dropped)
		}
		if _, err := w.svc.MoveToVersion(w.ctx, w.enrollment, w.rn, evidence.MoveRequest{IdempotencyKey: w.nextKey(), ToVersionID: v2.ID}); !errors.Is(err, assessments.ErrNotDirector) {
			t.Fatalf("a preceptor moved an apprentice: %v", err)
		}
		w.clk.Set(day("2026-02-01"))
		moved, err := w.svc.MoveToVersion(w.ctx, w.enrollment, w.director, evidence.MoveRequest{IdempotencyKey: w.nextKey(), ToVersionID: v2.ID})
		if err != nil {
			t.Fatal(err)
		}
		// The old enrollment takes no new evidence.
		if _, _, err := w.svc.Observe(w.ctx, rec.Enrollment, w.rn, assessments.ObservationRequest{IdempotencyKey: w.nextKey(), Competency: "SAF-INFECT"}); !errors.Is(err, evidence.ErrMoved) {
			t.Fatalf("recording into the moved enrollment: %v", err)
		}
		r, err := w.clear.For(w.ctx, w.apprentice.ID, day("2026-02-01"))
		if err != nil {
			t.Fatal(err)
		}
		if r.Rules.Version().Number != 2 || r.Enrollment.ID != moved.ID {
			t.Fatalf("after the move the decision uses version %d", r.Rules.Version().Number)
		}
		// The three observations from version 1 carry over; version 2 asks
		// for four, so the decision says exactly what is missing.
		ic, _ := r.Decision("INFECTION-CTRL")
		if ic.Status != curriculum.DirectSupervision || !strings.Contains(strings.Join(ic.Messages(), "; "), "3 of 4") {
			t.Fatalf("infection control after the move: %v %v", ic.Status, ic.Messages())
		}
		if _, ok := r.Decision("GAIT-TRAINING"); ok {
			t.Fatal("a task removed in version 2 is still decided")
		}
		// The training hours approved in version 1 still count (from the
		// decision fields too: status compares both).
		if veni := w.status("VENIPUNCTURE", "2026-02-01"); strings.Contains(strings.Join(veni.Messages(), "; "), "clock hours") {
			t.Fatalf("venipuncture after the move: %v", veni.Messages())
		}
		before, _ := w.clear.For(w.ctx, w.apprentice.ID, day("2026-01-25"))
		if before.Rules.Version().Number != 1 {
			t.Fatalf("as of a day before the move: version %d", before.Rules.Version().Number)
		}
	})
}

func slicesDelete(ts []curriculum.Task, code string) []curriculum.Task {
	out := ts[:0]
	for _, t := range ts {
		if t.Code != code {
			out = append(out, t)
		}
	}
	return out
}

func TestSignerWithExpiredLicenceIsRefused(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		w := newWorld(t, d, "2026-01-05")
		// A new LPN whose licence lapsed before the signing day.
		acc := accounts.NewStore(d)
		acc.Hasher = password.Hasher{Params: password.TestParams}
		lpn, err := acc.Create(w.ctx, accounts.NewPerson{Email: "lpn@x.test", Name: "Lee Pin", Credential: "LPN", Roles: []accounts.Role{accounts.RolePreceptor}})
		if err != nil {
			t.Fatal(err)
		}
		w.credential(lpn.ID, "LPN", "2022-01-01", "2026-01-10")
		w.clk.Set(day("2026-01-20"))
		w.test("SAF-INFECT", 90)
		w.observe("SAF-INFECT", 3, false)
		if _, err := w.signOff("SAF-INFECT", evidence.ActorOf(lpn)); !errors.Is(err, assessments.ErrSignerCredential) {
			t.Fatalf("signing with a lapsed licence: %v", err)
		}
		if _, err := w.signOff("SAF-INFECT", w.rn); err != nil {
			t.Fatalf("a signer with a valid licence: %v", err)
		}
	})
}

func TestProgramCanRequireSignersToHoldBLS(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		w := newWorldWith(t, d, "2026-01-05", func(p *curriculum.Program) { p.Settings.SignersMustHold = []string{"BLS"} })
		w.clk.Set(day("2026-01-20"))
		w.test("SAF-INFECT", 90)
		w.observe("SAF-INFECT", 3, false)
		if _, err := w.signOff("SAF-INFECT", w.rn); !errors.Is(err, assessments.ErrSignerCredential) {
			t.Fatalf("a signer without BLS: %v", err)
		}
		w.credential(w.rn.ID, "BLS", "2025-06-01", "2027-06-30")
		if _, err := w.signOff("SAF-INFECT", w.rn); err != nil {
			t.Fatalf("a signer with BLS: %v", err)
		}
	})
}
