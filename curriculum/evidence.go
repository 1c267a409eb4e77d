package curriculum

// Evidence is the plain summary of one person's records that the clearance
// engine reads. The assessments package builds it from storage; curriculum
// defines it so that it never needs to import assessments.
//
// Records are never edited: a correction is a new record (a performance
// that Supersedes another, a renewal that adds a credential record, a
// revocation that dates a sign-off's end). Every record carries the day it
// was recorded, so an evaluation "as of" a past day sees exactly what was on
// file that day. A zero RecordedOn is read as "recorded on the day it
// happened".
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
}

// known reports whether a record of something that happened on happened and
// was recorded on recorded is on file as of asOf.
func known(recorded, happened, asOf Date) bool {
	if happened.After(asOf) {
		return false
	}
	return recorded.IsZero() || !recorded.After(asOf)
}

// revocation returns the sign-off's revocation as known on asOf: revoked
// now, or a future effective date that is already on file (zero if none).
func (s *SignOff) revocation(asOf Date) (revoked bool, future Date) {
	if s.RevokedFrom.IsZero() {
		return false, Date{}
	}
	rec := s.RevocationRecordedOn
	if rec.IsZero() {
		rec = s.RevokedFrom
	}
	if rec.After(asOf) {
		return false, Date{}
	}
	if s.RevokedFrom.After(asOf) {
		return false, s.RevokedFrom
	}
	return true, Date{}
}
