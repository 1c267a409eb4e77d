package curriculum

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Status is a person's clearance level for a task.
type Status uint8

// Clearance levels, lowest first. The levels a program speaks of (not
// cleared, direct, indirect, independent) are these four; their machine
// names are the API's.
const (
	NotCleared Status = iota
	// DirectSupervision: may do the task only with a qualified person
	// present and watching.
	DirectSupervision
	// IndirectSupervision: may do the task with a qualified person on the
	// premises and available, not watching; only tasks with an indirect
	// level (Task.IndirectAfter) have it.
	IndirectSupervision
	// Cleared: may do the task independently.
	Cleared
)

var statusNames = [...]string{"not_cleared", "direct_supervision", "indirect_supervision", "cleared"}

// String returns the machine name: not_cleared, direct_supervision,
// indirect_supervision, cleared.
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// Label returns the status for people: "Not cleared", "Direct supervision
// only", "Cleared (independent)".
func (s Status) Label() string {
	switch s {
	case NotCleared:
		return "Not cleared"
	case DirectSupervision:
		return "Direct supervision only"
	case IndirectSupervision:
		return "Indirect supervision"
	case Cleared:
		return "Cleared (independent)"
	}
	return s.String()
}

// MarshalText encodes the machine name.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes the machine name.
func (s *Status) UnmarshalText(b []byte) error {
	for i, n := range statusNames {
		if n == string(b) {
			*s = Status(i)
			return nil
		}
	}
	return fmt.Errorf("unknown clearance status %q", b)
}

// Effect is what a reason stands in the way of.
type Effect uint8

// Effects.
const (
	// Info does not block anything (due soon, expiring, in grace).
	Info Effect = iota
	// BlocksIndependent keeps the person from independent clearance.
	BlocksIndependent
	// BlocksIndirect keeps the person from indirect supervision (and
	// independent clearance), on tasks that have that level.
	BlocksIndirect
	// BlocksSupervised keeps the person from even supervised practice (and
	// so from every higher level too).
	BlocksSupervised
)

var effectNames = [...]string{"info", "blocks_independent", "blocks_indirect", "blocks_supervised"}

func (e Effect) String() string {
	if int(e) < len(effectNames) {
		return effectNames[e]
	}
	return "Effect(" + strconv.Itoa(int(e)) + ")"
}

// MarshalText encodes the machine name.
func (e Effect) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// ReasonCode is the machine-readable kind of a reason.
type ReasonCode uint8

// Reason codes. Their String forms (credential_expired, count_short, ...)
// are stable API values.
const (
	ReasonCredentialMissing ReasonCode = iota + 1
	ReasonCredentialInGrace
	ReasonCredentialExpired
	ReasonCredentialExpiring
	ReasonCredentialUnverified
	ReasonCountShort
	ReasonKnowledgeMissing
	ReasonKnowledgeBelowPassMark
	ReasonSignOffMissing
	ReasonSignOffRevoked
	ReasonCoverageIncomplete
	ReasonReverificationOverdue
	ReasonReverificationDueSoon
	ReasonRecencyLapsed
	ReasonPrerequisiteNotCurrent
	ReasonTrainingNotStarted
	// ReasonOnHold: the enrollment is on hold (Date: since when); nothing
	// is cleared until it is active again.
	ReasonOnHold
	// ReasonTrainingHoursShort: fewer approved clock hours of training
	// than the competency requires (Have and Need in minutes).
	ReasonTrainingHoursShort
	// ReasonReverificationScheduled: current, and the next re-verification
	// of a schedule with a first cycle (CLIA) is due on Date; said because
	// such dates are not one plain interval apart.
	ReasonReverificationScheduled
	// ReasonDirectCountShort, ReasonIndirectCountShort and
	// ReasonIndependentCountShort: fewer successful observed performances
	// of a task competency (Have) than the task asks (Need) for direct
	// supervision, indirect supervision or independent practice.
	ReasonDirectCountShort
	ReasonIndirectCountShort
	ReasonIndependentCountShort
	// ReasonLateEntry (Info): records entered after the day asked about
	// changed the answer; Date is the day the answer became what it is
	// (the entry's day, in the program's zone) and Have the status before
	// it and Need the status now (Statuses).
	ReasonLateEntry
)

