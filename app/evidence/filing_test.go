package evidence

import (
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/assessments"
)

func TestFileRecordsGroupsAndOrders(t *testing.T) {
	f := newFiler([]assessments.Enrollment{{ID: "e1"}, {ID: "e2"}, {ID: "e3"}})
	at := func(min int) time.Time { return time.Date(2026, 11, 1, 9, min, 0, 0, time.UTC) }
	// As an index returns them: by enrollment and competency, not by time;
	// two recorded in the same instant are ordered by ID.
	list := []assessments.Observation{
		{ID: "o4", EnrollmentID: "e2", Competency: "a", RecordedAt: at(30)},
		{ID: "o1", EnrollmentID: "e1", Competency: "a", RecordedAt: at(20)},
		{ID: "o3", EnrollmentID: "e1", Competency: "b", RecordedAt: at(10)},
		{ID: "o2", EnrollmentID: "e1", Competency: "c", RecordedAt: at(20)},
		{ID: "o5", EnrollmentID: "e2", Competency: "b", RecordedAt: at(40)},
	}
	err := fileRecords(f, list, func(o *assessments.Observation) string { return o.EnrollmentID },
		func(a, b *assessments.Observation) int { return byTimeID(a.RecordedAt, b.RecordedAt, a.ID, b.ID) },
		func(r *assessments.Records, l []assessments.Observation) { r.Observations = l })
	if err != nil {
		t.Fatal(err)
	}
	got := f.byID()
	ids := func(enrollment string) string {
		var s []string
		for _, o := range got[enrollment].Observations {
			if o.EnrollmentID != enrollment {
				t.Errorf("observation %s of %s filed under %s", o.ID, o.EnrollmentID, enrollment)
			}
			s = append(s, o.ID)
		}
		return strings.Join(s, " ")
	}
	if g := ids("e1"); g != "o3 o1 o2" {
		t.Errorf("e1: %q, want o3 o1 o2 (by time, then ID)", g)
	}
	if g := ids("e2"); g != "o4 o5" {
		t.Errorf("e2: %q, want o4 o5", g)
	}
	if got["e3"].Observations != nil || got["e3"].Enrollment.ID != "e3" {
		t.Errorf("e3 has no observations: %+v", got["e3"])
	}
	// The lists share one array: appending to one must not overwrite the next.
	e1 := append(got["e1"].Observations, assessments.Observation{ID: "new"})
	if got["e2"].Observations[0].ID != "o4" || len(e1) != 4 {
		t.Errorf("appending to e1's list changed e2's: %s", ids("e2"))
	}
}

func TestFileRecordsRefusesAnUnaskedEnrollment(t *testing.T) {
	f := newFiler([]assessments.Enrollment{{ID: "e1"}})
	err := fileRecords(f, []assessments.TestResult{{ID: "t1", EnrollmentID: "other"}}, func(r *assessments.TestResult) string { return r.EnrollmentID },
		func(a, b *assessments.TestResult) int { return strings.Compare(a.ID, b.ID) },
		func(r *assessments.Records, l []assessments.TestResult) { r.Tests = l })
	if err == nil || !strings.Contains(err.Error(), `"other"`) {
		t.Fatalf("a record of another enrollment: %v", err)
	}
}
