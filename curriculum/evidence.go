package curriculum

import "slices"

// Evidence is the plain summary of one person's records that the clearance
// engine reads. The assessments package builds it from storage; curriculum
// defines it so that it never needs to import assessments.
//
// Records are never edited: a correction is a new record (a performance
// that Supersedes another, a renewal that adds a credential record, a
// revocation that dates a sign-off's end).
//
// Two kinds of time: a record counts from the day it happened (performed,
// taken, worked, signed, effective), whenever it was recorded, so a late
// entry or a transcription of paper evidence counts for the days after it
// happened. What was known at an earlier instant is the caller's choice of
// records: to answer as Skillgate would have answered then, give only the
// records recorded by then (app/clearance does, for known_at). RecordedOn,
// the day a record was entered, only lets a decision say that a late entry
// changed its answer (ReasonLateEntry); zero reads as "recorded on the day
// it happened".
type Evidence struct {
	PersonID string
	// HireDate is the person's hire date in force on the day asked about
	// (credential grace periods count from it), not an enrollment's.
	HireDate       Date
	Credentials    []CredentialRecord
	Performances   []Performance
	KnowledgeTests []KnowledgeResult
	SignOffs       []SignOff
	// Hours are approved hours entries (pending and rejected ones are not
	// evidence); competencies with TrainingHours count them.
	Hours []HoursRecord
	// Holds are the periods the enrollment was on hold (leave, a
	// suspension), oldest first: on a day within one nothing is cleared.
	Holds []Hold
}

// Hold is one period an enrollment was on hold, in calendar days of the
// program's zone.
type Hold struct {
	// From is the first day on hold.
	From Date
	// Until is the first day active again; zero while still on hold.
	Until Date
}

// holdOn returns the hold in force on asOf, or nil.
func (e *Evidence) holdOn(asOf Date) *Hold {
	for i := range e.Holds {
		h := &e.Holds[i]
		if !h.From.After(asOf) && (h.Until.IsZero() || asOf.Before(h.Until)) {
			return h
		}
	}
	return nil
}

// CredentialRecord is one card or certificate as entered by HR.
type CredentialRecord struct {
	ID     string
	Type   string // a CredentialType code, e.g. BLS
	Number string
	// IssuedOn is the issue date; ExpiresOn the printed expiry, if any.
	// Without ExpiresOn the type's ValidityMonths apply.
	IssuedOn  Date
	ExpiresOn Date
	// Verified: HR checked it at the source, on VerifiedOn. A record
	// counts as verified on a day only from VerifiedOn on (a card verified
	// on 20 March was not verified on 14 March); a zero VerifiedOn with
	// Verified set means verified from the day it was recorded.
	Verified   bool
	VerifiedOn Date
	RecordedOn Date
}

// verifiedOn reports whether the record was verified on asOf.
func (c *CredentialRecord) verifiedOn(asOf Date) bool {
	return c.Verified && !c.VerifiedOn.After(asOf)
}

// Performance is one observed performance of a competency.
type Performance struct {
	ID          string
	Competency  string
	Variant     string // e.g. IM; empty for variant-less competencies
	PerformedOn Date
	// Successful is false when a critical step was missed or the observer
	// judged the attempt unsatisfactory.
	Successful bool
	RecordedOn Date
	// Supersedes is the ID of an earlier performance this record corrects.
	// The superseded record stops counting from the day the correction was
	// recorded, so earlier as-of evaluations keep their answer. (A boolean
	// "superseded" flag could not say from when.)
	Supersedes string
}

// KnowledgeResult is one attempt at a competency's knowledge test.
type KnowledgeResult struct {
	Competency string
	Score      float64 // percent, 0–100
	TakenOn    Date
	RecordedOn Date
}

// HoursKind says what an hours entry counts toward: on-the-job learning
// by work process, or related technical instruction by course.
type HoursKind string

