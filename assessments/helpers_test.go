package assessments

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

var (
	apprentice = Actor{ID: "app-1", Name: "Ana Alvarez"}
	nurse      = Actor{ID: "rn-1", Name: "Rita Nguyen", Credential: curriculum.RN, Preceptor: true}
	cma        = Actor{ID: "cma-1", Name: "Carl Moss", Credential: curriculum.CMA, Preceptor: true}
	physician  = Actor{ID: "md-1", Name: "Dana Ortiz", Credential: curriculum.MD, Preceptor: true}
	director   = Actor{ID: "dir-1", Name: "Pat Director", Director: true}

	// nurseSigner holds a verified RN licence valid through mid-2027.
	nurseSigner = Signer{Actor: nurse, Records: []curriculum.CredentialRecord{
		{ID: "lic-rn-1", Type: "RN", Number: "RN123", IssuedOn: d("2024-06-01"), ExpiresOn: d("2027-06-30"), Verified: true},
	}}
)

func d(s string) curriculum.Date { return curriculum.MustParseDate(s) }

// maVersion compiles the shipped Medical Assistant program once, published.
var maVersion = sync.OnceValues(func() (*ProgramVersion, error) {
	v, err := curriculum.MedicalAssistantProgram()
	if err != nil {
		return nil, err
	}
	if err := v.Publish(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)); err != nil {
		return nil, err
	}
	rules, err := curriculum.Compile(v)
	if err != nil {
		return nil, err
	}
	return NewProgramVersion("ver-1", rules)
})

// env is one apprentice's enrollment in the shipped program with the
// records stored so far; it plays the storage layer (assigning ids).
type env struct {
	t    *testing.T
	pv   *ProgramVersion
	enr  *Enrollment
	recs *Records
	n    int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	pv, err := maVersion()
	if err != nil {
		t.Fatal(err)
	}
	enr := &Enrollment{
		ID: "enr-1", ApprenticeID: apprentice.ID, VersionID: pv.ID, Version: pv, SiteID: "site-1",
		HireDate: d("2026-01-02"), StartDate: d("2026-01-05"), PreceptorIDs: []string{nurse.ID},
		Status: EnrollmentActive, IdempotencyKey: "enroll-0001",
	}
	if err := enr.Validate(); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, pv: pv, enr: enr, recs: &Records{Enrollment: enr}}
}

func (e *env) next(prefix string) string {
	e.n++
	return fmt.Sprintf("%s-%04d", prefix, e.n)
}

// at returns 14:00 in New York on day: a "now" on that organisation day.
func at(day curriculum.Date) time.Time {
	return day.Time(curriculum.DefaultLocation()).Add(14 * time.Hour)
}

func (e *env) comp(code string) *curriculum.Competency {
	c := e.pv.Competency(code)
	if c == nil {
		e.t.Fatalf("no competency %s", code)
	}
	return c
}

// steps answers every step of code's checklist: met, except the listed
// indexes.
func (e *env) steps(code string, notMet ...int) []StepResult {
	c := e.comp(code)
	out := make([]StepResult, len(c.Checklist))
	for i := range out {
		out[i] = StepResult{Index: i, Met: true}
	}
	for _, i := range notMet {
		out[i].Met = false
	}
	return out
}

func (e *env) obsRequest(code, variant string, day curriculum.Date) ObservationRequest {
	return ObservationRequest{
		IdempotencyKey: e.next("key"), Competency: code, Variant: variant,
		ChecklistVersion: e.comp(code).ChecklistVersion, PerformedOn: day, Steps: e.steps(code),
	}
}

// observe records n successful observations of code by nurse on day.
func (e *env) observe(code, variant string, day curriculum.Date, n int) []*Observation {
	e.t.Helper()
	var out []*Observation
	for range n {
		o, err := NewObservation(e.enr, nurse, e.obsRequest(code, variant, day), nil, at(day))
		if err != nil {
			e.t.Fatalf("observe %s: %v", code, err)
		}
		o.ID = e.next("obs")
		e.recs.Observations = append(e.recs.Observations, *o)
		out = append(out, o)
	}
	return out
}

func (e *env) testResult(code string, score float64, day curriculum.Date) *TestResult {
	e.t.Helper()
	r, err := NewTestResult(e.enr, nurse, TestResultRequest{IdempotencyKey: e.next("key"), Competency: code, Score: score, TakenOn: day}, at(day))
	if err != nil {
		e.t.Fatalf("test %s: %v", code, err)
	}
	r.ID = e.next("test")
	e.recs.Tests = append(e.recs.Tests, *r)
	return r
}

func (e *env) signReq(code string, kind curriculum.SignOffKind) SignOffRequest {
	return SignOffRequest{IdempotencyKey: e.next("key"), Competency: code, Kind: kind, ApprenticeName: apprentice.Name}
}

// signOff signs code off by nurse on day and stores it.
func (e *env) signOff(code string, kind curriculum.SignOffKind, day curriculum.Date) *SignOff {
	e.t.Helper()
	so, err := CheckSignOff(e.signReq(code, kind), nurseSigner, e.recs, SignOffPolicy{}, at(day))
	if err != nil {
		e.t.Fatalf("sign off %s: %v", code, err)
	}
	so.ID = e.next("so")
	e.recs.SignOffs = append(e.recs.SignOffs, *so)
	return so
}

// complete takes a competency with a plain (variant-less) count and an
// optional knowledge test to a stored initial sign-off on day.
func (e *env) complete(code string, day curriculum.Date) *SignOff {
	e.t.Helper()
	c := e.comp(code)
	for _, pr := range c.Performances {
		e.observe(code, pr.Variant, day, pr.Count)
	}
	if c.KnowledgeTest != nil {
		e.testResult(code, 90, day)
	}
	return e.signOff(code, curriculum.InitialSignOff, day)
}

// hours stores an hours entry of the apprentice worked on day, approved
// or rejected by nurse that day (or left pending), and returns its index in
// e.recs.Hours.
func (e *env) hours(kind HoursKind, code string, day curriculum.Date, minutes Minutes, status HoursStatus) int {
	e.t.Helper()
	h, err := NewHoursEntry(e.enr, apprentice, HoursRequest{IdempotencyKey: e.next("key"), Kind: kind, Code: code, WorkedOn: day, Minutes: minutes}, nil, at(day))
	if err != nil {
		e.t.Fatalf("hours %s: %v", code, err)
	}
	h.ID = e.next("hours")
	switch status {
	case HoursApproved:
		err = h.Approve(e.enr, nurse, at(day))
	case HoursRejected:
		err = h.Reject(e.enr, nurse, "not this course", at(day))
	}
	if err != nil {
		e.t.Fatalf("review hours %s: %v", code, err)
	}
	e.recs.Hours = append(e.recs.Hours, *h)
	return len(e.recs.Hours) - 1
}

// wantErr fails unless err matches want (nil: no error), and for *Error
// checks that the message is written out (not just the sentinel's).
func wantErr(t *testing.T, err error, want *Error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("error = %v (code %q), want code %q", err, ErrorCode(err), want.Code)
	}
	var e *Error
	if !errors.As(err, &e) || e.Message == "" || e.Kind != want.Kind {
		t.Fatalf("error %#v: want kind %v and a message", err, want.Kind)
	}
}
