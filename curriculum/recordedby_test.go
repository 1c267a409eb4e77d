package curriculum

// recordedBy returns the evidence as it stood at the end of day: the
// records entered on or before it (zero RecordedOn counts as entered the
// day it happened), revocations entered by then. Holds and the hire date
// are kept as they are.
func (e *Evidence) recordedBy(day Date) *Evidence {
	in := func(recorded, happened Date) bool {
		if recorded.IsZero() {
			recorded = happened
		}
		return !recorded.After(day)
	}
	out := &Evidence{PersonID: e.PersonID, HireDate: e.HireDate, Holds: e.Holds}
	for _, c := range e.Credentials {
		if in(c.RecordedOn, c.IssuedOn) {
			if c.Verified && c.VerifiedOn.After(day) {
				c.Verified = false
			}
			out.Credentials = append(out.Credentials, c)
		}
	}
	for _, p := range e.Performances {
		if in(p.RecordedOn, p.PerformedOn) {
			out.Performances = append(out.Performances, p)
		}
	}
	for _, k := range e.KnowledgeTests {
		if in(k.RecordedOn, k.TakenOn) {
			out.KnowledgeTests = append(out.KnowledgeTests, k)
		}
	}
	for _, h := range e.Hours {
		if in(h.RecordedOn, h.WorkedOn) {
			out.Hours = append(out.Hours, h)
		}
	}
	for _, so := range e.SignOffs {
		if !in(so.RecordedOn, so.SignedOn) {
			continue
		}
		if !so.RevokedFrom.IsZero() && !in(so.RevocationRecordedOn, so.RevokedFrom) {
			so.RevokedFrom, so.RevocationRecordedOn = Date{}, Date{}
		}
		out.SignOffs = append(out.SignOffs, so)
	}
	return out
}
