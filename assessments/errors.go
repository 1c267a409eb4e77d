package assessments

import (
	"errors"
	"fmt"

	"github.com/skillgate/skillgate/errkind"
)

// Code is the stable, machine-readable name of an error, e.g.
// "self_signoff". Codes are API values: never rename one.
type Code string

// Error is the one error type of this package's rules. Message is written
// for the person who sees it and is safe to show as is; Field, when set,
// names the request field it is about (for example "steps[3]"), so a form
// can show the message beside the field.
//
// Its Kind comes from the one error vocabulary (package errkind), so the
// HTTP layer maps it with every other error; As lets errkind.As see it.
type Error struct {
	Code    Code
	Kind    errkind.Kind
	Field   string
	Message string
}

func (e *Error) Error() string { return e.Message }

// As converts e into the vocabulary's *errkind.Error (same kind, code and
// message, and the field), so one table maps every error to HTTP.
func (e *Error) As(target any) bool {
	t, ok := target.(**errkind.Error)
	if !ok {
		return false
	}
	*t = &errkind.Error{Kind: e.Kind, Code: string(e.Code), Message: e.Message}
	if e.Field != "" {
		(*t).Fields = map[string]string{e.Field: e.Message}
	}
	return true
}

// With returns an error with e's code and kind and a specific message, for
// callers outside this package (storage) that find the same condition; it
// matches e under errors.Is.
func (e *Error) With(msg string) *Error {
	return &Error{Code: e.Code, Kind: e.Kind, Message: msg}
}

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

