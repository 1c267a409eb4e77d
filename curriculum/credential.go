package curriculum

// CredentialType is a kind of card, certificate or registration a person
// holds: BLS, CMA, RMA, CCMA, CPT, a state registration.
type CredentialType struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// ValidityMonths is the usual validity from the issue date; 0 means the
	// credential does not expire unless a record gives an expiry date.
	ValidityMonths int `json:"validity_months,omitempty"`
	// ValidThroughEndOfMonth extends validity to the last day of the expiry
	// month, as on AHA BLS cards ("recommended renewal 10/2026" is valid
	// through 2026-10-31).
	ValidThroughEndOfMonth bool `json:"valid_through_end_of_month,omitempty"`
}

// Expiry returns the last valid day of a record of this type (see
// expiry): what a printed record shows as the credential's expiry.
func (ct *CredentialType) Expiry(rec *CredentialRecord) Date { return ct.expiry(rec) }

// expiry returns the last valid day of a record of this type: the record's
// own expiry date if it has one, otherwise issue date + ValidityMonths;
// moved to the month end for valid-through-month types. The zero Date means
// the record never expires.
func (ct *CredentialType) expiry(rec *CredentialRecord) Date {
	exp := rec.ExpiresOn
	if exp.IsZero() && ct.ValidityMonths > 0 && !rec.IssuedOn.IsZero() {
		exp = rec.IssuedOn.AddMonths(ct.ValidityMonths)
	}
	if ct.ValidThroughEndOfMonth {
		exp = exp.EndOfMonth()
	}
	return exp
}

// CredentialRequirement is a credential a task needs.
type CredentialRequirement struct {
	// Credential is a CredentialType code.
	Credential string `json:"credential"`
	// WithinDaysOfHire, when positive, allows a person without the
	// credential to work for that many days after hire (the person's hire
	// date, not an enrollment's, so re-enrolling does not restart it): the
	// hire date is day 0, so with 90 the person is within grace through hire date + 90
	// days and missing from day 91. Zero means it must be valid from the
	// start.
	WithinDaysOfHire int `json:"within_days_of_hire,omitempty"`
	// Level is the lowest level the requirement applies to: every level
	// (the default) or independent practice only ("BLS before independent
	// patient care").
	Level RequirementLevel `json:"level,omitempty"`
}

// RequirementLevel says which clearance levels a requirement applies to.
type RequirementLevel string

// Requirement levels.
const (
	// EveryLevel (also spelled ""): supervised practice needs it too.
	EveryLevel RequirementLevel = "all"
	// IndependentOnly: only independent clearance needs it; supervised
	// practice (direct or indirect) goes ahead without it.
	IndependentOnly RequirementLevel = "independent"
)

func (l RequirementLevel) valid() bool { return l == "" || l == EveryLevel || l == IndependentOnly }

// graceEnd returns the last day of the grace period, or the zero Date if
// there is none (or the hire date is unknown).
func (r CredentialRequirement) graceEnd(hire Date) Date {
	if r.WithinDaysOfHire <= 0 || hire.IsZero() {
		return Date{}
	}
	return hire.AddDays(r.WithinDaysOfHire)
}