var reasonNames = [...]string{
	ReasonCredentialMissing:       "credential_missing",
	ReasonCredentialInGrace:       "credential_in_grace",
	ReasonCredentialExpired:       "credential_expired",
	ReasonCredentialExpiring:      "credential_expiring",
	ReasonCredentialUnverified:    "credential_unverified",
	ReasonCountShort:              "count_short",
	ReasonKnowledgeMissing:        "knowledge_test_missing",
	ReasonKnowledgeBelowPassMark:  "knowledge_test_below_pass_mark",
	ReasonSignOffMissing:          "signoff_missing",
	ReasonSignOffRevoked:          "signoff_revoked",
	ReasonCoverageIncomplete:      "coverage_incomplete",
	ReasonReverificationOverdue:   "reverification_overdue",
	ReasonReverificationDueSoon:   "reverification_due_soon",
	ReasonRecencyLapsed:           "recency_lapsed",
	ReasonPrerequisiteNotCurrent:  "prerequisite_not_current",
	ReasonTrainingNotStarted:      "training_not_started",
	ReasonOnHold:                  "enrollment_on_hold",
	ReasonTrainingHoursShort:      "training_hours_short",
	ReasonReverificationScheduled: "reverification_scheduled",
	ReasonDirectCountShort:        "direct_count_short",
	ReasonIndirectCountShort:      "indirect_count_short",
	ReasonIndependentCountShort:   "independent_count_short",
	ReasonLateEntry:               "late_entry",
}

func (c ReasonCode) String() string {
	if int(c) < len(reasonNames) && reasonNames[c] != "" {
		return reasonNames[c]
	}
	return "ReasonCode(" + strconv.Itoa(int(c)) + ")"
}

// MarshalText encodes the machine name.
func (c ReasonCode) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// Reason is one fact behind a decision. It is kept small and nearly
// pointer-free because an organisation's evaluation produces millions of
// them; names and text are produced on demand by the methods.
type Reason struct {
	Code   ReasonCode
	Effect Effect
	// variant is 1 + an index into about.variants; 0 means none.
	variant uint8
	// Date is the relevant day: expiry, grace end, due date, revocation,
	// last performance, sign-off date.
	Date Date
	// Have and Need are counts (performances, days left, methods covered)
	// or, for knowledge tests, Need is the pass mark.
	Have, Need int
	// Score is the best knowledge-test score, in percent.
	Score float64
	// missing is a bit set over about.coverage: the items a sign-off did
	// not cover (validation caps coverage lists at 64 items).
	missing uint64

	about *subject
}

// subject is the competency or credential type a reason is about, with the
// names the reason text needs. Compile builds one per competency and
// credential type.
type subject struct {
	code       string
	credential bool // a credential type rather than a competency
	title      string
	signers    string // "an MD, DO, NP, PA, RN or LPN"
	variants   []string
	coverage   []string // coverage item titles
	training   string   // the courses and work processes training hours count from
	schedule   string   // a re-verification schedule with a first cycle, in words
}

// Competency returns the code of the competency the reason is about, or "".
func (r *Reason) Competency() string {
	if r.about == nil || r.about.credential {
		return ""
	}
	return r.about.code
}

// Credential returns the code of the credential type the reason is about,
// or "".
func (r *Reason) Credential() string {
	if r.about == nil || !r.about.credential {
		return ""
	}
	return r.about.code
}

// Variant returns the performance variant (e.g. IM) a count is short of, or
// "".
func (r *Reason) Variant() string {
	if r.about == nil || r.variant == 0 || int(r.variant) > len(r.about.variants) {
		return ""
	}
	return r.about.variants[r.variant-1]
}

// Missing lists the coverage items (elements or methods) a sign-off did not
// cover.
func (r *Reason) Missing() []string {
	if r.missing == 0 || r.about == nil {
		return nil
	}
	var out []string
	for i, t := range r.about.coverage {
		if r.missing&(1<<i) != 0 {
			out = append(out, t)
		}
	}
	return out
}

func (r *Reason) title() string {
	if r.about == nil {
		// Reasons about the enrollment as a whole (on hold) name no
		// competency or credential.
		return "?"
	}
	if r.about.title != "" {
		return r.about.title
	}
	return r.about.code
}

// Message explains the reason in plain language, e.g. "BLS expired
// 2026-10-31" or "Venipuncture: 6 of 10 observed performances". A
// credential that only independent practice needs says so.
func (r *Reason) Message() string {
	m := r.message()
	switch r.Code {
	case ReasonCredentialMissing, ReasonCredentialExpired, ReasonCredentialUnverified:
		if r.Effect == BlocksIndependent {
			m += " (needed for independent practice)"
		}
	}
	return m
}