func sentinel(code Code, kind errkind.Kind, msg string) *Error {
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
	ErrInvalidIdempotencyKey = sentinel("invalid_idempotency_key", errkind.Malformed, "The request key must be 8 to 128 letters, digits, hyphens or underscores.")
	ErrKeyReused             = sentinel("idempotency_key_reused", errkind.Invalid, "This request key was already used for a different request.")
	ErrMissingField          = sentinel("missing_field", errkind.Malformed, "A required field is missing.")
	ErrTextTooLong           = sentinel("text_too_long", errkind.Invalid, "The text is too long.")
	ErrInvalidText           = sentinel("invalid_text", errkind.Malformed, "The text contains characters that cannot be stored.")
	ErrFutureDate            = sentinel("future_date", errkind.Invalid, "The date is in the future.")
	ErrBeforeStart           = sentinel("before_enrollment_start", errkind.Invalid, "The date is before the apprentice's enrollment started.")

	// Enrollments.
	ErrInvalidEnrollment   = sentinel("invalid_enrollment", errkind.Invalid, "The enrollment is incomplete.")
	ErrVersionNotPublished = sentinel("version_not_published", errkind.Invalid, "Apprentices can only be enrolled in a published program version.")
	ErrIllegalTransition   = sentinel("illegal_transition", errkind.Conflict, "The enrollment cannot change to that status.")
	ErrEnrollmentInactive  = sentinel("enrollment_inactive", errkind.Conflict, "The enrollment is not active, so no new evidence can be recorded.")
	ErrNotYourEnrollment   = sentinel("not_your_enrollment", errkind.Forbidden, "You can only log work for your own enrollment.")
	ErrOwnEnrollment       = sentinel("own_enrollment", errkind.Forbidden, "Nobody may manage their own enrollment; another program director must.")
	// Completion.
	ErrCompletionNeedsSignature = sentinel("completion_needs_signature", errkind.Conflict, "An apprenticeship is completed by a program director's signature once every requirement is met, not by a status change.")
	ErrRequirementsNotMet       = sentinel("completion_requirements_not_met", errkind.Conflict, "The apprenticeship cannot be completed until every requirement of the program is met.")

	// Competencies and checklists.
	ErrUnknownCompetency = sentinel("unknown_competency", errkind.Invalid, "The competency is not part of this program version.")
	ErrInvalidVariant    = sentinel("invalid_variant", errkind.Invalid, "The variant is not one of the competency's variants.")
	ErrNothingToPerform  = sentinel("nothing_to_perform", errkind.Invalid, "This competency has no observed performances; it is assessed by knowledge test and sign-off.")
	ErrChecklistVersion  = sentinel("checklist_version_mismatch", errkind.Conflict, "The checklist has changed since this form was opened.")
	ErrStepMissing       = sentinel("step_missing", errkind.Invalid, "Every checklist step must be marked met or not met.")
	ErrStepRepeated      = sentinel("step_repeated", errkind.Invalid, "A checklist step was answered more than once.")
	ErrStepUnknown       = sentinel("step_unknown", errkind.Invalid, "The checklist has no such step.")

	// Observations and corrections.
	ErrObserverNotAllowed = sentinel("observer_not_allowed", errkind.Forbidden, "You are not authorised to observe this competency.")
	// ErrAttesterNotAllowed: the paper record names an attester whose
	// credential the competency's observer rule does not allow; a value
	// the transcriber corrects, not a refusal of who they are.
	ErrAttesterNotAllowed = sentinel("attester_not_allowed", errkind.Invalid, "The credential of who attested the paper record may not observe this competency.")
	ErrSelfObservation    = sentinel("self_observation", errkind.Forbidden, "You cannot record an observation of yourself.")
	ErrReasonRequired     = sentinel("reason_required", errkind.Invalid, "A reason is required.")
	ErrSupersedeNotFound  = sentinel("supersede_not_found", errkind.Invalid, "The record to correct was not found.")
	ErrSupersedeMismatch  = sentinel("supersede_mismatch", errkind.Invalid, "A correction must be for the same apprentice and competency as the record it corrects.")
	ErrAlreadySuperseded  = sentinel("already_superseded", errkind.Conflict, "That record has already been corrected; correct the newest version instead.")

	// Reviews of self-logged work and hours.
	ErrNotNamedSupervisor = sentinel("not_named_supervisor", errkind.Forbidden, "Only the preceptor named on this entry can verify it.")
	ErrAlreadyReviewed    = sentinel("already_reviewed", errkind.Conflict, "This entry has already been reviewed.")
	ErrNotApprover        = sentinel("not_approver", errkind.Forbidden, "Only a preceptor or program director can review hours.")
	// ErrUnknownSupervisor is found by storage (this package never looks
	// people up): the supervisor named is no one's account id.
	ErrUnknownSupervisor = sentinel("unknown_supervisor", errkind.Invalid, "The supervisor you named is not a person Skillgate knows. Choose the preceptor who supervised you from the list.")

	// Knowledge tests and hours.
	ErrInvalidScore     = sentinel("invalid_score", errkind.Invalid, "The score must be between 0 and 100.")
	ErrNotRecorder      = sentinel("not_recorder", errkind.Forbidden, "Only a preceptor or program director can record test results.")
	ErrNoKnowledgeTest  = sentinel("no_knowledge_test", errkind.Invalid, "This competency has no knowledge test.")
	ErrUnknownHoursCode = sentinel("unknown_hours_code", errkind.Invalid, "The work process or course is not part of this program version.")
	ErrInvalidHours     = sentinel("invalid_hours", errkind.Invalid, "Hours must be more than 0 and at most 24, in quarter hours.")

	// Sign-offs.
	ErrSelfSignOff              = sentinel("self_signoff", errkind.Forbidden, "You cannot sign off your own competency.")
	ErrSignerNotAuthorized      = sentinel("signer_not_authorized", errkind.Forbidden, "You are not authorised to sign off this competency.")
	ErrSignerCredential         = sentinel("signer_credential_invalid", errkind.Forbidden, "Your credential is not valid on the signing date.")
	ErrCountShort               = sentinel("count_short", errkind.Conflict, "Not enough successful observed performances are on file.")
	ErrNoRecentEvidence         = sentinel("no_recent_evidence", errkind.Conflict, "A re-verification needs new evidence since the last sign-off.")
	ErrPrerequisiteNotCurrent   = sentinel("prerequisite_not_current", errkind.Conflict, "A prerequisite competency is not signed off and current.")
	ErrKnowledgeTestNotPassed   = sentinel("knowledge_test_not_passed", errkind.Conflict, "The knowledge test has not been passed.")
	ErrNoReverificationSchedule = sentinel("no_reverification_schedule", errkind.Invalid, "This competency has no re-verification schedule.")
	ErrNoInitialSignOff         = sentinel("no_initial_signoff", errkind.Conflict, "A re-verification needs an initial sign-off first.")
	ErrReverificationSameDay    = sentinel("reverification_same_day", errkind.Conflict, "A re-verification cannot be signed on the day of the initial sign-off.")
	ErrAlreadySignedOff         = sentinel("already_signed_off", errkind.Conflict, "This competency is already signed off.")
	ErrCoverage                 = sentinel("coverage_incomplete", errkind.Invalid, "The assessment does not cover what this competency requires.")
	ErrInvalidKind              = sentinel("invalid_signoff_kind", errkind.Invalid, "A sign-off is either initial or a re-verification.")

	// Signatures.
	ErrSignatureMismatch = sentinel("signature_mismatch", errkind.Integrity, "This signature does not match the record it is attached to.")

	// Revocations.
	ErrNotDirector    = sentinel("not_director", errkind.Forbidden, "Only a program director can revoke a sign-off.")
	ErrRevocationDate = sentinel("revocation_before_signoff", errkind.Invalid, "A revocation cannot take effect before the sign-off it revokes.")
	ErrAlreadyRevoked = sentinel("already_revoked", errkind.Conflict, "This sign-off has already been revoked.")
)
