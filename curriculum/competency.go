package curriculum

import (
	"regexp"
	"slices"
)

// codePattern is the shape of competency, task, credential-type and other
// codes: upper-case letters and digits in up to five hyphen-separated parts of up to 12 characters,
// starting with a letter, e.g. INJ, PHL-VENI, LAB-CLIA-MOD.
var codePattern = regexp.MustCompile(`^[A-Z][A-Z0-9]{0,11}(-[A-Z0-9]{1,12}){0,4}$`)

// ProfessionalCredential is a licence or certification that qualifies a
// person to observe, train or sign off an MA. People's accounts carry these
// too.
type ProfessionalCredential string

// Professional credentials. LPN includes California's LVN (the same licence
// under another name).
const (
	MD   ProfessionalCredential = "MD"
	DO   ProfessionalCredential = "DO"
	NP   ProfessionalCredential = "NP"
	PA   ProfessionalCredential = "PA"
	RN   ProfessionalCredential = "RN"
	LPN  ProfessionalCredential = "LPN"
	CMA  ProfessionalCredential = "CMA"
	RMA  ProfessionalCredential = "RMA"
	CCMA ProfessionalCredential = "CCMA"
)

// ProfessionalCredentials lists every professional credential, licensed
// clinicians first.
var ProfessionalCredentials = []ProfessionalCredential{MD, DO, NP, PA, RN, LPN, CMA, RMA, CCMA}

// Valid reports whether c is one of the known professional credentials.
func (c ProfessionalCredential) Valid() bool { return slices.Contains(ProfessionalCredentials, c) }

