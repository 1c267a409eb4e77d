package assessments

import (
	"errors"
	"fmt"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// DefaultReverifyWindowDays is how many days before a re-verification is
// due it is offered when the competency's schedule names no due window.
const DefaultReverifyWindowDays = 30

// Readiness says whether a competency of an enrollment may be signed off
// (or re-verified) now and, if not, what is missing, in words a preceptor
// acts on ("2 more observed performances"). Pages show "Sign off" and
// "Re-verify" only when Ready, and Missing otherwise.
//
// The signer's own authorisation and credentials, and the coverage items
// chosen on the sign-off form, are not part of it: they are checked when
// signing (CheckSignOff), which stays the rule.
type Readiness struct {
	Code  string `json:"code"`
	Title string `json:"title"`
	// Kind is the sign-off that comes next: initial until one counts, then
	// re-verification when the competency has a schedule; empty when
	// nothing more is ever signed (signed off, no schedule).
	Kind  curriculum.SignOffKind `json:"kind,omitempty"`
	Ready bool                   `json:"ready"`
	// Missing lists what stands between the competency and the sign-off
	// (empty when Ready, or when Kind is empty).
	Missing []string `json:"missing,omitempty"`
	// Short is how many more successful observed performances the
	// requirement counts still need (all variants together); when
	// OnlyObservations, they are all that is missing.
	Short            int  `json:"short,omitempty"`
	OnlyObservations bool `json:"only_observations,omitempty"`
	// DueOn is when the re-verification is due (Kind re-verification), and
	// OpensOn the first day it is offered; Overdue: DueOn has passed.
	DueOn   curriculum.Date `json:"due_on,omitzero"`
	OpensOn curriculum.Date `json:"opens_on,omitzero"`
	Overdue bool            `json:"overdue,omitempty"`
}

// ReadinessOf returns the readiness of every competency of r's program
// version, in program order, as of the organisation's day of now. It
// returns nil if r has no loaded enrollment. It reads nothing but r.
func ReadinessOf(r *Records, now time.Time) []Readiness {
	ev := BuildEvidence(r)
	if ev == nil {
		return nil
	}
	p := r.Enrollment.Version.Program()
	out := make([]Readiness, len(p.Competencies))
	for i := range p.Competencies {
		out[i] = readiness(r, ev, &p.Competencies[i], now)
	}
	return out
}

// SignOffReadiness is ReadinessOf for one competency; ok is false when the
// version has no competency code (or r no enrollment).
func SignOffReadiness(r *Records, code string, now time.Time) (Readiness, bool) {
	ev := BuildEvidence(r)
	if ev == nil {
		return Readiness{}, false
	}
	c := r.Enrollment.Version.Competency(code)
	if c == nil {
		return Readiness{}, false
	}
	return readiness(r, ev, c, now), true
}

func readiness(r *Records, ev *curriculum.Evidence, c *curriculum.Competency, now time.Time) Readiness {
	e := r.Enrollment
	pv := e.Version
	day := pv.Day(now)
	out := Readiness{Code: c.Code, Title: c.Title, Kind: curriculum.InitialSignOff}
	ch := signOffChain(ev, c, day)
	var prev *SignOff
	if ch.initial != nil {
		if c.Reverification.IsZero() {
			return Readiness{Code: c.Code, Title: c.Title}
		}
		out.Kind = curriculum.ReverificationSignOff
		out.DueOn = ch.nextDue(c.Reverification)
		window := c.Reverification.DueWindowDays
		if window <= 0 {
			window = DefaultReverifyWindowDays
		}
		out.OpensOn = out.DueOn.AddDays(-window)
		// The day after the initial sign-off at the earliest: the same day
		// is refused (ErrReverificationSameDay).
		if first := ch.initial.SignedOn.AddDays(1); out.OpensOn.Before(first) {
			out.OpensOn = first
		}
		out.Overdue = day.After(out.DueOn)
		prev = storedSignOff(r, ch.last.ID)
	}
	var missing []string
	add := func(format string, args ...any) { missing = append(missing, fmt.Sprintf(format, args...)) }
	if !e.AcceptsEvidence() {
		add("The enrollment is %s: nothing can be signed", lower(e.Status.Label()))
	}
	if out.Kind == curriculum.ReverificationSignOff && day.Before(out.OpensOn) {
		// Nothing else is worth listing before the window opens.
		out.Missing = append(missing, fmt.Sprintf("Re-verification not due until %s (it can be done from %s)", longDate(out.DueOn), longDate(out.OpensOn)))
		return out
	}
	for _, code := range c.Prerequisites {
		if st, ok := pv.Standing(ev, code, day); ok && st.Current {
			continue
		}
		title := code
		if pc := pv.Competency(code); pc != nil {
			title = pc.Title
		}
		add("%s signed off and current first", title)
	}
	perfs := countPerformances(ev, c, day)
	fresh, counts := 0, 0
	for k, pr := range c.Performances {
		if short := pr.Count - len(perfs.byReq[k]); short > 0 {
			what := "performance"
			if short != 1 {
				what += "s"
			}
			if v := variantSuffix(pr); v != "" {
				what += " (" + v[1:] + ")"
			}
			add("%d more observed %s", short, what)
			out.Short += short
			counts++
		}
		for _, p := range perfs.byReq[k] {
			if prev != nil && !p.PerformedOn.Before(prev.SignedOn) && p.ID != "" && !containsID(prev.Signature.PerformanceIDs, p.ID) {
				fresh++
			}
		}
	}
	if prev != nil && c.Coverage == nil && len(c.Performances) > 0 && fresh == 0 {
		add("1 successful observed performance since the last sign-off on %s", longDate(prev.SignedOn))
		out.Short++
		counts++
	}
	if _, err := checkKnowledge(r, ev, c, prev, day); err != nil {
		var ke *Error
		if errors.As(err, &ke) {
			missing = append(missing, ke.Message)
		} else {
			missing = append(missing, err.Error())
		}
	}
	out.Missing = missing
	out.Ready = len(missing) == 0
	out.OnlyObservations = counts > 0 && counts == len(missing)
	return out
}

func containsID(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// longDate writes d the way pages show dates ("Mar 3, 2026").
func longDate(d curriculum.Date) string { return d.Time(nil).Format("Jan 2, 2006") }
