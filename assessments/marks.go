package assessments

import (
	"math"

	"github.com/skillgate/skillgate/curriculum"
)

// Mark is one competency's standing as a cohort grid shows it: what
// Summarize says of it in CompetencyProgress's Current, SignedOff and
// Variants, in six bytes, so that a cache can keep one per competency,
// person and day beside the decisions.
type Mark struct {
	// Done is the successful performances counted toward the
	// competency's requirements, each requirement's count capped at what
	// it asks (the sum over Variants of min(Successful, Required)); Need
	// is what they ask in all (the sum of Required).
	Done, Need uint16
	// SignedOff and Current are CompetencyProgress's.
	SignedOff, Current bool
}

// Marks returns the mark of every competency of pv's program, in program
// order, for the person whose evidence is ev, as of asOf: the same
// answers as Summarize on that day, without what only the progress page
// shows (readiness, tests, hours, notes, the performances counted), and
// in one pass over the evidence instead of one per competency.
func Marks(pv *ProgramVersion, ev *curriculum.Evidence, asOf curriculum.Date) []Mark {
	p := pv.Program()
	out := make([]Mark, len(p.Competencies))
	for i, st := range pv.Standings(ev, asOf) {
		out[i].Current = st.Current
	}
	// Successful performances per requirement, flat: competency i's
	// requirements start at base[i].
	base := make([]int, len(p.Competencies)+1)
	for i := range p.Competencies {
		base[i+1] = base[i] + len(p.Competencies[i].Performances)
	}
	counts := make([]int, base[len(p.Competencies)])
	var superseded map[string]bool
	for i := range ev.Performances {
		if pf := &ev.Performances[i]; pf.Supersedes != "" && known(pf.RecordedOn, pf.PerformedOn, asOf) {
			if superseded == nil {
				superseded = map[string]bool{}
			}
			superseded[pf.Supersedes] = true
		}
	}
	for i := range ev.Performances {
		pf := &ev.Performances[i]
		if !pf.Successful || !known(pf.RecordedOn, pf.PerformedOn, asOf) || (pf.ID != "" && superseded[pf.ID]) {
			continue
		}
		ci, ok := pv.taskIndex[pf.Competency]
		if !ok {
			continue
		}
		// Credited as countPerformances does: to the first requirement
		// that is variant-less or names the variant.
		for k, pr := range p.Competencies[ci].Performances {
			if pr.Variant == "" || pr.Variant == pf.Variant {
				counts[base[ci]+k]++
				break
			}
		}
	}
	for i := range p.Competencies {
		done, need := 0, 0
		for k, pr := range p.Competencies[i].Performances {
			done, need = done+min(counts[base[i]+k], pr.Count), need+pr.Count
		}
		out[i].Done, out[i].Need = clamp16(done), clamp16(need)
	}
	// Signed off: a counting initial sign-off on file (signOffChain's
	// initial).
	for i := range ev.SignOffs {
		so := &ev.SignOffs[i]
		if so.Kind != curriculum.InitialSignOff {
			continue
		}
		ci, ok := pv.taskIndex[so.Competency]
		if !ok || out[ci].SignedOff {
			continue
		}
		if known(so.RecordedOn, so.SignedOn, asOf) && !revokedOn(so, asOf) && covers(p.Competencies[ci].Coverage, so.Covered) {
			out[ci].SignedOff = true
		}
	}
	return out
}

func clamp16(n int) uint16 { return uint16(min(max(n, 0), math.MaxUint16)) }
