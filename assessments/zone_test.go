package assessments

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// Dates in messages are days in the program's zone: something done at
// 23:30 in New York on 5 December is "on 2026-12-05", although it is
// already the 6th in UTC.
func TestMessagesDateDaysInProgramZone(t *testing.T) {
	e := newEnv(t)
	day := d("2026-12-05")
	late := day.Time(e.pv.Location()).Add(23*time.Hour + 30*time.Minute)
	if curriculum.DateOf(late, time.UTC) == day {
		t.Fatal("the instant is the same day in UTC; the test proves nothing")
	}
	message := func(err error) string {
		t.Helper()
		var ae *Error
		if !errors.As(err, &ae) {
			t.Fatalf("error %v, want an *Error", err)
		}
		return ae.Message
	}

	// An observation corrected late on the 5th.
	orig := e.observe("INJ", "IM", day, 1)[0]
	fixReq := e.obsRequest("INJ", "SUBQ", day)
	fixReq.Supersedes, fixReq.CorrectionReason = orig.ID, "Recorded as IM; it was subcutaneous."
	fix, err := NewObservation(e.enr, nurse, fixReq, []Observation{*orig}, late)
	if err != nil {
		t.Fatal(err)
	}
	fix.ID = "obs-fix"
	again := e.obsRequest("INJ", "SUBQ", day)
	again.Supersedes, again.CorrectionReason = orig.ID, "Another try."
	_, err = NewObservation(e.enr, nurse, again, []Observation{*orig, *fix}, late.Add(time.Hour))
	if msg := message(err); !strings.Contains(msg, "already corrected on 2026-12-05") {
		t.Errorf("correction: %q", msg)
	}

	// A self-log verified late on the 5th.
	l, err := NewSelfLog(e.enr, apprentice, SelfLogRequest{IdempotencyKey: e.next("key"), Competency: "INJ", Variant: "IM",
		PerformedOn: day, SupervisorID: nurse.ID}, day.Time(e.pv.Location()).Add(12*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Verify(e.enr, nurse, late); err != nil {
		t.Fatal(err)
	}
	if msg := message(l.Reject(e.enr, nurse, "no", late.Add(time.Hour))); !strings.Contains(msg, "already verified on 2026-12-05") {
		t.Errorf("self-log: %q", msg)
	}

	// Hours approved late on the 5th.
	h, err := NewHoursEntry(e.enr, apprentice, HoursRequest{IdempotencyKey: e.next("key"), Kind: OJL, Code: "VITAL-SIGNS",
		WorkedOn: day, Minutes: 480}, nil, day.Time(e.pv.Location()).Add(18*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Approve(e.enr, director, late); err != nil {
		t.Fatal(err)
	}
	if msg := message(h.Approve(e.enr, director, late.Add(time.Hour))); !strings.Contains(msg, "already approved on 2026-12-05") {
		t.Errorf("hours: %q", msg)
	}
}

// A status change counts from the program's calendar day it was made on:
// put on hold at 23:30 in New York on 10 March (already the 11th in UTC),
// active again on the 20th, withdrawn on 1 April.
func TestStatusOnAndHoldsByProgramDay(t *testing.T) {
	e := newEnv(t)
	en := *e.enr
	loc := e.pv.Location()
	at := func(day string, h, m int) time.Time {
		return d(day).Time(loc).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	en.Status = EnrollmentWithdrawn
	en.History = []StatusChange{
		{Status: EnrollmentOnHold, At: at("2026-03-10", 23, 30)},
		{Status: EnrollmentActive, At: at("2026-03-20", 8, 0)},
		{Status: EnrollmentWithdrawn, At: at("2026-04-01", 9, 0)},
	}
	for _, tc := range []struct {
		day   string
		want  EnrollmentStatus
		since string
	}{
		{"2026-03-09", EnrollmentActive, en.StartDate.String()},
		{"2026-03-10", EnrollmentOnHold, "2026-03-10"},
		{"2026-03-11", EnrollmentOnHold, "2026-03-10"},
		{"2026-03-19", EnrollmentOnHold, "2026-03-10"},
		{"2026-03-20", EnrollmentActive, "2026-03-20"},
		{"2026-03-31", EnrollmentActive, "2026-03-20"},
		{"2026-04-01", EnrollmentWithdrawn, "2026-04-01"},
		{"2027-01-01", EnrollmentWithdrawn, "2026-04-01"},
	} {
		if st, since := en.StatusOn(d(tc.day)); st != tc.want || since.String() != tc.since {
			t.Errorf("%s: %s since %s, want %s since %s", tc.day, st, since, tc.want, tc.since)
		}
	}
	want := []curriculum.Hold{{From: d("2026-03-10"), Until: d("2026-03-20")}}
	if got := en.Holds(); !slices.Equal(got, want) {
		t.Errorf("holds %v, want %v", got, want)
	}
	if ev := BuildEvidence(&Records{Enrollment: &en}); !slices.Equal(ev.Holds, want) {
		t.Errorf("evidence holds %v, want %v", ev.Holds, want)
	}
	// Without history: the current status throughout; an enrollment that
	// is on hold with no dated change (created so) is on hold from its
	// start.
	plain := *e.enr
	plain.Status = EnrollmentOnHold
	if st, since := plain.StatusOn(d("2026-03-09")); st != EnrollmentOnHold || since != plain.StartDate {
		t.Errorf("no history: %s since %s", st, since)
	}
	if got := plain.Holds(); !slices.Equal(got, []curriculum.Hold{{From: plain.StartDate}}) {
		t.Errorf("no history, on hold: %v", got)
	}
	// Still on hold now: the hold is open.
	held := *e.enr
	held.Status = EnrollmentOnHold
	held.History = []StatusChange{{Status: EnrollmentOnHold, At: at("2026-03-10", 12, 0)}}
	if got := held.Holds(); !slices.Equal(got, []curriculum.Hold{{From: d("2026-03-10")}}) {
		t.Errorf("open hold: %v", got)
	}
}
