package assessments

import (
	"slices"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// Records is everything on file for one apprentice in one enrollment, as
// storage loads it: the input of BuildEvidence, CheckSignOff and Summarize.
// Records of other apprentices are ignored, so a mistaken query cannot leak
// someone else's evidence into a decision.
type Records struct {
	Enrollment *Enrollment
	// Credentials are the apprentice's credential records (BLS, CMA...),
	// every one including expired and renewed ones.
	Credentials  []curriculum.CredentialRecord
	Observations []Observation
	SelfLogs     []SelfLog
	Tests        []TestResult
	SignOffs     []SignOff
	Revocations  []Revocation
	Hours        []HoursEntry
	// PaperSignOffs are sign-offs transcribed from paper; they count only
	// where the program allows (PaperSignOff.Counts).
	PaperSignOffs []PaperSignOff
}

// KnownAt returns the records as they stood at t, for answering as
// Skillgate would have answered then: records entered after t are left
// out, and self-logs and hours reviewed after t read as still pending
// (so they are not evidence). Credentials are kept as given (the caller
// filters them by their own instants). The result shares no slice with r
// that it changes.
func (r *Records) KnownAt(t time.Time) *Records {
	out := *r
	out.Observations = keep(r.Observations, func(o *Observation) bool { return !o.RecordedAt.After(t) })
	out.Tests = keep(r.Tests, func(x *TestResult) bool { return !x.RecordedAt.After(t) })
	out.SignOffs = keep(r.SignOffs, func(s *SignOff) bool { return !s.Signature.SignedAt.After(t) })
	out.Revocations = keep(r.Revocations, func(v *Revocation) bool { return !v.RecordedAt.After(t) })
	out.PaperSignOffs = keep(r.PaperSignOffs, func(p *PaperSignOff) bool { return !p.RecordedAt.After(t) })
	out.SelfLogs = keep(r.SelfLogs, func(l *SelfLog) bool { return !l.LoggedAt.After(t) })
	for i := range out.SelfLogs {
		if l := &out.SelfLogs[i]; l.Status != SelfLogPending && l.ReviewedAt.After(t) {
			l.Status, l.ReviewedBy, l.ReviewerName, l.ReviewerCredential, l.ReviewedAt, l.RejectionReason = SelfLogPending, "", "", "", time.Time{}, ""
		}
	}
	out.Hours = keep(r.Hours, func(h *HoursEntry) bool { return !h.LoggedAt.After(t) })
	for i := range out.Hours {
		if h := &out.Hours[i]; h.Status != HoursPending && h.ReviewedAt.After(t) {
			h.Status, h.ReviewedBy, h.ReviewerName, h.ReviewedAt, h.RejectionReason = HoursPending, "", "", time.Time{}, ""
		}
	}
	return &out
}

// keep returns a new slice of the items of s for which ok holds.
func keep[T any](s []T, ok func(*T) bool) []T {
	var out []T
	for i := range s {
		if ok(&s[i]) {
			out = append(out, s[i])
		}
	}
	return out
}

// BuildEvidence summarises the records for the clearance engine
// (curriculum.Rules.Evaluate). It maps:
//
//   - the enrollment's apprentice and hire date to PersonID and HireDate,
//     and the periods its History shows it on hold to Holds;
//   - credential records as they are (they already carry RecordedOn);
//   - every observation to a Performance with its Successful flag, its
//     Supersedes link (the engine drops a superseded performance once the
//     correction is given) and RecordedOn = the organisation's calendar day
//     of RecordedAt (records count from the day they happened; RecordedOn
//     only lets a decision say a late entry changed it);
//   - every verified self-log to a successful Performance recorded on the
//     day it was verified (pending and rejected ones are not evidence);
//   - test results to KnowledgeResults recorded on the day of RecordedAt;
//   - approved hours entries to Hours recorded on the day they were
//     approved (pending and rejected ones are not evidence);
//   - sign-offs to SignOffs recorded on their signing day, with the
//     revocation of each (if any) as RevokedFrom = its effective date and
//     RevocationRecordedOn = the day it was recorded;
//   - paper sign-offs to SignOffs marked Paper, dated the day on the form
//     and recorded on the day they were transcribed (the engine counts
//     them only for competencies that allow paper sign-offs), with their
//     revocation (if any) as for electronic ones.
//
// Records are converted to calendar days in the organisation's time zone, so
// something recorded at 23:30 in New York on 14 March counts from 14 March
// even though it is 15 March in UTC. It returns nil if r has no loaded
// enrollment.
func BuildEvidence(r *Records) *curriculum.Evidence {
	if r == nil || r.Enrollment == nil || r.Enrollment.Version == nil {
		return nil
	}
	e := r.Enrollment
	pv := e.Version
	who := e.ApprenticeID
	ev := &curriculum.Evidence{
		PersonID:    who,
		HireDate:    e.HireDate,
		Credentials: slices.Clone(r.Credentials),
		Holds:       e.Holds(),
	}
	for i := range r.Observations {
		o := &r.Observations[i]
		if o.ApprenticeID != who {
			continue
		}
		ev.Performances = append(ev.Performances, curriculum.Performance{
			ID:          o.ID,
			Competency:  o.Competency,
			Variant:     o.Variant,
			PerformedOn: o.PerformedOn,
			Successful:  o.Successful,
			RecordedOn:  pv.Day(o.RecordedAt),
			Supersedes:  o.Supersedes,
		})
	}
	for i := range r.SelfLogs {
		l := &r.SelfLogs[i]
		if l.ApprenticeID != who || l.Status != SelfLogVerified {
			continue
		}
		ev.Performances = append(ev.Performances, curriculum.Performance{
			ID:          l.ID,
			Competency:  l.Competency,
			Variant:     l.Variant,
			PerformedOn: l.PerformedOn,
			Successful:  true,
			RecordedOn:  pv.Day(l.ReviewedAt),
		})
	}
	for i := range r.Tests {
		t := &r.Tests[i]
		if t.ApprenticeID != who {
			continue
		}
		ev.KnowledgeTests = append(ev.KnowledgeTests, curriculum.KnowledgeResult{
			Competency: t.Competency,
			Score:      t.Score,
			TakenOn:    t.TakenOn,
			RecordedOn: pv.Day(t.RecordedAt),
		})
	}
	for i := range r.Hours {
		h := &r.Hours[i]
		if h.ApprenticeID != who || h.Status != HoursApproved {
			continue
		}
		ev.Hours = append(ev.Hours, curriculum.HoursRecord{Kind: h.Kind, Code: h.Code, WorkedOn: h.WorkedOn,
			Minutes: int(h.Minutes), RecordedOn: pv.Day(h.ReviewedAt)})
	}
	for i := range r.SignOffs {
		s := &r.SignOffs[i]
		if s.ApprenticeID != who {
			continue
		}
		so := curriculum.SignOff{
			ID:         s.ID,
			Competency: s.Competency,
			Kind:       s.Kind,
			SignedOn:   s.SignedOn,
			RecordedOn: pv.Day(s.Signature.SignedAt),
			Covered:    slices.Clone(s.Covered),
		}
		if rv := revocationOf(r.Revocations, s.ID); rv != nil {
			so.RevokedFrom = rv.EffectiveOn
			so.RevocationRecordedOn = pv.Day(rv.RecordedAt)
		}
		ev.SignOffs = append(ev.SignOffs, so)
	}
	for i := range r.PaperSignOffs {
		p := &r.PaperSignOffs[i]
		if p.ApprenticeID != who {
			continue
		}
		so := curriculum.SignOff{ID: p.ID, Competency: p.Competency, Kind: p.Kind, SignedOn: p.SignedOn,
			RecordedOn: pv.Day(p.RecordedAt), Paper: true}
		if rv := revocationOf(r.Revocations, p.ID); rv != nil {
			so.RevokedFrom = rv.EffectiveOn
			so.RevocationRecordedOn = pv.Day(rv.RecordedAt)
		}
		ev.SignOffs = append(ev.SignOffs, so)
	}
	return ev
}

// revocationOf returns the revocation of the sign-off with the given ID, or
// nil. Revoke allows one per sign-off; should storage ever hold more, the
// earliest-effective one wins, as the strictest reading.
func revocationOf(revs []Revocation, signOffID string) *Revocation {
	var out *Revocation
	for i := range revs {
		if rv := &revs[i]; rv.SignOffID == signOffID && signOffID != "" {
			if out == nil || rv.EffectiveOn.Before(out.EffectiveOn) {
				out = rv
			}
		}
	}
	return out
}

// known reports whether a record of something that happened on happened
// counts on asOf: every record given counts from the day it happened,
// whenever it was entered (the engine's rule, curriculum/evidence.go,
// repeated because it is not exported; recorded is kept for the callers'
// symmetry with the engine's records).
func known(_, happened, asOf curriculum.Date) bool { return !happened.After(asOf) }

// revokedOn reports whether s no longer counts on asOf because a
// revocation given has taken effect (the engine's rule).
func revokedOn(s *curriculum.SignOff, asOf curriculum.Date) bool {
	return !s.RevokedFrom.IsZero() && !s.RevokedFrom.After(asOf)
}

// covers reports whether covered satisfies the coverage rule (nil: always).
func covers(cv *curriculum.Coverage, covered []string) bool {
	if cv == nil {
		return true
	}
	n := 0
	for _, it := range cv.Items {
		if slices.Contains(covered, it.Code) {
			n++
		}
	}
	if cv.Mode == curriculum.CoverAny {
		return n >= cv.Min
	}
	return n == len(cv.Items)
}

// chain is a competency's counting sign-offs on a day, as the engine reads
// them: the latest counting initial sign-off, and the latest counting
// re-verification signed after it. A sign-off counts when it is on file, not
// revoked, and covers the coverage rule.
type chain struct {
	initial, last *curriculum.SignOff
}

func signOffChain(ev *curriculum.Evidence, c *curriculum.Competency, asOf curriculum.Date) chain {
	var ch chain
	counts := func(s *curriculum.SignOff) bool {
		return s.Competency == c.Code && known(s.RecordedOn, s.SignedOn, asOf) && !revokedOn(s, asOf) && covers(c.Coverage, s.Covered) &&
			(!s.Paper || c.AllowsPaperSignOffs())
	}
	for i := range ev.SignOffs {
		s := &ev.SignOffs[i]
		if s.Kind == curriculum.InitialSignOff && counts(s) && (ch.initial == nil || !s.SignedOn.Before(ch.initial.SignedOn)) {
			ch.initial = s
		}
	}
	if ch.initial == nil {
		return ch
	}
	ch.last = ch.initial
	for i := range ev.SignOffs {
		s := &ev.SignOffs[i]
		if s.Kind == curriculum.ReverificationSignOff && counts(s) && s.SignedOn.After(ch.initial.SignedOn) && !s.SignedOn.Before(ch.last.SignedOn) {
			ch.last = s
		}
	}
	return ch
}

// nextDue returns when the competency is next due for re-verification given
// the chain (zero: never, or not signed off), by curriculum's one schedule.
func (ch chain) nextDue(r curriculum.Reverification) curriculum.Date {
	if ch.last == nil {
		return curriculum.Date{}
	}
	return r.NextDue(ch.initial.SignedOn, ch.last.SignedOn)
}

// counted is the performances that count toward a competency on a day:
// successful, on file, not superseded by a correction on file, with a
// variant the competency requires. byReq[k] holds the performances counted
// toward c.Performances[k], in the order found.
type counted struct {
	byReq [][]*curriculum.Performance
	// last is the latest attempt on file (successful or not), nil if none.
	last *curriculum.Performance
}

func countPerformances(ev *curriculum.Evidence, c *curriculum.Competency, asOf curriculum.Date) counted {
	out := counted{byReq: make([][]*curriculum.Performance, len(c.Performances))}
	superseded := map[string]bool{}
	for i := range ev.Performances {
		p := &ev.Performances[i]
		if p.Supersedes != "" && known(p.RecordedOn, p.PerformedOn, asOf) {
			superseded[p.Supersedes] = true
		}
	}
	for i := range ev.Performances {
		p := &ev.Performances[i]
		if p.Competency != c.Code || !known(p.RecordedOn, p.PerformedOn, asOf) || (p.ID != "" && superseded[p.ID]) {
			continue
		}
		if out.last == nil || !p.PerformedOn.Before(out.last.PerformedOn) {
			out.last = p
		}
		if !p.Successful {
			continue
		}
		// The engine credits a performance to the first requirement that is
		// variant-less or names its variant.
		for k, pr := range c.Performances {
			if pr.Variant == "" || pr.Variant == p.Variant {
				out.byReq[k] = append(out.byReq[k], p)
				break
			}
		}
	}
	return out
}
