package assessments

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// Completion is the program director's electronic signature that an
// apprentice has completed the apprenticeship: the enrollment's change to
// completed, dated CompletedOn (the organisation's day of SignedAt). It
// follows the sign-off signature's rules (21 CFR Part 11 pattern): the
// signer types their password again, the record shows their printed name,
// credential, time with zone and meaning, and Hash binds all of it to the
// enrollment (CanonicalCompletion), so it cannot be copied onto another
// apprentice and no field can change unnoticed (VerifyCompletion).
//
// A completion is final: completed is a final status (a returning
// apprentice gets a new enrollment), so a completion is never undone and its
// certificate is never revoked.
type Completion struct {
	ID           string `json:"id"`
	EnrollmentID string `json:"enrollment_id"`
	ApprenticeID string `json:"apprentice_id"`
	VersionID    string `json:"version_id"`
	// CompletedOn is the completion date: the organisation's calendar day
	// of SignedAt, the day of the status change to completed.
	CompletedOn curriculum.Date                   `json:"completed_on"`
	SignerID    string                            `json:"signer_id"`
	PrintedName string                            `json:"printed_name"`
	Credential  curriculum.ProfessionalCredential `json:"credential"`
	// SignedAt is the instant of signing, UTC, to the microsecond; TimeZone
	// the IANA zone it is shown in.
	SignedAt time.Time `json:"signed_at"`
	TimeZone string    `json:"time_zone"`
	Meaning  string    `json:"meaning"`
	// Hash is the lowercase hex SHA-256 of CanonicalCompletion.
	Hash string `json:"hash"`
	// AuthMethod is how the director re-authenticated (outside the hash,
	// as on sign-offs).
	AuthMethod string `json:"auth_method"`
}

// CompletionMeaning is the statement a completion signature means:
//
//	I attest, as program director, that NAME has met every requirement of PROGRAM version N and has completed the apprenticeship
func CompletionMeaning(apprenticeName, program string, version int) string {
	return "I attest, as program director, that " + apprenticeName + " has met every requirement of " + program +
		" version " + strconv.Itoa(version) + " and has completed the apprenticeship"
}

// CompletionFormat is the first line of CanonicalCompletion.
const CompletionFormat = "skillgate-completion/1"

// CanonicalCompletion returns the bytes CompletionHash hashes, written as
// CanonicalSignature writes a sign-off's (length-prefixed name=LEN:VALUE
// lines after the format line), with these fields in this order:
// enrollment_id, apprentice_id, version_id, completed_on (YYYY-MM-DD),
// signer_id, printed_name, credential, signed_at (UTC, six fractional
// digits), time_zone, meaning.
func CanonicalCompletion(c *Completion) []byte {
	var b []byte
	b = append(b, CompletionFormat...)
	b = append(b, '\n')
	for _, f := range [...][2]string{
		{"enrollment_id", c.EnrollmentID},
		{"apprentice_id", c.ApprenticeID},
		{"version_id", c.VersionID},
		{"completed_on", c.CompletedOn.String()},
		{"signer_id", c.SignerID},
		{"printed_name", c.PrintedName},
		{"credential", string(c.Credential)},
		{"signed_at", c.SignedAt.UTC().Truncate(time.Microsecond).Format(signatureTimeLayout)},
		{"time_zone", c.TimeZone},
		{"meaning", c.Meaning},
	} {
		b = appendField(b, f[0], f[1])
	}
	return b
}

// CompletionHash returns the lowercase hex SHA-256 of CanonicalCompletion.
func CompletionHash(c *Completion) string {
	sum := sha256.Sum256(CanonicalCompletion(c))
	return hex.EncodeToString(sum[:])
}

// VerifyCompletion checks that the completion's signature still matches
// it. It returns nil or an *Error with code ErrSignatureMismatch.
func VerifyCompletion(c *Completion) error {
	if CompletionHash(c) != c.Hash {
		return fail(ErrSignatureMismatch, "",
			"The completion signature of %s does not match the record. Do not rely on it; report it to your administrator.", c.PrintedName)
	}
	return nil
}

// CompletionRequest is what the director submits.
type CompletionRequest struct {
	// ApprenticeName is the apprentice's printed name, for the meaning.
	ApprenticeName string
	// AuthMethod is how the director re-authenticated.
	AuthMethod string
}

