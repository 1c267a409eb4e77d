package assessments

import (
	"testing"

	"github.com/skillgate/skillgate/curriculum"
)

func TestNewSelfLog(t *testing.T) {
	e := newEnv(t)
	today := d("2026-03-16")
	base := func() SelfLogRequest {
		return SelfLogRequest{IdempotencyKey: e.next("key"), Competency: "INJ", Variant: "SUBQ", PerformedOn: today, SupervisorID: nurse.ID}
	}
	tests := []struct {
		name string
		who  Actor
		mod  func(*SelfLogRequest)
		want *Error
	}{
		{"valid", apprentice, nil, nil},
		{"someone else's enrollment", nurse, nil, ErrNotYourEnrollment},
		{"bad key", apprentice, func(r *SelfLogRequest) { r.IdempotencyKey = "bad key!" }, ErrInvalidIdempotencyKey},
		{"unknown competency", apprentice, func(r *SelfLogRequest) { r.Competency = "XYZ" }, ErrUnknownCompetency},
		{"bad variant", apprentice, func(r *SelfLogRequest) { r.Variant = "" }, ErrInvalidVariant},
		{"knowledge-only", apprentice, func(r *SelfLogRequest) { r.Competency, r.Variant = "SAF-HIPAA", "" }, ErrNothingToPerform},
		{"future", apprentice, func(r *SelfLogRequest) { r.PerformedOn = today.AddDays(1) }, ErrFutureDate},
		{"before start", apprentice, func(r *SelfLogRequest) { r.PerformedOn = d("2025-12-31") }, ErrBeforeStart},
		{"no supervisor", apprentice, func(r *SelfLogRequest) { r.SupervisorID = "" }, ErrMissingField},
		{"self as supervisor", apprentice, func(r *SelfLogRequest) { r.SupervisorID = apprentice.ID }, ErrSelfObservation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := base()
			if tt.mod != nil {
				tt.mod(&req)
			}
			l, err := NewSelfLog(e.enr, tt.who, req, at(today))
			wantErr(t, err, tt.want)
			if err == nil && l.Status != SelfLogPending {
				t.Errorf("status = %s, want pending", l.Status)
			}
		})
	}
}

func TestSelfLogStateMachine(t *testing.T) {
	e := newEnv(t)
	day := d("2026-03-10")
	newLog := func(supervisor string) *SelfLog {
		l, err := NewSelfLog(e.enr, apprentice, SelfLogRequest{
			IdempotencyKey: e.next("key"), Competency: "INJ", Variant: "IM", PerformedOn: day, SupervisorID: supervisor,
		}, at(day))
		if err != nil {
			t.Fatal(err)
		}
		l.ID = e.next("self")
		return l
	}
	later := at(day.AddDays(1))

	t.Run("only the named preceptor verifies", func(t *testing.T) {
		l := newLog(nurse.ID)
		wantErr(t, l.Verify(e.enr, physician, later), ErrNotNamedSupervisor)
		wantErr(t, l.Verify(e.enr, apprentice, later), ErrNotNamedSupervisor)
		if l.Status != SelfLogPending {
			t.Fatal("a refused verification changed the entry")
		}
		wantErr(t, l.Verify(e.enr, nurse, later), nil)
		if l.Status != SelfLogVerified || l.ReviewedBy != nurse.ID || !l.ReviewedAt.Equal(later) {
			t.Fatalf("after verify: %+v", l)
		}
		wantErr(t, l.Verify(e.enr, nurse, later), ErrAlreadyReviewed)
		wantErr(t, l.Reject(e.enr, nurse, "changed my mind", later), ErrAlreadyReviewed)
	})
	t.Run("named preceptor must be allowed to observe", func(t *testing.T) {
		l := newLog(cma.ID) // CMAs may not observe injections
		wantErr(t, l.Verify(e.enr, cma, later), ErrObserverNotAllowed)
		if l.Status != SelfLogPending {
			t.Fatal("status changed")
		}
		wantErr(t, l.Reject(e.enr, cma, "I cannot verify injections", later), nil)
	})
	t.Run("rejection needs a reason", func(t *testing.T) {
		l := newLog(nurse.ID)
		wantErr(t, l.Reject(e.enr, nurse, " \n", later), ErrReasonRequired)
		wantErr(t, l.Reject(e.enr, physician, "not me", later), ErrNotNamedSupervisor)
		wantErr(t, l.Reject(e.enr, nurse, "I was not on shift that day.", later), nil)
		if l.Status != SelfLogRejected || l.RejectionReason == "" {
			t.Fatalf("after reject: %+v", l)
		}
		wantErr(t, l.Verify(e.enr, nurse, later), ErrAlreadyReviewed)
	})
	t.Run("only verified entries are evidence, from the day of verification", func(t *testing.T) {
		ee := newEnv(t)
		pending, verified, rejected := newLog(nurse.ID), newLog(nurse.ID), newLog(nurse.ID)
		if err := verified.Verify(ee.enr, nurse, at(day.AddDays(3))); err != nil {
			t.Fatal(err)
		}
		if err := rejected.Reject(e.enr, nurse, "not observed", later); err != nil {
			t.Fatal(err)
		}
		ee.recs.SelfLogs = []SelfLog{*pending, *verified, *rejected}
		ev := BuildEvidence(ee.recs)
		if len(ev.Performances) != 1 {
			t.Fatalf("performances = %+v", ev.Performances)
		}
		p := ev.Performances[0]
		want := curriculum.Performance{ID: verified.ID, Competency: "INJ", Variant: "IM", PerformedOn: day, Successful: true, RecordedOn: day.AddDays(3)}
		if p.ID != want.ID || p.Competency != want.Competency || p.Variant != want.Variant || p.PerformedOn != want.PerformedOn ||
			!p.Successful || p.RecordedOn != want.RecordedOn {
			t.Fatalf("performance = %+v, want %+v", p, want)
		}
	})
}

func TestNewTestResult(t *testing.T) {
	e := newEnv(t)
	today := d("2026-03-16")
	base := func() TestResultRequest {
		return TestResultRequest{IdempotencyKey: e.next("key"), Competency: "PHL-VENI", Score: 80, TakenOn: today}
	}
	tests := []struct {
		name   string
		who    Actor
		mod    func(*TestResultRequest)
		want   *Error
		passed bool
	}{
		{"pass mark passes", nurse, nil, nil, true},
		{"director may record", director, func(r *TestResultRequest) { r.Score = 79.5 }, nil, false},
		{"apprentice may not", apprentice, nil, ErrSelfObservation, false},
		{"not a preceptor", Actor{ID: "hr-1"}, nil, ErrNotRecorder, false},
		{"no test", nurse, func(r *TestResultRequest) { r.Competency = "VS-MEASURE" }, ErrNoKnowledgeTest, false},
		{"negative", nurse, func(r *TestResultRequest) { r.Score = -1 }, ErrInvalidScore, false},
		{"over 100", nurse, func(r *TestResultRequest) { r.Score = 100.5 }, ErrInvalidScore, false},
		{"future", nurse, func(r *TestResultRequest) { r.TakenOn = today.AddDays(1) }, ErrFutureDate, false},
		{"perfect", nurse, func(r *TestResultRequest) { r.Score = 100 }, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := base()
			if tt.mod != nil {
				tt.mod(&req)
			}
			r, err := NewTestResult(e.enr, tt.who, req, at(today))
			wantErr(t, err, tt.want)
			if err == nil && (r.Passed() != tt.passed || r.PassMark != 80) {
				t.Errorf("Passed = %v (pass mark %d), want %v", r.Passed(), r.PassMark, tt.passed)
			}
		})
	}
}