// Competency is a skill demonstrated by observed performances against a
// checklist and confirmed by a sign-off.
type Competency struct {
	// Code identifies the competency, e.g. PHL-VENI (see codePattern).
	Code        string `json:"code"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Domain      Domain `json:"domain"`

	// Checklist is the ordered list of steps an observer scores. Missing a
	// critical step makes the attempt unsuccessful.
	Checklist []ChecklistStep `json:"checklist"`
	// ChecklistVersion increases whenever the steps change, so a recorded
	// performance says which list it was scored against.
	ChecklistVersion int `json:"checklist_version,omitempty"`

	// Performances are the successful observed performances required before
	// sign-off: one entry without a variant, or one entry per variant
	// (injections: IM, SUBQ and ID, 10 each). Empty means none are required
	// (a knowledge-only competency such as HIPAA).
	Performances []PerformanceRequirement `json:"performances"`

	// ObservedBy and SignedOffBy say who may observe performances and who
	// may sign the competency off.
	ObservedBy  Authorization `json:"observed_by,omitzero"`
	SignedOffBy Authorization `json:"signed_off_by,omitzero"`

	// Prerequisites are competency codes that must be signed off and current
	// before this competency may be practised, even under direct supervision.
	Prerequisites []string `json:"prerequisites"`
	// IndependentPrerequisites are competency codes that must be signed off
	// and current before this competency's tasks are done independently,
	// but not for supervised practice.
	IndependentPrerequisites []string `json:"independent_prerequisites,omitempty"`

	// KnowledgeTest, when set, must be passed before sign-off.
	KnowledgeTest *KnowledgeTest `json:"knowledge_test,omitempty"`

	Reverification Reverification `json:"reverification,omitzero"`
	// Coverage, when set, is what every sign-off must cover to count.
	Coverage *Coverage `json:"coverage,omitempty"`
	// Recency, when set, keeps the competency current only while it is
	// performed successfully at least once every Recency.Months months.
	Recency *Recency `json:"recency,omitempty"`
	// TrainingHours, when set, are clock hours of training that must be
	// approved before the competency is current (16 CCR 1366.1: 10 hours
	// in venipuncture and skin puncture, 10 in injections and skin tests).
	TrainingHours *TrainingHours `json:"training_hours,omitempty"`
	// PaperSignOffs says whether a paper sign-off transcribed from a
	// clinic's historical records counts as this competency's sign-off:
	// PaperAllowed, or empty (the default) for electronic signatures only.
	// Transcriptions are kept either way; only the allowed ones count.
	PaperSignOffs string `json:"paper_sign_offs,omitempty"`
}

// PaperAllowed is the PaperSignOffs value that lets transcribed paper
// sign-offs count.
const PaperAllowed = "allowed"

// AllowsPaperSignOffs reports whether transcribed paper sign-offs count.
func (c *Competency) AllowsPaperSignOffs() bool { return c.PaperSignOffs == PaperAllowed }

// TrainingHours requires Hours clock hours of approved training logged
// against any of the named RTI courses and work processes. An hours entry
// counts on a day when the work was done on or before it and the entry was
// approved on or before it.
type TrainingHours struct {
	Hours int `json:"hours"`
	// RTICourses and WorkProcesses are codes of the program's RTI courses
	// and work processes whose approved hours count; at least one is named.
	RTICourses    []string `json:"rti_courses,omitempty"`
	WorkProcesses []string `json:"work_processes,omitempty"`
}

// ChecklistStep is one step of a skill checklist.
type ChecklistStep struct {
	Text string `json:"text"`
	// Critical steps cannot be missed: missing one fails the attempt.
	Critical bool `json:"critical,omitempty"`
}

// PerformanceRequirement is a number of successful observed performances,
// of one variant or, with Variant empty, of the competency as a whole.
type PerformanceRequirement struct {
	Variant string `json:"variant,omitempty"`
	// Title names the variant for people ("intramuscular"); optional.
	Title string `json:"title,omitempty"`
	Count int    `json:"count"`
}

// Authorization lists who may act: anyone holding one of the credentials,
// or one of the named preceptors (account ids).
type Authorization struct {
	Credentials []ProfessionalCredential `json:"credentials"`
	Preceptors  []string                 `json:"preceptors"`
}

// IsZero reports whether both lists are nil. (It is what encoding/json's
// omitzero calls; an empty but non-nil list is kept so JSON round-trips.)
func (a Authorization) IsZero() bool { return a.Credentials == nil && a.Preceptors == nil }

// empty reports whether nobody at all is authorised.
func (a Authorization) empty() bool { return len(a.Credentials) == 0 && len(a.Preceptors) == 0 }

// Allows reports whether a person holding any of creds, or with the given
// preceptor id, is authorised.
func (a Authorization) Allows(preceptorID string, creds ...ProfessionalCredential) bool {
	if preceptorID != "" && slices.Contains(a.Preceptors, preceptorID) {
		return true
	}
	for _, c := range creds {
		if slices.Contains(a.Credentials, c) {
			return true
		}
	}
	return false
}

// KnowledgeTest is a written test that must be passed before sign-off.
type KnowledgeTest struct {
	// PassMark is the lowest passing score in percent (1–100). A score
	// equal to the pass mark passes.
	PassMark int `json:"pass_mark"`
}

// ReverificationKind is how often a signed-off competency must be
// re-verified.
type ReverificationKind string

// Re-verification schedules.
const (
	// NoReverification: once signed off, the competency does not expire.
	NoReverification ReverificationKind = ""
	// EveryMonths: due Months months after the last sign-off; with
	// FirstMonths, the first cycle's re-verifications are due on those
	// offsets from the initial sign-off instead (see NextDue).
	EveryMonths ReverificationKind = "every-months"
	// CLIA is the schedule program files written before FirstMonths
	// existed use for CLIA: due 6 months after the initial sign-off, then
	// 12 months after each re-verification. It keeps that meaning; CLIA's
	// "twice in the first year, then yearly" is every-months 12 with
	// first_months [6, 12].
	CLIA ReverificationKind = "clia"
	// JointCommission: HR.01.06.01, at least every 3 years: due 36 months
	// after the last sign-off.
	JointCommission ReverificationKind = "joint-commission"
)

// Reverification is a competency's re-verification schedule.
type Reverification struct {
	Kind ReverificationKind `json:"kind,omitempty"`
	// Months is the interval for EveryMonths.
	Months int `json:"months,omitempty"`
	// FirstMonths, with EveryMonths, are the first cycle's due dates in
	// months after the initial sign-off, strictly increasing (CLIA: 6 and
	// 12); the repeating interval Months follows them.
	FirstMonths []int `json:"first_months,omitempty"`
	// DueWindowDays is how many days before the due date the competency
	// shows as "due soon". Due soon is a warning, not a block.
	DueWindowDays int `json:"due_window_days,omitempty"`
}

// IsZero reports whether no re-verification is required.
func (r Reverification) IsZero() bool {
	return r.Kind == NoReverification && r.Months == 0 && r.DueWindowDays == 0 && len(r.FirstMonths) == 0
}

// NextDue returns when the next re-verification is due, given the day of
// the initial sign-off and the day of the latest counting sign-off (the
// initial one itself when there is no re-verification after it); zero when
// the competency needs none. Every caller (the clearance engine, progress,
// reminders, the sign-off rules) computes due dates with it.
//
// With FirstMonths, the first cycle's dates are initial + FirstMonths[k].
// The next due date is the first of them that last has not reached: last
// is before that date's due window (DueWindowDays before it), so a
// re-verification signed while a date shows as due soon, or late, completes
// that date and every earlier one, and two re-verifications in a row do
// not skip one. After the last of them, each re-verification is due Months
// after the latest.
func (r Reverification) NextDue(initial, last Date) Date {
	switch r.Kind {
	case EveryMonths:
		for _, m := range r.FirstMonths {
			if due := initial.AddMonths(m); last.Before(due.AddDays(-r.DueWindowDays)) {
				return due
			}
		}
		return last.AddMonths(r.Months)
	case CLIA:
		if last == initial {
			return last.AddMonths(6)
		}
		return last.AddMonths(12)
	case JointCommission:
		return last.AddMonths(36)
	}
	return Date{}
}

// CoverageMode says how much of a coverage list a sign-off must cover.
type CoverageMode string

// Coverage modes.
const (
	// CoverAll: every item (CLIA non-waived: all six elements).
	CoverAll CoverageMode = "all"
	// CoverAny: at least Min items (waived testing: any 2 of 4 methods).
	CoverAny CoverageMode = "any"
)

// Coverage is what an assessment behind a sign-off must have covered.
type Coverage struct {
	Mode CoverageMode `json:"mode"`
	// Min is the number of items required in CoverAny mode.
	Min   int            `json:"min,omitempty"`
	Items []CoverageItem `json:"items"`
}

// CoverageItem is one element or method of assessment.
type CoverageItem struct {
	Code  string `json:"code"`
	Title string `json:"title"`
}

// Recency requires a successful performance at least every Months months.
type Recency struct {
	Months int `json:"months"`
}

// MaySignOff reports whether someone with the given preceptor id or
// credentials may sign off c.
func (c *Competency) MaySignOff(preceptorID string, creds ...ProfessionalCredential) bool {
	return c.SignedOffBy.Allows(preceptorID, creds...)
}

// MayObserve reports whether someone with the given preceptor id or
// credentials may observe and record a performance of c.
func (c *Competency) MayObserve(preceptorID string, creds ...ProfessionalCredential) bool {
	return c.ObservedBy.Allows(preceptorID, creds...)
}

// CLIAElements are the six elements of CLIA competency assessment for
// non-waived testing personnel (42 CFR 493.1451(b)(8)).
var CLIAElements = []CoverageItem{
	{Code: "DIRECT-OBSERVATION", Title: "direct observation of routine patient test performance"},
	{Code: "RESULT-REPORTING", Title: "monitoring the recording and reporting of test results"},
	{Code: "RECORDS-REVIEW", Title: "review of worksheets, quality control, proficiency testing and maintenance records"},
	{Code: "INSTRUMENT-CHECKS", Title: "direct observation of instrument maintenance and function checks"},
	{Code: "BLIND-SAMPLES", Title: "testing previously analysed specimens, internal blind samples or external proficiency samples"},
	{Code: "PROBLEM-SOLVING", Title: "assessment of problem-solving skills"},
}

// WaivedTestingMethods are the Joint Commission's four methods for assessing
// competence in waived testing; any two suffice.
var WaivedTestingMethods = []CoverageItem{
	{Code: "BLIND-SPECIMEN", Title: "performance of a test on a blind specimen"},
	{Code: "PERIODIC-OBSERVATION", Title: "periodic observation of routine work by a supervisor or qualified designee"},
	{Code: "QC-MONITORING", Title: "monitoring of the person's quality control performance"},
	{Code: "WRITTEN-TEST", Title: "a written test specific to the test assessed"},
}