// Outstanding lists, in plain language and program order, every
// requirement of the enrollment's program not met on the organisation's
// day of now; empty when the apprenticeship can be completed. The
// requirements of completion are:
//
//   - every competency of the version signed off and current (with its
//     prerequisites), as the clearance engine decides for it on the day:
//     a lapsed re-verification or a revoked sign-off leaves it outstanding;
//   - on-the-job learning: for every work process with minimum hours,
//     at least that many approved hours (pending hours do not count);
//   - related instruction: for every RTI course with hours, at least that
//     many approved hours;
//   - credentials: every credential type a task of the program requires
//     (BLS in the shipped program) valid on the day, verified unless the
//     program counts unverified records. A grace period after hire does not
//     count: it lets a new hire start work, and a graduate is cleared for
//     the program's whole scope.
//
// Credential types the program defines but no task requires (the MA
// certifications) are not requirements of completion.
func Outstanding(r *Records, now time.Time) []string {
	ev := BuildEvidence(r)
	if ev == nil {
		return []string{"The enrollment could not be loaded."}
	}
	pv := r.Enrollment.Version
	p := pv.Program()
	day := pv.Day(now)
	var out []string
	for _, st := range pv.Standings(ev, day) {
		if st.Current {
			continue
		}
		c := pv.Competency(st.Competency)
		what := c.Title + " (" + c.Code + "): "
		if signOffChain(ev, c, day).initial == nil {
			what += "not signed off"
		} else {
			what += "signed off but not current"
			if msgs := st.Decision.Messages(); len(msgs) > 0 {
				what += " (" + msgs[0] + ")"
			}
		}
		out = append(out, what)
	}
	var mine []HoursEntry
	for _, h := range r.Hours {
		if h.ApprenticeID == ev.PersonID {
			mine = append(mine, h)
		}
	}
	hs := SummarizeHours(p, mine)
	short := func(kind string, lines []HoursTotal) {
		for _, h := range lines {
			if h.Target > 0 && h.Approved < h.Target {
				s := fmt.Sprintf("%s, %s: %s of %s hours approved", kind, h.Title, h.Approved, h.Target)
				if h.Pending > 0 {
					s += fmt.Sprintf(" (%s waiting for approval)", h.Pending)
				}
				out = append(out, s)
			}
		}
	}
	short("On-the-job learning", hs.WorkProcesses)
	short("Related instruction", hs.Courses)
	for _, code := range completionCredentials(p) {
		st := pv.Rules.CredentialStatus(curriculum.CredentialRequirement{Credential: code}, r.Credentials, curriculum.Date{}, day)
		if st.Status == curriculum.CredentialValid || st.Status == curriculum.CredentialExpiring {
			continue
		}
		name := code
		if ct := p.CredentialType(code); ct != nil && ct.Name != "" && ct.Name != code {
			name = ct.Name + " (" + code + ")"
		}
		var why string
		switch st.Status {
		case curriculum.CredentialExpired:
			why = "expired on " + st.Expires.String()
		case curriculum.CredentialUnverified:
			why = "on file but not verified by HR"
		default:
			why = "none on file"
		}
		out = append(out, "Credential "+name+": "+why)
	}
	return out
}

// completionCredentials are the credential types the program's tasks
// require, in order of first mention.
func completionCredentials(p *curriculum.Program) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range p.Tasks {
		for _, cr := range t.Credentials {
			if !seen[cr.Credential] {
				seen[cr.Credential] = true
				out = append(out, cr.Credential)
			}
		}
	}
	return out
}

// CheckCompletion validates a director's completion of the enrollment
// recs as of the organisation's day of now and returns the signed record
// to store (ID empty). The caller must have re-authenticated the signer.
// It returns nil and an *Error, in this order: ErrInvalidEnrollment;
// ErrNotDirector; ErrOwnEnrollment (nobody completes their own
// apprenticeship); ErrIllegalTransition (only an active enrollment is
// completed); ErrMissingField, ErrInvalidText or ErrTextTooLong (the
// signer's or apprentice's printed name); ErrRequirementsNotMet, whose
// message lists everything Outstanding.
func CheckCompletion(req CompletionRequest, signer Actor, recs *Records, now time.Time) (*Completion, error) {
	if recs == nil || recs.Enrollment == nil || recs.Enrollment.Version == nil {
		return nil, fail(ErrInvalidEnrollment, "", "The enrollment could not be loaded. Reload the page and try again.")
	}
	e := recs.Enrollment
	if !signer.Director || signer.ID == "" {
		return nil, fail(ErrNotDirector, "", "Only a program director can complete an apprenticeship.")
	}
	if err := e.CheckManager(signer.ID, Completing); err != nil {
		return nil, err
	}
	if e.Status != EnrollmentActive {
		return nil, fail(ErrIllegalTransition, "", "Only an active enrollment can be completed; this one is %s.", lower(e.Status.Label()))
	}
	if strings.TrimSpace(signer.Name) == "" {
		return nil, fail(ErrMissingField, "password", "Your printed name is missing from your account; ask an administrator to add it before signing.")
	}
	if err := checkText(signer.Name, "password", "printed name", MaxNameLen); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.ApprenticeName) == "" {
		return nil, fail(ErrMissingField, "", "The apprentice's name is missing; it is part of the signed statement.")
	}
	if err := checkText(req.ApprenticeName, "", "apprentice's name", MaxNameLen); err != nil {
		return nil, err
	}
	if left := Outstanding(recs, now); len(left) > 0 {
		return nil, fail(ErrRequirementsNotMet, "",
			"The apprenticeship cannot be completed yet; nothing was signed. Still needed: %s.", strings.Join(left, "; "))
	}
	pv := e.Version
	c := &Completion{
		EnrollmentID: e.ID,
		ApprenticeID: e.ApprenticeID,
		VersionID:    e.VersionID,
		CompletedOn:  pv.Day(now),
		SignerID:     signer.ID,
		PrintedName:  signer.Name,
		Credential:   signer.Credential,
		SignedAt:     utc(now),
		TimeZone:     pv.Location().String(),
		Meaning:      CompletionMeaning(req.ApprenticeName, pv.Program().Title, pv.Rules.Version().Number),
		AuthMethod:   req.AuthMethod,
	}
	c.Hash = CompletionHash(c)
	return c, nil
}

// appendField appends one name=LEN:VALUE line of a canonical form.
func appendField(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, '=')
	b = strconv.AppendInt(b, int64(len(value)), 10)
	b = append(b, ':')
	b = append(b, value...)
	return append(b, '\n')
}
