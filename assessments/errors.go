package assessments

import (
	"errors"
	"fmt"
)

// Kind groups error codes by what the caller can do about them, so that the
// HTTP layer maps kinds (not dozens of codes) to statuses in one table.
type Kind uint8

// Error kinds.
const (
	// KindInvalid: the request itself is wrong; fix the input (HTTP 422).
	KindInvalid Kind = iota + 1
	// KindForbidden: this person may not do this (HTTP 403).
	KindForbidden
	// KindConflict: the request is well formed, but the records as they
	// stand do not allow it yet or any more (HTTP 409).
	KindConflict
	// KindIntegrity: stored records do not match their signature; something
	// changed them outside the application (HTTP 500, and alert).
	KindIntegrity
)

var kindNames = [...]string{KindInvalid: "invalid", KindForbidden: "forbidden", KindConflict: "conflict", KindIntegrity: "integrity"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Code is the stable, machine-readable name of an error, e.g.
// "self_signoff". Codes are API values: never rename one.
type Code string

// Error is the one error type of this package's rules. Message is written
// for the person who sees it and is safe to show as is; Field, when set,
// names the request field it is about (for example "steps[3]"), so a form
// can show the message beside the field.
type Error struct {
	Code    Code
	Kind    Kind
	Field   string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Is reports whether target is an *Error with the same Code, so that
// errors.Is(err, ErrSelfSignOff) matches however the message was worded.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// ErrorCode returns the Code of the *Error in err's chain, or "" if there is
// none.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func sentinel(code Code, kind Kind, msg string) *Error {
	return &Error{Code: code, Kind: kind, Message: msg}
}

// fail returns a new *Error with s's code and kind and a specific message.
func fail(s *Error, field, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Code: s.Code, Kind: s.Kind, Field: field, Message: msg}
}