func (r *Reason) message() string {
	t := r.title()
	switch r.Code {
	case ReasonCredentialMissing:
		if !r.Date.IsZero() {
			return fmt.Sprintf("%s missing (the grace period after hire ended %s)", t, r.Date)
		}
		return t + " missing"
	case ReasonCredentialInGrace:
		return fmt.Sprintf("%s missing, within grace until %s", t, r.Date)
	case ReasonCredentialExpired:
		return fmt.Sprintf("%s expired %s", t, r.Date)
	case ReasonCredentialExpiring:
		return fmt.Sprintf("%s expires %s (%s)", t, r.Date, inDays(r.Have))
	case ReasonCredentialUnverified:
		return t + " is on file but not verified yet"
	case ReasonCountShort:
		if v := r.Variant(); v != "" {
			return fmt.Sprintf("%s (%s): %d of %d observed performances", t, v, r.Have, r.Need)
		}
		return fmt.Sprintf("%s: %d of %d observed performances", t, r.Have, r.Need)
	case ReasonKnowledgeMissing:
		return fmt.Sprintf("%s: knowledge test not taken (pass mark %d%%)", t, r.Need)
	case ReasonKnowledgeBelowPassMark:
		return fmt.Sprintf("%s: best knowledge test score %s%% is below the pass mark of %d%%", t, formatScore(r.Score), r.Need)
	case ReasonSignOffMissing:
		return t + ": not signed off"
	case ReasonSignOffRevoked:
		return fmt.Sprintf("%s: sign-off revoked from %s", t, r.Date)
	case ReasonCoverageIncomplete:
		if r.Need > 0 {
			return fmt.Sprintf("%s: the sign-off of %s covers %d of the %d required assessment methods (not covered: %s)",
				t, r.Date, r.Have, r.Need, strings.Join(r.Missing(), "; "))
		}
		return fmt.Sprintf("%s: the sign-off of %s does not cover: %s", t, r.Date, strings.Join(r.Missing(), "; "))
	case ReasonReverificationOverdue:
		return fmt.Sprintf("%s: re-verification was due %s, overdue", t, r.Date)
	case ReasonReverificationDueSoon:
		return fmt.Sprintf("%s: re-verification due %s (%s)", t, r.Date, inDays(r.Have))
	case ReasonRecencyLapsed:
		return fmt.Sprintf("%s: last successful performance %s; it must be performed at least every %d months", t, r.Date, r.Need)
	case ReasonPrerequisiteNotCurrent:
		if r.Effect == BlocksIndependent {
			return fmt.Sprintf("Prerequisite %s is not signed off and current (needed for independent practice)", t)
		}
		return fmt.Sprintf("Prerequisite %s is not signed off and current", t)
	case ReasonTrainingNotStarted:
		return fmt.Sprintf("%s: training not started (no observed performance on file)", t)
	case ReasonOnHold:
		return fmt.Sprintf("The enrollment is on hold since %s: nothing is cleared while it is on hold", r.Date)
	case ReasonLateEntry:
		verb := "Counted from"
		if r.Have > r.Need {
			verb = "Changed by"
		}
		return fmt.Sprintf("%s a record entered on %s, after this day (before it was entered the answer was: %s)", verb, r.Date, Status(r.Have).Label())
	case ReasonTrainingHoursShort:
		return fmt.Sprintf("%s: %s of %s clock hours of training approved (%s)", t, clockHours(r.Have), clockHours(r.Need), r.trainingSources())
	case ReasonDirectCountShort:
		return fmt.Sprintf("%s: %d of %d successful observed performances before direct supervision", t, r.Have, r.Need)
	case ReasonIndirectCountShort:
		return fmt.Sprintf("%s: %d of %d successful observed performances for indirect supervision", t, r.Have, r.Need)
	case ReasonIndependentCountShort:
		return fmt.Sprintf("%s: %d of %d successful observed performances for independent practice", t, r.Have, r.Need)
	case ReasonReverificationScheduled:
		if r.about != nil && r.about.schedule != "" {
			return fmt.Sprintf("%s: next re-verification due %s (%s)", t, r.Date, r.about.schedule)
		}
		return fmt.Sprintf("%s: next re-verification due %s", t, r.Date)
	}
	return r.Code.String()
}

