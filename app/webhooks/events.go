package webhooks

import "time"

// The data objects of the events, as receivers get them (the payload's
// "data"). Days are the organisation's calendar days (YYYY-MM-DD), times
// UTC.

// SignOffData is the data of signoff.recorded.
type SignOffData struct {
	SignOffID    string    `json:"signoff_id"`
	EnrollmentID string    `json:"enrollment_id"`
	PersonID     string    `json:"person_id"`
	SiteID       string    `json:"site_id"`
	Competency   string    `json:"competency"`
	Kind         string    `json:"kind"`
	SignedOn     string    `json:"signed_on"`
	SignedAt     time.Time `json:"signed_at"`
	SignerID     string    `json:"signer_id"`
}

// RevocationData is the data of signoff.revoked.
type RevocationData struct {
	SignOffID    string    `json:"signoff_id"`
	RevocationID string    `json:"revocation_id"`
	EnrollmentID string    `json:"enrollment_id"`
	PersonID     string    `json:"person_id"`
	SiteID       string    `json:"site_id"`
	Competency   string    `json:"competency"`
	EffectiveOn  string    `json:"effective_on"`
	Reason       string    `json:"reason"`
	RevokedBy    string    `json:"revoked_by"`
	RecordedAt   time.Time `json:"recorded_at"`
}

// CredentialData is the data of credential.verified, credential.expiring
// and credential.expired.
type CredentialData struct {
	CredentialID string `json:"credential_id"`
	PersonID     string `json:"person_id"`
	Type         string `json:"type"`
	// ExpiresOn is the last valid day; empty when the record has none.
	ExpiresOn  string     `json:"expires_on"`
	VerifiedAt *time.Time `json:"verified_at"`
	VerifiedBy string     `json:"verified_by"`
}

// PersonData is the data of person.deactivated.
type PersonData struct {
	PersonID      string    `json:"person_id"`
	EmployeeID    string    `json:"employee_id"`
	SiteIDs       []string  `json:"site_ids"`
	DeactivatedAt time.Time `json:"deactivated_at"`
}

// ClearanceData is the data of clearance.changed, clearance.lapsing and
// clearance.lapsed: a person's level for a task (not_cleared, direct,
// indirect, cleared) before and after, on the as-of day, with the reasons
// behind the level after.
type ClearanceData struct {
	PersonID string `json:"person_id"`
	SiteID   string `json:"site_id"`
	Task     string `json:"task"`
	AsOf     string `json:"as_of"`
	Before   string `json:"before"`
	After    string `json:"after"`
	// LapsesOn is the first day the level drops unless something new is
	// recorded (clearance.lapsing: the day ahead; clearance.lapsed: today).
	LapsesOn string            `json:"lapses_on"`
	Reasons  []ClearanceReason `json:"reasons"`
}

// ClearanceReason is one fact behind a level.
type ClearanceReason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}
