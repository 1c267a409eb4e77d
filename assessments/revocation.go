package assessments

import (
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// Revocation ends a sign-off from an effective day. It is a record of its
// own: the sign-off stays on file unchanged, so "was she cleared on 15
// March?" keeps its answer for days before the revocation took effect (and
// for as-of queries before it was recorded).
type Revocation struct {
	ID           string `json:"id"`
	SignOffID    string `json:"sign_off_id"`
	EnrollmentID string `json:"enrollment_id"`
	ApprenticeID string `json:"apprentice_id"`
	Competency   string `json:"competency"`
	// EffectiveOn is the first day the sign-off no longer counts. It may be
	// in the past (the director learns of a problem late) or the future.
	EffectiveOn curriculum.Date `json:"effective_on"`
	Reason      string          `json:"reason"`
	RevokedBy   string          `json:"revoked_by"`
	RevokerName string          `json:"revoker_name"`
	RecordedAt  time.Time       `json:"recorded_at"`
	// Paper: SignOffID names a PaperSignOff (RevokePaper), not an
	// electronic sign-off.
	Paper bool `json:"paper,omitempty"`

	IdempotencyKey string `json:"idempotency_key"`
	// RequestHash is the Fingerprint of the request that made the record
	// (storage keeps it to tell a retry from another request under the key).
	RequestHash string `json:"-"`
}

// RevocationRequest is what a program director submits.
type RevocationRequest struct {
	IdempotencyKey string
	Reason         string
	// EffectiveOn defaults to today (the organisation's day of now).
	EffectiveOn curriculum.Date
}

// Revoke validates the revocation of so and returns the record to store (ID
// empty). existing holds the revocations on file for so (storage: WHERE
// sign_off_id = so.ID); storage should also keep a unique index on
// sign_off_id so two concurrent revocations cannot both land. loc is the
// organisation's time zone (ProgramVersion.Location), for "today".
//
// It returns nil and an *Error: ErrInvalidIdempotencyKey; ErrNotDirector
// (only a program director revokes); ErrMissingField (no sign-off);
// ErrOwnEnrollment (the director is the apprentice signed off);
// ErrAlreadyRevoked; ErrReasonRequired, ErrInvalidText or ErrTextTooLong;
// ErrRevocationDate (effective before the sign-off's day).
func Revoke(so *SignOff, existing []Revocation, by Actor, req RevocationRequest, loc *time.Location, now time.Time) (*Revocation, error) {
	if err := ValidateIdempotencyKey(req.IdempotencyKey); err != nil {
		return nil, err
	}
	if by.ID == "" || !by.Director {
		return nil, fail(ErrNotDirector, "", "Only a program director can revoke a sign-off.")
	}
	if so == nil || so.ID == "" {
		return nil, fail(ErrMissingField, "sign_off_id", "Choose the sign-off to revoke.")
	}
	if err := (&Enrollment{ApprenticeID: so.ApprenticeID}).CheckManager(by.ID, Revoking); err != nil {
		return nil, err
	}
	for i := range existing {
		if existing[i].SignOffID == so.ID {
			return nil, fail(ErrAlreadyRevoked, "sign_off_id", "This sign-off was already revoked from %s by %s.",
				existing[i].EffectiveOn, existing[i].RevokerName)
		}
	}
	if err := checkReason(req.Reason, "reason", "revocation"); err != nil {
		return nil, err
	}
	eff := req.EffectiveOn
	if eff.IsZero() {
		eff = curriculum.DateOf(now, loc)
	}
	if eff.Before(so.SignedOn) {
		return nil, fail(ErrRevocationDate, "effective_on",
			"The revocation cannot take effect on %s, before the sign-off itself (%s). Use %s or later.", eff, so.SignedOn, so.SignedOn)
	}
	return &Revocation{
		SignOffID:      so.ID,
		EnrollmentID:   so.EnrollmentID,
		ApprenticeID:   so.ApprenticeID,
		Competency:     so.Competency,
		EffectiveOn:    eff,
		Reason:         req.Reason,
		RevokedBy:      by.ID,
		RevokerName:    by.Name,
		RecordedAt:     utc(now),
		IdempotencyKey: req.IdempotencyKey,
	}, nil
}

// RevokePaper validates the revocation of a transcribed paper sign-off,
// as Revoke does for an electronic one (the same errors): from the
// effective day it no longer counts. The record is marked Paper.
func RevokePaper(p *PaperSignOff, existing []Revocation, by Actor, req RevocationRequest, loc *time.Location, now time.Time) (*Revocation, error) {
	var so *SignOff
	if p != nil {
		so = &SignOff{ID: p.ID, EnrollmentID: p.EnrollmentID, ApprenticeID: p.ApprenticeID, Competency: p.Competency, SignedOn: p.SignedOn}
	}
	r, err := Revoke(so, existing, by, req, loc, now)
	if err != nil {
		return nil, err
	}
	r.Paper = true
	return r, nil
}
