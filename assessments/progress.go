package assessments

import (
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// Progress is an enrollment's standing for the apprentice's home page.
type Progress struct {
	EnrollmentID string               `json:"enrollment_id"`
	AsOf         curriculum.Date      `json:"as_of"`
	Competencies []CompetencyProgress `json:"competencies"`
	// SignedOff counts competencies with a counting initial sign-off (on
	// file, not revoked, covering its coverage rule) on AsOf, whether or not
	// a re-verification is overdue; Total is every competency of the
	// version. Percent = SignedOff*100/Total, rounded down. Hours are
	// measured separately (Hours), because a hybrid program needs both and
	// neither stands in for the other.
	SignedOff int          `json:"signed_off"`
	Total     int          `json:"total"`
	Percent   int          `json:"percent"`
	Hours     HoursSummary `json:"hours"`
}

// CompetencyProgress is one competency's line on the progress page.
type CompetencyProgress struct {
	Code   string            `json:"code"`
	Title  string            `json:"title"`
	Domain curriculum.Domain `json:"domain"`
	// Variants holds successful performances against the required count,
	// one entry per requirement (one without a variant name for
	// competencies without variants; none for knowledge-only ones).
	Variants []VariantProgress `json:"variants"`
	// LastAttemptOn and LastAttemptSuccessful describe the latest
	// performance on file (observed or verified self-log, corrections
	// applied); LastAttemptOn is zero when there is none.
	LastAttemptOn         curriculum.Date `json:"last_attempt_on"`
	LastAttemptSuccessful bool            `json:"last_attempt_successful"`
	// TestRequired, BestScore and TestPassed describe the knowledge test.
	TestRequired bool    `json:"test_required"`
	BestScore    float64 `json:"best_score"`
	Tested       bool    `json:"tested"`
	TestPassed   bool    `json:"test_passed"`
	// SignedOff: a counting initial sign-off is on file (see Progress).
	// SignedOffOn and SignedOffBy (printed name) describe it; LastSignedOn
	// is the latest counting sign-off, initial or re-verification.
	SignedOff    bool            `json:"signed_off"`
	SignedOffOn  curriculum.Date `json:"signed_off_on"`
	SignedOffBy  string          `json:"signed_off_by"`
	LastSignedOn curriculum.Date `json:"last_signed_on"`
	// ReverificationDue is when the next re-verification is due (zero when
	// the competency has no schedule or is not signed off).
	ReverificationDue curriculum.Date `json:"reverification_due"`
	// Current: signed off and current with all prerequisites, as the
	// clearance engine decides.
	Current bool `json:"current"`
	// Missing lists, in plain language, what remains for the competency to
	// be current (the engine's next steps); Notes holds warnings that block
	// nothing, such as a re-verification due soon.
	Missing []string `json:"missing"`
	Notes   []string `json:"notes"`
	// Counted holds the ids of the performances (observations and verified
	// self-logs) counted in Variants, so that a list of them agrees with the
	// counts; SignOff is whether the competency may be signed off or
	// re-verified now (SignOffReadiness). Pages use both; the API does not
	// carry them.
	Counted []string  `json:"-"`
	SignOff Readiness `json:"-"`
}

// VariantProgress is a count of successful performances against a
// requirement.
type VariantProgress struct {
	Variant    string `json:"variant"`
	Title      string `json:"title"`
	Successful int    `json:"successful"`
	Required   int    `json:"required"`
}

// Summarize builds the progress page of r's enrollment as of the
// organisation's day of now. It returns nil if r has no loaded enrollment.
func Summarize(r *Records, now time.Time) *Progress {
	ev := BuildEvidence(r)
	if ev == nil {
		return nil
	}
	pv := r.Enrollment.Version
	asOf := pv.Day(now)
	p := pv.Program()
	out := &Progress{EnrollmentID: r.Enrollment.ID, AsOf: asOf, Total: len(p.Competencies)}
	var mine []HoursEntry
	for _, h := range r.Hours {
		if h.ApprenticeID == ev.PersonID {
			mine = append(mine, h)
		}
	}
	out.Hours = SummarizeHours(p, mine)

	standings := pv.Standings(ev, asOf)
	for i := range p.Competencies {
		c := &p.Competencies[i]
		cp := CompetencyProgress{Code: c.Code, Title: c.Title, Domain: c.Domain}

		perfs := countPerformances(ev, c, asOf)
		for k, pr := range c.Performances {
			cp.Variants = append(cp.Variants, VariantProgress{Variant: pr.Variant, Title: pr.Title, Successful: len(perfs.byReq[k]), Required: pr.Count})
			for _, p := range perfs.byReq[k] {
				cp.Counted = append(cp.Counted, p.ID)
			}
		}
		cp.SignOff = readiness(r, ev, c, now)
		if perfs.last != nil {
			cp.LastAttemptOn, cp.LastAttemptSuccessful = perfs.last.PerformedOn, perfs.last.Successful
		}

		if kt := c.KnowledgeTest; kt != nil {
			cp.TestRequired = true
			for _, t := range ev.KnowledgeTests {
				if t.Competency == c.Code && known(t.RecordedOn, t.TakenOn, asOf) {
					if !cp.Tested || t.Score > cp.BestScore {
						cp.BestScore = t.Score
					}
					cp.Tested = true
				}
			}
			cp.TestPassed = cp.Tested && cp.BestScore >= float64(kt.PassMark)
		}

		ch := signOffChain(ev, c, asOf)
		if ch.initial != nil {
			cp.SignedOff = true
			out.SignedOff++
			cp.SignedOffOn, cp.LastSignedOn = ch.initial.SignedOn, ch.last.SignedOn
			for j := range r.SignOffs {
				if r.SignOffs[j].ID == ch.initial.ID {
					cp.SignedOffBy = r.SignOffs[j].Signature.PrintedName
				}
			}
			for j := range r.PaperSignOffs {
				if p := &r.PaperSignOffs[j]; p.ID == ch.initial.ID {
					cp.SignedOffBy = p.PrintedName + ", " + string(p.Credential) + " (paper sign-off, transcribed from paper)"
				}
			}
			cp.ReverificationDue = ch.nextDue(c.Reverification)
		}

		// Standings are in program order, one per competency.
		st := standings[i]
		cp.Current = st.Current
		cp.Missing = st.Decision.NextSteps()
		for j := range st.Decision.Reasons {
			if rs := &st.Decision.Reasons[j]; rs.Effect == curriculum.Info {
				cp.Notes = append(cp.Notes, rs.Message())
			}
		}
		out.Competencies = append(out.Competencies, cp)
	}
	out.Percent = percent(out.SignedOff, out.Total)
	return out
}
