package evidence_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/auth/password"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// A client that timed out resends its sign-off with the same key while the
// first attempt is still running. The retry passes the rules against
// records read before the first attempt committed, then finds the
// competency signed off when it writes: it must get the stored record
// back (a replay), while another signature is still refused.
func TestSignOffRetryRacingItsFirstAttemptIsAReplay(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		store := accounts.NewStore(d)
		store.Hasher = password.Hasher{Params: password.TestParams}
		if _, err := demo.Seed(ctx, d, store); err != nil {
			t.Fatal(err)
		}
		var enrollmentID string
		if err := d.NewSelect().Table("sign_offs").Column("enrollment_id").Where("seq = 1").Limit(1).Scan(ctx, &enrollmentID); err != nil {
			t.Fatal(err)
		}
		svc := evidence.NewService(d, programs.NewStore(d))
		rec, err := svc.Enrollment(ctx, enrollmentID)
		if err != nil {
			t.Fatal(err)
		}
		first := rec.SignOffs[0]
		if first.IdempotencyKey == "" {
			t.Fatal("the demo sign-off has no idempotency key")
		}

		retry := first
		retry.ID = ""
		got, replayed, err := svc.Store.AddSignOff(ctx, retry, 1)
		if err != nil || !replayed || got.ID != first.ID {
			t.Fatalf("the retry racing its first attempt: %v, replayed %v, id %s (stored %s)", err, replayed, got.ID, first.ID)
		}

		other := first
		other.ID, other.IdempotencyKey = "", "another-signature-0001"
		if _, replayed, err := svc.Store.AddSignOff(ctx, other, 1); !errors.Is(err, evidence.ErrAlreadySignedOff) || replayed {
			t.Fatalf("a second signature with a stale count: %v, replayed %v", err, replayed)
		}
		n, err := d.NewSelect().Table("sign_offs").Where("enrollment_id = ? AND competency = ?", enrollmentID, first.Competency).Count(ctx)
		if err != nil || n != 1 {
			t.Fatalf("sign-offs of the competency: %d, %v", n, err)
		}
	})
}

// raceHook runs fn once, right after the first query that contains match:
// a deterministic stand-in for another request committing at that moment.
type raceHook struct {
	match string
	fn    func()
	fired atomic.Bool
}

func (h *raceHook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (h *raceHook) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if strings.Contains(e.Query, h.match) && h.fired.CompareAndSwap(false, true) {
		h.fn()
	}
}

// The same race through the service: the first attempt commits after the
// retry looked for its key, while the retry holds records read before
// (as a handler passes down the enrollment it loaded to authorise the
// request). The retry's write finds the competency signed off; it must
// still get the stored record back.
func TestSignOffRetryRefusedOnlyBecauseItsFirstAttemptLandedIsAReplay(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		hook := &raceHook{match: "race-sign-0001"}
		svc, jordan, priya, enr := demoEnrollment(t, d, &db.DB{DB: d.WithQueryHook(hook), Engine: d.Engine, Where: d.Where})
		signer := evidence.ActorOf(priya)
		rec := observeVenipuncture(t, svc, enr, signer, "race-obs-0001", "race-obs-0002")
		req := assessments.SignOffRequest{IdempotencyKey: "race-sign-0001", Competency: "PHL-VENI", Kind: curriculum.InitialSignOff, ApprenticeName: jordan.Name}
		var first assessments.SignOff
		hook.fn = func() {
			var err error
			if first, _, err = svc.SignOff(ctx, rec, signer, req); err != nil {
				t.Errorf("the first attempt: %v", err)
			}
		}
		got, replayed, err := svc.SignOff(ctx, rec, signer, req)
		if !hook.fired.Load() || first.ID == "" {
			t.Fatal("the first attempt did not run between the retry's key lookup and its checks")
		}
		if err != nil || !replayed || got.ID != first.ID {
			t.Fatalf("the retry: %v, replayed %v, id %s (stored %s)", err, replayed, got.ID, first.ID)
		}
	})
}

