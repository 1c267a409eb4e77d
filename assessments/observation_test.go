package assessments

import (
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

func TestObservationOutcome(t *testing.T) {
	e := newEnv(t)
	c := e.comp("PHL-VENI")
	var critical, plain = -1, -1
	for i, s := range c.Checklist {
		if s.Critical && critical < 0 {
			critical = i
		}
		if !s.Critical && plain < 0 {
			plain = i
		}
	}
	if critical < 0 || plain < 0 {
		t.Fatal("venipuncture checklist needs a critical and a non-critical step for this test")
	}
	day := d("2026-03-02")
	tests := []struct {
		name   string
		notMet []int
		want   bool
	}{
		{"all steps met", nil, true},
		{"non-critical step missed", []int{plain}, true},
		{"critical step missed", []int{critical}, false},
		{"both missed", []int{plain, critical}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := e.obsRequest("PHL-VENI", "", day)
			req.Steps = e.steps("PHL-VENI", tt.notMet...)
			o, err := NewObservation(e.enr, nurse, req, nil, at(day))
			wantErr(t, err, nil)
			if o.Successful != tt.want {
				t.Errorf("Successful = %v, want %v", o.Successful, tt.want)
			}
			if got := len(o.MissedCriticalSteps(c)) == 0; got != tt.want {
				t.Errorf("MissedCriticalSteps = %v", o.MissedCriticalSteps(c))
			}
			if o.RecordedAt.Location() != time.UTC || o.SiteID != "site-1" || o.ApprenticeID != apprentice.ID {
				t.Errorf("record fields: %+v", o)
			}
		})
	}
}

func TestNewObservationValidation(t *testing.T) {
	e := newEnv(t)
	today := d("2026-03-16")
	now := at(today)
	base := func() ObservationRequest { return e.obsRequest("INJ", "IM", today) }
	long := strings.Repeat("é", MaxCommentLen+1)

	tests := []struct {
		name     string
		observer Actor
		mod      func(*ObservationRequest, *Enrollment)
		want     *Error
	}{
		{"valid", nurse, nil, nil},
		{"bad idempotency key", nurse, func(r *ObservationRequest, _ *Enrollment) { r.IdempotencyKey = "short" }, ErrInvalidIdempotencyKey},
		{"enrollment on hold", nurse, func(_ *ObservationRequest, en *Enrollment) { en.Status = EnrollmentOnHold }, ErrEnrollmentInactive},
		{"enrollment withdrawn", nurse, func(_ *ObservationRequest, en *Enrollment) { en.Status = EnrollmentWithdrawn }, ErrEnrollmentInactive},
		{"completed enrollment still records", nurse, func(_ *ObservationRequest, en *Enrollment) { en.Status = EnrollmentCompleted }, nil},
		{"observer is the apprentice", Actor{ID: apprentice.ID, Credential: curriculum.CMA}, nil, ErrSelfObservation},
		{"unknown competency", nurse, func(r *ObservationRequest, _ *Enrollment) { r.Competency = "NOPE" }, ErrUnknownCompetency},
		{"missing competency", nurse, func(r *ObservationRequest, _ *Enrollment) { r.Competency = "" }, ErrMissingField},
		{"CMA may not observe injections", cma, nil, ErrObserverNotAllowed},
		{"no credential", Actor{ID: "x-1", Preceptor: true}, nil, ErrObserverNotAllowed},
		{"variant missing", nurse, func(r *ObservationRequest, _ *Enrollment) { r.Variant = "" }, ErrInvalidVariant},
		{"variant unknown", nurse, func(r *ObservationRequest, _ *Enrollment) { r.Variant = "IV" }, ErrInvalidVariant},
		{"variant on variant-less competency", nurse, func(r *ObservationRequest, _ *Enrollment) {
			*r = e.obsRequest("PHL-VENI", "IM", today)
		}, ErrInvalidVariant},
		{"knowledge-only competency", nurse, func(r *ObservationRequest, _ *Enrollment) {
			r.Competency, r.Variant, r.ChecklistVersion, r.Steps = "SAF-HIPAA", "", 0, nil
		}, ErrNothingToPerform},
		{"stale checklist version", nurse, func(r *ObservationRequest, _ *Enrollment) { r.ChecklistVersion++ }, ErrChecklistVersion},
		{"step missing", nurse, func(r *ObservationRequest, _ *Enrollment) { r.Steps = r.Steps[1:] }, ErrStepMissing},
		{"no steps", nurse, func(r *ObservationRequest, _ *Enrollment) { r.Steps = nil }, ErrStepMissing},
		{"step twice", nurse, func(r *ObservationRequest, _ *Enrollment) { r.Steps = append(r.Steps, r.Steps[0]) }, ErrStepRepeated},
		{"step out of range", nurse, func(r *ObservationRequest, _ *Enrollment) { r.Steps[0].Index = len(r.Steps) }, ErrStepUnknown},
		{"negative step", nurse, func(r *ObservationRequest, _ *Enrollment) { r.Steps[0].Index = -1 }, ErrStepUnknown},
		{"no date", nurse, func(r *ObservationRequest, _ *Enrollment) { r.PerformedOn = curriculum.Date{} }, ErrMissingField},
		{"tomorrow", nurse, func(r *ObservationRequest, _ *Enrollment) { r.PerformedOn = today.AddDays(1) }, ErrFutureDate},
		{"before enrollment start", nurse, func(r *ObservationRequest, _ *Enrollment) { r.PerformedOn = d("2026-01-04") }, ErrBeforeStart},
		{"on start day", nurse, func(r *ObservationRequest, _ *Enrollment) { r.PerformedOn = d("2026-01-05") }, nil},
		{"comment at limit", nurse, func(r *ObservationRequest, _ *Enrollment) { r.Comments = long[:len(long)-2] }, nil},
		{"comment too long", nurse, func(r *ObservationRequest, _ *Enrollment) { r.Comments = long }, ErrTextTooLong},
		{"comment with control character", nurse, func(r *ObservationRequest, _ *Enrollment) { r.Comments = "ok\x00" }, ErrInvalidText},
		{"reason without correction", nurse, func(r *ObservationRequest, _ *Enrollment) { r.CorrectionReason = "typo" }, ErrSupersedeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := base()
			enr := *e.enr
			if tt.mod != nil {
				tt.mod(&req, &enr)
			}
			_, err := NewObservation(&enr, tt.observer, req, nil, now)
			wantErr(t, err, tt.want)
		})
	}
}