// Step says what to do about a blocking reason, e.g. "Complete 4 more
// successful observed performances of Venipuncture". It is empty for
// informational reasons.
func (r *Reason) Step() string {
	t := r.title()
	signers := "an authorised signer"
	if r.about != nil && r.about.signers != "" {
		signers = r.about.signers
	}
	switch r.Code {
	case ReasonCredentialMissing:
		return "Obtain " + t + " and have HR record and verify it"
	case ReasonCredentialExpired:
		return "Renew " + t + " and have HR record and verify the new card"
	case ReasonCredentialUnverified:
		return "Have HR verify the " + t + " record"
	case ReasonCountShort:
		what := t
		if v := r.Variant(); v != "" {
			what += " (" + v + ")"
		}
		n := r.Need - r.Have
		if n == 1 {
			return "Complete 1 more successful observed performance of " + what
		}
		return fmt.Sprintf("Complete %d more successful observed performances of %s", n, what)
	case ReasonKnowledgeMissing, ReasonKnowledgeBelowPassMark:
		return fmt.Sprintf("Pass the %s knowledge test (%d%% or more)", t, r.Need)
	case ReasonSignOffMissing, ReasonSignOffRevoked:
		return fmt.Sprintf("Get %s signed off by %s", t, signers)
	case ReasonCoverageIncomplete:
		return fmt.Sprintf("Get a %s sign-off from %s whose assessment also covers: %s", t, signers, strings.Join(r.Missing(), "; "))
	case ReasonReverificationOverdue:
		return fmt.Sprintf("Complete the %s re-verification with %s", t, signers)
	case ReasonRecencyLapsed:
		return fmt.Sprintf("Perform %s successfully under observation", t)
	case ReasonPrerequisiteNotCurrent:
		return fmt.Sprintf("Get prerequisite %s signed off and current first", t)
	case ReasonTrainingNotStarted:
		return fmt.Sprintf("Start training in %s: perform it once under observation", t)
	case ReasonOnHold:
		return "Have a program director make the enrollment active again"
	case ReasonDirectCountShort:
		return morePerformances(r.Need-r.Have, t, "to practise under direct supervision")
	case ReasonIndirectCountShort:
		return morePerformances(r.Need-r.Have, t, "to move to indirect supervision")
	case ReasonIndependentCountShort:
		return morePerformances(r.Need-r.Have, t, "to practise independently")
	case ReasonTrainingHoursShort:
		return fmt.Sprintf("Complete %s more clock hours of training for %s (%s) and have them approved", clockHours(r.Need-r.Have), t, r.trainingSources())
	}
	return ""
}

// HasStep reports whether Step says something, without building the
// text: for every reason but the informational ones (in grace, expiring,
// re-verification due soon or scheduled). A ranking of thousands of
// people by steps left counts them this way and writes only the steps it
// shows.
func (r *Reason) HasStep() bool {
	switch r.Code {
	case ReasonCredentialInGrace, ReasonCredentialExpiring, ReasonReverificationDueSoon, ReasonReverificationScheduled, ReasonLateEntry:
		return false
	}
	return int(r.Code) > 0 && int(r.Code) < len(reasonNames)
}

// morePerformances is the step "Complete 4 more successful observed
// performances of Venipuncture to move to indirect supervision".
func morePerformances(n int, what, purpose string) string {
	if n == 1 {
		return "Complete 1 more successful observed performance of " + what + " " + purpose
	}
	return fmt.Sprintf("Complete %d more successful observed performances of %s %s", n, what, purpose)
}

func (r *Reason) trainingSources() string {
	if r.about == nil || r.about.training == "" {
		return "the named courses"
	}
	return r.about.training
}

