package assessments

import (
	"slices"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// EnrollmentStatus is where an apprentice stands in a program.
type EnrollmentStatus string

// Enrollment statuses.
const (
	// EnrollmentActive: training; evidence is recorded.
	EnrollmentActive EnrollmentStatus = "active"
	// EnrollmentOnHold: paused (leave, suspension); no new evidence until
	// it is active again, so nothing is recorded for days not worked.
	EnrollmentOnHold EnrollmentStatus = "on_hold"
	// EnrollmentCompleted: the apprenticeship is finished. The graduate MA
	// keeps competencies current, so re-verifications and new observations
	// are still recorded.
	EnrollmentCompleted EnrollmentStatus = "completed"
	// EnrollmentWithdrawn: left the program; final, nothing more is
	// recorded.
	EnrollmentWithdrawn EnrollmentStatus = "withdrawn"
)

// Valid reports whether s is one of the statuses.
func (s EnrollmentStatus) Valid() bool {
	switch s {
	case EnrollmentActive, EnrollmentOnHold, EnrollmentCompleted, EnrollmentWithdrawn:
		return true
	}
	return false
}

// Label is the status for people.
func (s EnrollmentStatus) Label() string {
	switch s {
	case EnrollmentActive:
		return "Active"
	case EnrollmentOnHold:
		return "On hold"
	case EnrollmentCompleted:
		return "Completed"
	case EnrollmentWithdrawn:
		return "Withdrawn"
	}
	return string(s)
}

// transitions lists the statuses each status may change to. Completed and
// withdrawn are final: a returning apprentice gets a new enrollment, so the
// old one's history stays as it was.
var transitions = map[EnrollmentStatus][]EnrollmentStatus{
	EnrollmentActive: {EnrollmentOnHold, EnrollmentCompleted, EnrollmentWithdrawn},
	EnrollmentOnHold: {EnrollmentActive, EnrollmentWithdrawn},
}

// Enrollment is an apprentice in one version of a program.
type Enrollment struct {
	ID string
	// ApprenticeID is the apprentice's person (account) id.
	ApprenticeID string
	// VersionID is the stored program version; Version is that version
	// compiled, attached by storage when it loads the enrollment (it is not
	// a column).
	VersionID string
	Version   *ProgramVersion
	// SiteID is the apprentice's home site; observations name their own.
	SiteID string
	// HireDate is what the enrollment was given; the clearance service
	// replaces it with the person's own hire date when HR has recorded one
	// (app/accounts), which is what starts credential grace periods (BLS
	// within 90 days of
	// hire); StartDate is the first day evidence may be dated.
	HireDate  curriculum.Date
	StartDate curriculum.Date
	// PreceptorIDs are the assigned preceptors. Assignment is for
	// rosters and notifications; who may observe or sign off is decided by
	// the competency's rules, because clinics share preceptors across
	// sites and shifts.
	PreceptorIDs []string
	// Status is the status now; History, when storage attaches it (it is
	// not a column), is every dated change of it, oldest first, so that the
	// status on an earlier day can be told (StatusOn).
	Status  EnrollmentStatus
	History []StatusChange
	// CreatedAt is when the enrollment was recorded (zero where storage
	// did not say): an answer as known before then has no enrollment.
	CreatedAt time.Time
	// IdempotencyKey is the key of the request that created the enrollment.
	IdempotencyKey string
	// RequestHash is the Fingerprint of that request.
	RequestHash string
	// WageStepsOn are the effective dates of the apprenticeship's approved
	// wage steps, attached by storage where evaluations are listed (it is
	// not a column): with the schedule's at_wage_steps, evaluations fall
	// due on them too (EvaluationSchedule.DueAfter).
	WageStepsOn []curriculum.Date
	// Began and MovedOn place the enrollment in its apprenticeship, which
	// continues across moves to newer program versions; storage attaches
	// them where evaluations are listed (they are not columns). Began is
	// the start date of the first enrollment this one was moved from (zero
	// when it was moved from none: the apprenticeship began on StartDate);
	// MovedOn the effective day of the move that superseded it (zero: not
	// moved on), after which its evaluations continue on the new one.
	Began, MovedOn curriculum.Date
}

// ApprenticeshipStart is the day the apprenticeship began: the first
// enrollment's start date when this one was moved from others (Began),
// its own start date otherwise. Periodic evaluations count from it.
func (e *Enrollment) ApprenticeshipStart() curriculum.Date {
	if !e.Began.IsZero() {
		return e.Began
	}
	return e.StartDate
}

// StatusChange is one change of an enrollment's status: to Status, at At.
type StatusChange struct {
	Status EnrollmentStatus
	At     time.Time
}

// initialStatus is the status before the first change in History. Changes
// store only the status changed to; the lifecycle tells the one before:
// only an enrollment on hold becomes active again, and every other change
// starts from active (an enrollment created on hold, by a move of one on
// hold, and then withdrawn is the one case read as active before; it was
// not cleared for anything either way until the hold's day is known).
func (e *Enrollment) initialStatus() EnrollmentStatus {
	switch {
	case len(e.History) == 0:
		return e.Status
	case e.History[0].Status == EnrollmentActive:
		return EnrollmentOnHold
	}
	return EnrollmentActive
}

// StatusOn returns the enrollment's status on day (at the end of it: a
// change counts from the calendar day it was made, in the program's zone)
// and the day it took that status (the start date if it had it from the
// start). Without History it is the current status throughout.
func (e *Enrollment) StatusOn(day curriculum.Date) (EnrollmentStatus, curriculum.Date) {
	st, since := e.initialStatus(), e.StartDate
	for _, c := range e.History {
		on := e.day(c.At)
		if on.After(day) {
			break
		}
		if c.Status != st {
			st, since = c.Status, on
		}
	}
	return st, since
}

// AsKnownAt returns the enrollment as it stood at t: the status changes
// recorded at or before t, and the status then. (The one before the first
// change is told from the lifecycle, as initialStatus does, so an
// enrollment withdrawn since reads as it was.)
func (e Enrollment) AsKnownAt(t time.Time) Enrollment {
	st := e.initialStatus()
	n := 0
	for n < len(e.History) && !e.History[n].At.After(t) {
		st = e.History[n].Status
		n++
	}
	if n < len(e.History) {
		e.History, e.Status = e.History[:n:n], st
	}
	return e
}

// Holds returns the periods the enrollment was on hold, as the clearance
// engine reads them (curriculum.Evidence.Holds).
func (e *Enrollment) Holds() []curriculum.Hold {
	var out []curriculum.Hold
	st := e.initialStatus()
	if st == EnrollmentOnHold {
		out = append(out, curriculum.Hold{From: e.StartDate})
	}
	for _, c := range e.History {
		on := e.day(c.At)
		switch {
		case c.Status == EnrollmentOnHold && st != EnrollmentOnHold:
			out = append(out, curriculum.Hold{From: on})
		case c.Status != EnrollmentOnHold && st == EnrollmentOnHold && len(out) > 0:
			out[len(out)-1].Until = on
		}
		st = c.Status
	}
	return out
}

// Validate checks a new or loaded enrollment. It returns nil or an *Error:
// ErrInvalidIdempotencyKey, ErrMissingField, ErrInvalidEnrollment or
// ErrVersionNotPublished.
func (e *Enrollment) Validate() error {
	if err := ValidateIdempotencyKey(e.IdempotencyKey); err != nil {
		return err
	}
	switch {
	case e.ApprenticeID == "":
		return fail(ErrMissingField, "apprentice_id", "Choose the apprentice to enroll.")
	case e.VersionID == "":
		return fail(ErrMissingField, "version_id", "Choose the program version to enroll the apprentice in.")
	case e.SiteID == "":
		return fail(ErrMissingField, "site_id", "Choose the apprentice's site.")
	case e.HireDate.IsZero():
		return fail(ErrMissingField, "hire_date", "Enter the apprentice's hire date; credential grace periods count from it.")
	case e.StartDate.IsZero():
		return fail(ErrMissingField, "start_date", "Enter the date the apprenticeship starts.")
	}
	if e.Version == nil || e.Version.ID != e.VersionID {
		return fail(ErrInvalidEnrollment, "version_id", "The program version could not be loaded. Reload the page and try again.")
	}
	if !e.Version.Published() {
		return fail(ErrVersionNotPublished, "version_id",
			"Version %d of %s is a draft. Publish it before enrolling apprentices, so that the rules they are cleared against cannot change.",
			e.Version.Rules.Version().Number, e.Version.Program().Title)
	}
	if e.StartDate.Before(e.HireDate) {
		return fail(ErrInvalidEnrollment, "start_date",
			"The apprenticeship cannot start (%s) before the hire date (%s): on-the-job learning is paid work.", e.StartDate, e.HireDate)
	}
	if !e.Status.Valid() {
		return fail(ErrInvalidEnrollment, "status", "The status must be active, on hold, completed or withdrawn.")
	}
	for i, id := range e.PreceptorIDs {
		switch {
		case id == "":
			return fail(ErrInvalidEnrollment, "preceptor_ids", "A preceptor in the list is missing; remove the empty entry.")
		case id == e.ApprenticeID:
			return fail(ErrInvalidEnrollment, "preceptor_ids", "An apprentice cannot be their own preceptor.")
		case slices.Contains(e.PreceptorIDs[:i], id):
			return fail(ErrInvalidEnrollment, "preceptor_ids", "A preceptor is listed twice.")
		}
	}
	return nil
}

// ChangeStatus moves the enrollment to status to. It returns
// ErrIllegalTransition (and leaves e unchanged) for a change the lifecycle
// does not allow: completed and withdrawn are final, and only an active
// enrollment can be completed; and ErrCompletionNeedsSignature for
// completing an active one, which only Complete does, after
// CheckCompletion (the director's signature once every requirement is met).
func (e *Enrollment) ChangeStatus(to EnrollmentStatus) error {
	if to == EnrollmentCompleted && e.Status == EnrollmentActive {
		return fail(ErrCompletionNeedsSignature, "status",
			"Completing the apprenticeship is signed by a program director once every requirement is met: use Complete the apprenticeship on the enrollment's page. Nothing was changed.")
	}
	if !slices.Contains(transitions[e.Status], to) {
		return fail(ErrIllegalTransition, "status", "An enrollment that is %s cannot be changed to %s.",
			lower(e.Status.Label()), lower(to.Label()))
	}
	e.Status = to
	return nil
}

// Complete moves an active enrollment to completed: the status change a
// completion signature (CheckCompletion) records. It returns
// ErrIllegalTransition for any other status.
func (e *Enrollment) Complete() error {
	if e.Status != EnrollmentActive {
		return fail(ErrIllegalTransition, "status", "Only an active enrollment can be completed; this one is %s.", lower(e.Status.Label()))
	}
	e.Status = EnrollmentCompleted
	return nil
}

// Management is what a program director does to an enrollment.
type Management uint8

// The managements of an enrollment, none of which its apprentice may do
// (a person may be both director and apprentice).
const (
	Enrolling Management = iota + 1
	Moving
	ChangingStatus
	Revoking
	Completing
)

var ownEnrollment = map[Management]string{
	Enrolling:      "You cannot enroll yourself; another program director must enroll you.",
	Moving:         "You cannot move your own enrollment to another program version; another program director must.",
	ChangingStatus: "You cannot change the status of your own enrollment; another program director must.",
	Revoking:       "You cannot revoke a sign-off on your own enrollment; another program director must.",
	Completing:     "You cannot complete your own apprenticeship; another program director must sign its completion.",
}

// CheckManager refuses a management of e by its own apprentice: nobody
// enrolls, moves, changes the status of or revokes on their own
// enrollment, as nobody observes, tests or signs off themselves (those
// rules are in NewObservation, NewTestResult, CheckSignOff and the
// reviews). It returns nil or an *Error with code ErrOwnEnrollment.
func (e *Enrollment) CheckManager(actorID string, m Management) error {
	if actorID == "" || actorID != e.ApprenticeID {
		return nil
	}
	msg, ok := ownEnrollment[m]
	if !ok {
		msg = ErrOwnEnrollment.Message
	}
	return fail(ErrOwnEnrollment, "", "%s", msg)
}

// AcceptsEvidence reports whether new evidence may be recorded: active and
// completed enrollments accept it, on-hold and withdrawn ones do not.
func (e *Enrollment) AcceptsEvidence() bool {
	return e.Status == EnrollmentActive || e.Status == EnrollmentCompleted
}

// ready checks what every evidence constructor needs from the enrollment:
// it was loaded with its version and accepts evidence.
func (e *Enrollment) ready() error {
	if e == nil || e.Version == nil {
		return fail(ErrInvalidEnrollment, "enrollment_id", "The enrollment could not be loaded. Reload the page and try again.")
	}
	if !e.AcceptsEvidence() {
		return fail(ErrEnrollmentInactive, "enrollment_id",
			"This enrollment is %s, so nothing new can be recorded for it.", lower(e.Status.Label()))
	}
	return nil
}

// day is the calendar day of the instant t in the zone of the
// enrollment's program (the organisation's, unless the program names its
// own): every date shown to a person is a day there, never a UTC day.
func (e *Enrollment) day(t time.Time) curriculum.Date {
	if e == nil || e.Version == nil {
		return curriculum.DateOf(t, nil)
	}
	return e.Version.Day(t)
}

// competency looks up code in the enrollment's version.
func (e *Enrollment) competency(code, field string) (*curriculum.Competency, error) {
	if code == "" {
		return nil, fail(ErrMissingField, field, "Choose a competency.")
	}
	c := e.Version.Competency(code)
	if c == nil {
		return nil, fail(ErrUnknownCompetency, field,
			"%q is not a competency of %s version %d.", code, e.Version.Program().Title, e.Version.Rules.Version().Number)
	}
	return c, nil
}