// The sentinels. Functions return *Error values with these codes and more
// specific messages; compare with errors.Is.
var (
	// Input.
	ErrInvalidIdempotencyKey = sentinel("invalid_idempotency_key", KindInvalid, "The request key must be 8 to 128 letters, digits, hyphens or underscores.")
	ErrMissingField          = sentinel("missing_field", KindInvalid, "A required field is missing.")
	ErrTextTooLong           = sentinel("text_too_long", KindInvalid, "The text is too long.")
	ErrInvalidText           = sentinel("invalid_text", KindInvalid, "The text contains characters that cannot be stored.")
	ErrFutureDate            = sentinel("future_date", KindInvalid, "The date is in the future.")
	ErrBeforeStart           = sentinel("before_enrollment_start", KindInvalid, "The date is before the apprentice's enrollment started.")

	// Enrollments.
	ErrInvalidEnrollment   = sentinel("invalid_enrollment", KindInvalid, "The enrollment is incomplete.")
	ErrVersionNotPublished = sentinel("version_not_published", KindInvalid, "Apprentices can only be enrolled in a published program version.")
	ErrIllegalTransition   = sentinel("illegal_transition", KindConflict, "The enrollment cannot change to that status.")
	ErrEnrollmentInactive  = sentinel("enrollment_inactive", KindConflict, "The enrollment is not active, so no new evidence can be recorded.")
	ErrNotYourEnrollment   = sentinel("not_your_enrollment", KindForbidden, "You can only log work for your own enrollment.")

	// Competencies and checklists.
	ErrUnknownCompetency = sentinel("unknown_competency", KindInvalid, "The competency is not part of this program version.")
	ErrInvalidVariant    = sentinel("invalid_variant", KindInvalid, "The variant is not one of the competency's variants.")
	ErrNothingToPerform  = sentinel("nothing_to_perform", KindInvalid, "This competency has no observed performances; it is assessed by knowledge test and sign-off.")
	ErrChecklistVersion  = sentinel("checklist_version_mismatch", KindConflict, "The checklist has changed since this form was opened.")
	ErrStepMissing       = sentinel("step_missing", KindInvalid, "Every checklist step must be marked met or not met.")
	ErrStepRepeated      = sentinel("step_repeated", KindInvalid, "A checklist step was answered more than once.")
	ErrStepUnknown       = sentinel("step_unknown", KindInvalid, "The checklist has no such step.")

	// Observations and corrections.
	ErrObserverNotAllowed = sentinel("observer_not_allowed", KindForbidden, "You are not authorised to observe this competency.")
	ErrSelfObservation    = sentinel("self_observation", KindForbidden, "You cannot record an observation of yourself.")
	ErrReasonRequired     = sentinel("reason_required", KindInvalid, "A reason is required.")
	ErrSupersedeNotFound  = sentinel("supersede_not_found", KindInvalid, "The record to correct was not found.")
	ErrSupersedeMismatch  = sentinel("supersede_mismatch", KindInvalid, "A correction must be for the same apprentice and competency as the record it corrects.")
	ErrAlreadySuperseded  = sentinel("already_superseded", KindConflict, "That record has already been corrected; correct the newest version instead.")

	// Reviews of self-logged work and hours.
	ErrNotNamedSupervisor = sentinel("not_named_supervisor", KindForbidden, "Only the preceptor named on this entry can verify it.")
	ErrAlreadyReviewed    = sentinel("already_reviewed", KindConflict, "This entry has already been reviewed.")
	ErrNotApprover        = sentinel("not_approver", KindForbidden, "Only a preceptor or program director can review hours.")

	// Knowledge tests and hours.
	ErrInvalidScore     = sentinel("invalid_score", KindInvalid, "The score must be between 0 and 100.")
	ErrNotRecorder      = sentinel("not_recorder", KindForbidden, "Only a preceptor or program director can record test results.")
	ErrNoKnowledgeTest  = sentinel("no_knowledge_test", KindInvalid, "This competency has no knowledge test.")
	ErrUnknownHoursCode = sentinel("unknown_hours_code", KindInvalid, "The work process or course is not part of this program version.")
	ErrInvalidHours     = sentinel("invalid_hours", KindInvalid, "Hours must be more than 0 and at most 24, in quarter hours.")

	// Sign-offs.
	ErrSelfSignOff              = sentinel("self_signoff", KindForbidden, "You cannot sign off your own competency.")
	ErrSignerNotAuthorized      = sentinel("signer_not_authorized", KindForbidden, "You are not authorised to sign off this competency.")
	ErrSignerCredential         = sentinel("signer_credential_invalid", KindForbidden, "Your credential is not valid on the signing date.")
	ErrCountShort               = sentinel("count_short", KindConflict, "Not enough successful observed performances are on file.")
	ErrNoRecentEvidence         = sentinel("no_recent_evidence", KindConflict, "A re-verification needs new evidence since the last sign-off.")
	ErrPrerequisiteNotCurrent   = sentinel("prerequisite_not_current", KindConflict, "A prerequisite competency is not signed off and current.")
	ErrKnowledgeTestNotPassed   = sentinel("knowledge_test_not_passed", KindConflict, "The knowledge test has not been passed.")
	ErrNoReverificationSchedule = sentinel("no_reverification_schedule", KindInvalid, "This competency has no re-verification schedule.")
	ErrNoInitialSignOff         = sentinel("no_initial_signoff", KindConflict, "A re-verification needs an initial sign-off first.")
	ErrReverificationSameDay    = sentinel("reverification_same_day", KindConflict, "A re-verification cannot be signed on the day of the initial sign-off.")
	ErrAlreadySignedOff         = sentinel("already_signed_off", KindConflict, "This competency is already signed off.")
	ErrCoverage                 = sentinel("coverage_incomplete", KindInvalid, "The assessment does not cover what this competency requires.")
	ErrInvalidKind              = sentinel("invalid_signoff_kind", KindInvalid, "A sign-off is either initial or a re-verification.")

	// Signatures.
	ErrSignatureMismatch = sentinel("signature_mismatch", KindIntegrity, "This signature does not match the record it is attached to.")

	// Revocations.
	ErrNotDirector    = sentinel("not_director", KindForbidden, "Only a program director can revoke a sign-off.")
	ErrRevocationDate = sentinel("revocation_before_signoff", KindInvalid, "A revocation cannot take effect before the sign-off it revokes.")
	ErrAlreadyRevoked = sentinel("already_revoked", KindConflict, "This sign-off has already been revoked.")
)