// demoEnrollment seeds the demo organisation on d and returns an evidence
// service on on (d itself, or d with a query hook), Jordan (an apprentice),
// Priya (his preceptor) and Jordan's enrollment.
func demoEnrollment(t *testing.T, d, on *db.DB) (*evidence.Service, *accounts.Person, *accounts.Person, string) {
	t.Helper()
	ctx := context.Background()
	store := accounts.NewStore(d)
	store.Hasher = password.Hasher{Params: password.TestParams}
	if _, err := demo.Seed(ctx, d, store); err != nil {
		t.Fatal(err)
	}
	jordan, err := store.ByEmail(ctx, "apprentice@demo.test")
	if err != nil {
		t.Fatal(err)
	}
	priya, err := store.ByEmail(ctx, "preceptor@demo.test")
	if err != nil {
		t.Fatal(err)
	}
	svc := evidence.NewService(on, programs.NewStore(on))
	ens, err := svc.Store.Enrollments(ctx, evidence.EnrollmentFilter{ApprenticeIDs: []string{jordan.ID}})
	if err != nil || len(ens) != 1 {
		t.Fatalf("Jordan's enrollments: %v, %v", ens, err)
	}
	return svc, jordan, priya, ens[0].ID
}

// observeVenipuncture records a successful venipuncture by by for each
// key, today, and returns the enrollment's records read afterwards.
func observeVenipuncture(t *testing.T, svc *evidence.Service, enrollmentID string, by assessments.Actor, keys ...string) *assessments.Records {
	t.Helper()
	ctx := context.Background()
	rec, err := svc.Enrollment(ctx, enrollmentID)
	if err != nil {
		t.Fatal(err)
	}
	comp := rec.Enrollment.Version.Competency("PHL-VENI")
	steps := make([]assessments.StepResult, len(comp.Checklist))
	for i := range steps {
		steps[i] = assessments.StepResult{Index: i, Met: true}
	}
	for _, key := range keys {
		if _, _, err := svc.Observe(ctx, rec.Enrollment, by, assessments.ObservationRequest{IdempotencyKey: key, Competency: "PHL-VENI",
			ChecklistVersion: comp.ChecklistVersion, PerformedOn: rec.Enrollment.Version.Day(time.Now()), Steps: steps}); err != nil {
			t.Fatal(err)
		}
	}
	if rec, err = svc.Enrollment(ctx, enrollmentID); err != nil {
		t.Fatal(err)
	}
	return rec
}

// DecisionStamps reads the counter the triggers keep: nothing for a person
// never written for, and a higher stamp after a write to their records.
func TestDecisionStampsMoveWithEveryWrite(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		svc, jordan, priya, enr := demoEnrollment(t, d, d)
		if got, err := svc.Store.DecisionStamps(ctx, nil); err != nil || len(got) != 0 {
			t.Fatalf("no people: %v, %v", got, err)
		}
		before, err := svc.Store.DecisionStamps(ctx, []string{jordan.ID, priya.ID, "nobody"})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := before["nobody"]; ok || before[jordan.ID] == 0 {
			t.Fatalf("stamps after the demo: %v", before)
		}
		observeVenipuncture(t, svc, enr, evidence.ActorOf(priya), "stamp-obs-0001")
		after, err := svc.Store.DecisionStamps(ctx, []string{jordan.ID, priya.ID})
		if err != nil {
			t.Fatal(err)
		}
		if after[jordan.ID] <= before[jordan.ID] || after[priya.ID] != before[priya.ID] {
			t.Fatalf("after observing Jordan: %v, before %v", after, before)
		}
	})
}

// A sign-off checked against records read before another signature of the
// same competency was committed is refused when written, not stored as a
// second signature: the enrollment a handler loaded once is re-checked in
// the write's transaction.
func TestSignOffOnRecordsReadBeforeAnotherSignatureIsRefused(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		svc, jordan, priya, enr := demoEnrollment(t, d, d)
		signer := evidence.ActorOf(priya)
		rec := observeVenipuncture(t, svc, enr, signer, "stale-obs-0001", "stale-obs-0002")
		sign := func(key string) error {
			_, _, err := svc.SignOff(ctx, rec, signer, assessments.SignOffRequest{IdempotencyKey: key, Competency: "PHL-VENI",
				Kind: curriculum.InitialSignOff, ApprenticeName: jordan.Name})
			return err
		}
		if err := sign("stale-sign-0001"); err != nil {
			t.Fatal(err)
		}
		if err := sign("stale-sign-0002"); !errors.Is(err, evidence.ErrAlreadySignedOff) {
			t.Fatalf("a second signature on stale records: %v", err)
		}
		n, err := d.NewSelect().Table("sign_offs").Where("enrollment_id = ? AND competency = ?", enr, "PHL-VENI").Count(ctx)
		if err != nil || n != 1 {
			t.Fatalf("sign-offs of the competency: %d, %v", n, err)
		}
	})
}