// Hours kinds.
const (
	// OJLHours: on-the-job learning; the code is a work process's.
	OJLHours HoursKind = "ojl"
	// RTIHours: related technical instruction; the code is an RTI course's.
	RTIHours HoursKind = "rti"
)

// HoursRecord is one approved hours entry.
type HoursRecord struct {
	Kind HoursKind
	// Code is the work process's or RTI course's code.
	Code     string
	WorkedOn Date
	Minutes  int
	// RecordedOn is the day the entry was approved: before that it was a
	// claim, not evidence.
	RecordedOn Date
}

// SignOffKind distinguishes the first sign-off from re-verifications.
type SignOffKind string

// Sign-off kinds.
const (
	InitialSignOff        SignOffKind = "initial"
	ReverificationSignOff SignOffKind = "reverification"
)

// SignOff records that an authorised person signed a competency off.
type SignOff struct {
	ID         string
	Competency string
	Kind       SignOffKind
	SignedOn   Date
	RecordedOn Date
	// Covered lists the coverage item codes (CLIA elements, waived-testing
	// methods) the assessment behind the sign-off covered.
	Covered []string
	// RevokedFrom, when set, is the day from which the sign-off no longer
	// counts; RevocationRecordedOn is when the revocation was entered. A
	// revocation recorded after the as-of day is not yet known then.
	RevokedFrom          Date
	RevocationRecordedOn Date
	// Paper: a paper sign-off transcribed from historical records, not an
	// electronic signature; it counts only for a competency that allows
	// paper sign-offs (Competency.PaperSignOffs).
	Paper bool
}

// known reports whether a record of something that happened on happened
// counts on asOf: every record given counts from the day it happened.
func known(happened, asOf Date) bool { return !happened.After(asOf) }

// lateEntry reports whether a record of something that happened on happened was
// entered after asOf although it counts on asOf: a late entry.
func lateEntry(recorded, happened, asOf Date) bool {
	return recorded.After(asOf) && !happened.After(asOf)
}

// revocation returns the sign-off's revocation on asOf, as entered by the
// end of cut (zero: any): revoked from then, or a future effective date
// already on file (zero if none).
func (s *SignOff) revocation(asOf, cut Date) (revoked bool, future Date) {
	if s.RevokedFrom.IsZero() || !entered(s.RevocationRecordedOn, s.RevokedFrom, cut) {
		return false, Date{}
	}
	if s.RevokedFrom.After(asOf) {
		return false, s.RevokedFrom
	}
	return true, Date{}
}

// entered reports whether a record that happened on happened and was
// entered on recorded was on file by the end of cut (zero cut: always; a
// zero recorded reads as the day it happened).
func entered(recorded, happened, cut Date) bool {
	if cut.IsZero() {
		return true
	}
	if recorded.IsZero() {
		recorded = happened
	}
	return !recorded.After(cut)
}

// lateDays returns the distinct days, in order, on which records that
// count on asOf were entered after it.
func (e *Evidence) lateDays(asOf Date) []Date {
	var days []Date
	add := func(recorded, happened Date) {
		if lateEntry(recorded, happened, asOf) && !slices.Contains(days, recorded) {
			days = append(days, recorded)
		}
	}
	for i := range e.Credentials {
		c := &e.Credentials[i]
		add(c.RecordedOn, c.IssuedOn)
	}
	for i := range e.Performances {
		add(e.Performances[i].RecordedOn, e.Performances[i].PerformedOn)
	}
	for i := range e.KnowledgeTests {
		add(e.KnowledgeTests[i].RecordedOn, e.KnowledgeTests[i].TakenOn)
	}
	for i := range e.Hours {
		add(e.Hours[i].RecordedOn, e.Hours[i].WorkedOn)
	}
	for i := range e.SignOffs {
		so := &e.SignOffs[i]
		add(so.RecordedOn, so.SignedOn)
		if !so.RevokedFrom.IsZero() {
			add(so.RevocationRecordedOn, so.RevokedFrom)
		}
	}
	slices.SortFunc(days, func(a, b Date) int { return a.Compare(b) })
	return days
}
