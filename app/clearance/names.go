package clearance

import (
	"slices"
	"sync"

	"github.com/skillgate/skillgate/assessments"
)

// nameTable shares the strings that many kept enrollments repeat (program
// version ids, site ids, preceptor ids, statuses): one copy each for the
// process instead of one per enrollment read. It only grows with the
// organisation's sites, people who precept and versions.
type nameTable struct {
	mu sync.Mutex
	m  map[string]string
}

func (t *nameTable) name(s string) string {
	if s == "" {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if n, ok := t.m[s]; ok {
		return n
	}
	if t.m == nil {
		t.m = map[string]string{}
	}
	t.m[s] = s
	return s
}

// keep returns e as kept for long (in snapshots and cached decisions):
// without the idempotency key and request hash of the request that created
// it, which only creating an enrollment again reads (evidence.Service
// Enroll reads them from the database), and with its repeated strings
// shared. Its slices are new, at their exact length, so e's (which may be
// shared with a whole batch's records) are not held.
func (t *nameTable) keep(e assessments.Enrollment) assessments.Enrollment {
	e.IdempotencyKey, e.RequestHash = "", ""
	e.VersionID, e.SiteID = t.name(e.VersionID), t.name(e.SiteID)
	e.Status = assessments.EnrollmentStatus(t.name(string(e.Status)))
	if len(e.PreceptorIDs) > 0 {
		ps := make([]string, len(e.PreceptorIDs))
		for i, p := range e.PreceptorIDs {
			ps[i] = t.name(p)
		}
		e.PreceptorIDs = ps
	}
	if len(e.History) > 0 {
		h := make([]assessments.StatusChange, len(e.History))
		for i, c := range e.History {
			c.Status = assessments.EnrollmentStatus(t.name(string(c.Status)))
			h[i] = c // every other field as read
		}
		e.History = h
	}
	if len(e.WageStepsOn) > 0 {
		e.WageStepsOn = slices.Clone(e.WageStepsOn)
	}
	return e
}