// clockHours formats minutes as hours without trailing zeros: "10", "7.5",
// "2.25".
func clockHours(minutes int) string {
	s := strconv.FormatFloat(float64(minutes)/60, 'f', 2, 64)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

func inDays(n int) string {
	switch n {
	case 0:
		return "today"
	case 1:
		return "tomorrow"
	}
	return "in " + strconv.Itoa(n) + " days"
}

func formatScore(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// MarshalJSON adds the plain-language message and step to the machine
// fields, for the API.
func (r Reason) MarshalJSON() ([]byte, error) { return json.Marshal(r.JSON()) }

// ReasonJSON is a Reason as the API shows it (Reason.MarshalJSON writes
// it). Its fields are plain, so encoding/json writes it without calling a
// MarshalJSON and re-checking what it returned.
type ReasonJSON struct {
	Code       ReasonCode `json:"code"`
	Effect     Effect     `json:"effect"`
	Competency string     `json:"competency,omitempty"`
	Credential string     `json:"credential,omitempty"`
	Variant    string     `json:"variant,omitempty"`
	Date       Date       `json:"date,omitzero"`
	Message    string     `json:"message"`
	Step       string     `json:"step,omitempty"`
	Missing    []string   `json:"missing,omitempty"`
}

// JSON returns r as the API shows it.
func (r Reason) JSON() ReasonJSON {
	return ReasonJSON{r.Code, r.Effect, r.Competency(), r.Credential(), r.Variant(), r.Date, r.Message(), r.Step(), r.Missing()}
}

// Decision is a person's clearance for one task on one day.
type Decision struct {
	Task   string
	AsOf   Date
	Status Status
	// Reasons lists every fact behind the status: blocking reasons first by
	// kind (credentials, prerequisites, competencies), and warnings.
	Reasons []Reason
	// LapsesOn is the first day on which the status drops if nothing new is
	// recorded; zero if it never does (or the person is not cleared at all).
	// See Rules.Evaluate for exactly what counts.
	LapsesOn Date
	// Supervised reports whether the task has a direct-supervision level at
	// all (its rule is not "never").
	Supervised bool
	// Indirect reports whether the task has an indirect-supervision level
	// (Task.IndirectAfter).
	Indirect bool
}

// Next returns the level above the current status, and false when the
// person is already cleared.
func (d *Decision) Next() (Status, bool) {
	switch {
	case d.Status == Cleared:
		return Cleared, false
	case d.Status == NotCleared && d.Supervised:
		return DirectSupervision, true
	case d.Status == DirectSupervision && d.Indirect:
		return IndirectSupervision, true
	}
	return Cleared, true
}

// NextSteps lists, in plain language, what remains to be done to reach the
// next level (empty when cleared).
func (d *Decision) NextSteps() []string {
	next, ok := d.Next()
	if !ok {
		return nil
	}
	min := BlocksIndependent
	switch next {
	case DirectSupervision:
		min = BlocksSupervised
	case IndirectSupervision:
		min = BlocksIndirect
	}
	var steps []string
	for i := range d.Reasons {
		if d.Reasons[i].Effect >= min {
			if s := d.Reasons[i].Step(); s != "" {
				steps = append(steps, s)
			}
		}
	}
	return steps
}

// Messages returns the plain-language text of every reason.
func (d *Decision) Messages() []string {
	out := make([]string, len(d.Reasons))
	for i := range d.Reasons {
		out[i] = d.Reasons[i].Message()
	}
	return out
}

// MarshalJSON includes the next steps for the API.
func (d Decision) MarshalJSON() ([]byte, error) { return json.Marshal(d.JSON()) }

// DecisionJSON is a Decision as the API shows it (Decision.MarshalJSON
// writes it). A site's matrix is 2,500 decisions and some 10,000 reasons:
// encoded through MarshalJSON methods, encoding/json re-reads and compacts
// each one's output, which took most of the matrix's time; as plain
// structs they are written once.
type DecisionJSON struct {
	Task      string       `json:"task"`
	AsOf      Date         `json:"as_of"`
	Status    Status       `json:"status"`
	Reasons   []ReasonJSON `json:"reasons"`
	NextSteps []string     `json:"next_steps"`
	LapsesOn  Date         `json:"lapses_on,omitzero"`
}

// JSON returns d as the API shows it.
func (d Decision) JSON() DecisionJSON {
	reasons := make([]ReasonJSON, len(d.Reasons))
	for i := range d.Reasons {
		reasons[i] = d.Reasons[i].JSON()
	}
	steps := d.NextSteps()
	if steps == nil {
		steps = []string{}
	}
	return DecisionJSON{d.Task, d.AsOf, d.Status, reasons, steps, d.LapsesOn}
}

// DecisionsJSON is JSON for a list of decisions.
func DecisionsJSON(ds []Decision) []DecisionJSON {
	out := make([]DecisionJSON, len(ds))
	for i := range ds {
		out[i] = ds[i].JSON()
	}
	return out
}
