package assessments

import (
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// SelfLogStatus is where a self-logged performance stands.
type SelfLogStatus string

// Self-log statuses. Pending is the only state that changes, once, to
// verified or rejected.
const (
	SelfLogPending  SelfLogStatus = "pending"
	SelfLogVerified SelfLogStatus = "verified"
	SelfLogRejected SelfLogStatus = "rejected"
)

// SelfLog is an apprentice's own entry "I performed this under the
// supervision of X". It counts as one successful performance only once the
// named preceptor verifies it, and from the day of verification (that is
// when it became evidence). A rejected entry never counts and stays on file
// with the reason; the apprentice may log the work again.
//
// Self-logged hours are HoursEntry records (see NewHoursEntry), reviewed the
// same way.
type SelfLog struct {
	ID           string `json:"id"`
	EnrollmentID string `json:"enrollment_id"`
	ApprenticeID string `json:"apprentice_id"`

	Competency  string          `json:"competency"`
	Variant     string          `json:"variant"`
	PerformedOn curriculum.Date `json:"performed_on"`
	SiteID      string          `json:"site_id"`
	// SupervisorID is the preceptor the apprentice names; only they can
	// verify the entry.
	SupervisorID string    `json:"supervisor_id"`
	Comments     string    `json:"comments"`
	LoggedAt     time.Time `json:"logged_at"`

	Status SelfLogStatus `json:"status"`
	// Review: who verified or rejected it, when, and why (rejections).
	ReviewedBy         string                            `json:"reviewed_by"`
	ReviewerName       string                            `json:"reviewer_name"`
	ReviewerCredential curriculum.ProfessionalCredential `json:"reviewer_credential"`
	ReviewedAt         time.Time                         `json:"reviewed_at"`
	RejectionReason    string                            `json:"rejection_reason"`

	// TranscribedBy, when set, marks an entry transcribed from paper
	// (NewTranscribedSelfLog): the director or HR person who typed it in;
	// ReviewerName and ReviewerCredential are then who attested it on
	// paper, and SourceNote where the paper is.
	TranscribedBy string `json:"transcribed_by,omitempty"`
	SourceNote    string `json:"source_note,omitempty"`

	IdempotencyKey string `json:"idempotency_key"`
	// RequestHash is the Fingerprint of the request that made the record
	// (storage keeps it to tell a retry from another request under the key).
	RequestHash string `json:"-"`
}

// SelfLogRequest is what an apprentice submits.
type SelfLogRequest struct {
	IdempotencyKey string
	Competency     string
	Variant        string
	PerformedOn    curriculum.Date
	// SiteID defaults to the enrollment's site.
	SiteID       string
	SupervisorID string
	Comments     string
}

// NewSelfLog validates an apprentice's self-logged performance and returns
// the pending record to store (ID empty). It returns nil and an *Error:
// ErrInvalidIdempotencyKey; ErrInvalidEnrollment or ErrEnrollmentInactive;
// ErrNotYourEnrollment (the actor is not the enrolled apprentice);
// ErrMissingField or ErrUnknownCompetency; ErrNothingToPerform or
// ErrInvalidVariant; ErrMissingField, ErrFutureDate or ErrBeforeStart for
// the date; ErrMissingField or ErrSelfObservation for the supervisor (it
// must be someone else); ErrInvalidText or ErrTextTooLong for comments.
//
// Whether the named supervisor may observe the competency is checked when
// they verify it, because only then is their credential known.
func NewSelfLog(e *Enrollment, apprentice Actor, req SelfLogRequest, now time.Time) (*SelfLog, error) {
	if err := ValidateIdempotencyKey(req.IdempotencyKey); err != nil {
		return nil, err
	}
	if err := e.ready(); err != nil {
		return nil, err
	}
	if apprentice.ID != e.ApprenticeID {
		return nil, fail(ErrNotYourEnrollment, "enrollment_id", "You can only log work for your own enrollment.")
	}
	c, err := e.competency(req.Competency, "competency")
	if err != nil {
		return nil, err
	}
	if err := checkVariant(c, req.Variant, "variant"); err != nil {
		return nil, err
	}
	if err := checkDay(e, req.PerformedOn, now, "performed_on", "performance"); err != nil {
		return nil, err
	}
	switch req.SupervisorID {
	case "":
		return nil, fail(ErrMissingField, "supervisor_id", "Name the preceptor who supervised you; they will be asked to verify this entry.")
	case e.ApprenticeID:
		return nil, fail(ErrSelfObservation, "supervisor_id", "Name the preceptor who supervised you, not yourself.")
	}
	if err := checkText(req.Comments, "comments", "comment", MaxCommentLen); err != nil {
		return nil, err
	}
	site := req.SiteID
	if site == "" {
		site = e.SiteID
	}
	return &SelfLog{
		EnrollmentID:   e.ID,
		ApprenticeID:   e.ApprenticeID,
		Competency:     c.Code,
		Variant:        req.Variant,
		PerformedOn:    req.PerformedOn,
		SiteID:         site,
		SupervisorID:   req.SupervisorID,
		Comments:       req.Comments,
		LoggedAt:       utc(now),
		Status:         SelfLogPending,
		IdempotencyKey: req.IdempotencyKey,
	}, nil
}

// Verify records that the named supervisor confirms the entry: the
// apprentice performed the competency satisfactorily under their
// supervision. On success l is verified; on error l is unchanged.
//
// It returns ErrNotNamedSupervisor (someone else), ErrAlreadyReviewed (not
// pending), ErrInvalidEnrollment or ErrEnrollmentInactive, ErrUnknownCompetency
// (not in e's version), or ErrObserverNotAllowed (the supervisor may not
// observe this competency, e.g. an MA verifying an injection).
func (l *SelfLog) Verify(e *Enrollment, by Actor, now time.Time) error {
	if err := l.reviewable(e, by); err != nil {
		return err
	}
	if err := e.ready(); err != nil {
		return err
	}
	c, err := e.competency(l.Competency, "competency")
	if err != nil {
		return err
	}
	if !c.MayObserve(by.ID, by.creds()...) {
		return fail(ErrObserverNotAllowed, "", "%s can be verified only by %s; your account does not qualify. Reject the entry if you cannot confirm it.",
			c.Title, describeAuthorization(c.ObservedBy))
	}
	l.Status = SelfLogVerified
	l.setReviewer(by, now)
	return nil
}

// Reject records that the named supervisor does not confirm the entry. A
// reason is required: the apprentice sees it, and it stays on the record. On
// error l is unchanged. e is the entry's enrollment (its program's zone
// dates the messages).
//
// It returns ErrNotNamedSupervisor, ErrAlreadyReviewed, ErrReasonRequired,
// ErrInvalidText or ErrTextTooLong.
func (l *SelfLog) Reject(e *Enrollment, by Actor, reason string, now time.Time) error {
	if err := l.reviewable(e, by); err != nil {
		return err
	}
	if err := checkReason(reason, "reason", "rejection"); err != nil {
		return err
	}
	l.Status = SelfLogRejected
	l.RejectionReason = reason
	l.setReviewer(by, now)
	return nil
}

func (l *SelfLog) reviewable(e *Enrollment, by Actor) error {
	if by.ID == "" || by.ID != l.SupervisorID {
		return fail(ErrNotNamedSupervisor, "", "Only the preceptor the apprentice named can verify or reject this entry.")
	}
	if l.Status != SelfLogPending {
		return fail(ErrAlreadyReviewed, "", "This entry was already %s on %s.", l.Status, e.day(l.ReviewedAt))
	}
	return nil
}

func (l *SelfLog) setReviewer(by Actor, now time.Time) {
	l.ReviewedBy, l.ReviewerName, l.ReviewerCredential = by.ID, by.Name, by.Credential
	l.ReviewedAt = utc(now)
}