func TestObservationFutureDateUsesOrgZone(t *testing.T) {
	e := newEnv(t)
	// 02:30 UTC on 17 March is still 16 March in New York: 17 March is
	// in the future there.
	now := time.Date(2026, 3, 17, 2, 30, 0, 0, time.UTC)
	_, err := NewObservation(e.enr, nurse, e.obsRequest("PHL-VENI", "", d("2026-03-17")), nil, now)
	wantErr(t, err, ErrFutureDate)
	_, err = NewObservation(e.enr, nurse, e.obsRequest("PHL-VENI", "", d("2026-03-16")), nil, now)
	wantErr(t, err, nil)
}

func TestObservationCorrections(t *testing.T) {
	e := newEnv(t)
	day := d("2026-03-02")
	orig := e.observe("INJ", "IM", day, 1)[0]
	other := e.observe("PHL-VENI", "", day, 1)[0]
	foreign := *orig
	foreign.ID, foreign.ApprenticeID = "obs-foreign", "app-2"

	correction := func(target string) ObservationRequest {
		r := e.obsRequest("INJ", "SUBQ", day)
		r.Supersedes, r.CorrectionReason = target, "Recorded as IM; it was a subcutaneous injection."
		return r
	}
	history := []Observation{*orig, *other, foreign}

	// A valid correction; then correcting the same record again is refused.
	fix, err := NewObservation(e.enr, nurse, correction(orig.ID), history, at(day.AddDays(1)))
	wantErr(t, err, nil)
	if fix.Supersedes != orig.ID || fix.Variant != "SUBQ" {
		t.Fatalf("correction = %+v", fix)
	}
	fix.ID = "obs-fix"
	withFix := append(history, *fix)

	tests := []struct {
		name    string
		mod     func(*ObservationRequest)
		history []Observation
		want    *Error
	}{
		{"reason required", func(r *ObservationRequest) { r.CorrectionReason = "  " }, history, ErrReasonRequired},
		{"target not found", func(r *ObservationRequest) { r.Supersedes = "obs-missing" }, history, ErrSupersedeNotFound},
		{"another competency", func(r *ObservationRequest) { r.Supersedes = other.ID }, history, ErrSupersedeMismatch},
		{"another apprentice", func(r *ObservationRequest) { r.Supersedes = foreign.ID }, history, ErrSupersedeMismatch},
		{"already superseded", nil, withFix, ErrAlreadySuperseded},
		{"correcting the correction is fine", func(r *ObservationRequest) { r.Supersedes = "obs-fix" }, withFix, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := correction(orig.ID)
			if tt.mod != nil {
				tt.mod(&req)
			}
			_, err := NewObservation(e.enr, nurse, req, tt.history, at(day.AddDays(2)))
			wantErr(t, err, tt.want)
		})
	}
	if got := SupersededBy(withFix); got[orig.ID] != "obs-fix" || len(got) != 1 {
		t.Errorf("SupersededBy = %v", got)
	}
}
