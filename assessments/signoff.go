package assessments

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// SignOff records that an authorised person signed a competency off for an
// apprentice, initially or as a re-verification. It is never edited: a
// revocation is a separate Revocation record, and the sign-off stays on file.
type SignOff struct {
	ID           string                 `json:"id"`
	EnrollmentID string                 `json:"enrollment_id"`
	ApprenticeID string                 `json:"apprentice_id"`
	VersionID    string                 `json:"version_id"`
	Competency   string                 `json:"competency"`
	Kind         curriculum.SignOffKind `json:"kind"`
	// SignedOn is the organisation's calendar day of Signature.SignedAt.
	SignedOn curriculum.Date `json:"signed_on"`
	// Covered lists the coverage item codes (CLIA elements, waived-testing
	// methods) the assessment covered, sorted.
	Covered   []string  `json:"covered"`
	Signature Signature `json:"signature"`
	// AuthMethod is how the signer re-authenticated for this signature
	// ("password", "password+totp", ...; empty on records older than
	// it). It is outside the signature's hash: it is about the signer's
	// proof of identity, not what was signed.
	AuthMethod string `json:"auth_method"`

	IdempotencyKey string `json:"idempotency_key"`
	// RequestHash is the Fingerprint of the request that made the record
	// (storage keeps it to tell a retry from another request under the key).
	RequestHash string `json:"-"`
}

// SignOffRequest is what a signer submits.
type SignOffRequest struct {
	IdempotencyKey string
	Competency     string
	Kind           curriculum.SignOffKind
	// ApprenticeName is the apprentice's printed name, for the meaning.
	ApprenticeName string
	// Covered lists coverage item codes, for competencies with a coverage
	// rule; empty otherwise.
	Covered []string
	// AuthMethod is how the signer re-authenticated, recorded with the
	// sign-off. It is not part of the request's fingerprint: a retry
	// after re-authenticating another way is the same request.
	AuthMethod string `json:"-"`
}

// Signer is the person signing: their account (ID, printed Name,
// professional Credential) and their own credential records, whose
// validity on the signing day is checked.
type Signer struct {
	Actor
	// Records are the signer's credential records: their professional
	// licence or certification (Type = the ProfessionalCredential, e.g.
	// "RN") and others such as BLS.
	Records []curriculum.CredentialRecord
}

// SignOffPolicy holds organisation choices about signers.
type SignOffPolicy struct {
	// SignerMustHold lists credential type codes of the program (e.g.
	// "BLS") that a signer must also hold, valid on the signing day.
	SignerMustHold []string
}

// CheckSignOff validates a sign-off as of the signing day (the
// organisation's calendar day of now) against the enrollment's rules and the
// apprentice's records, and returns the signed record to store (ID empty)
// with its Signature and Hash. The signature time is now: a signature's time
// is made by the system, never typed.
//
// It returns nil and an *Error, checking in this order:
//   - ErrInvalidIdempotencyKey; ErrInvalidEnrollment or
//     ErrEnrollmentInactive;
//   - ErrMissingField (signer id or printed name, apprentice name),
//     ErrInvalidText, ErrTextTooLong;
//   - ErrSelfSignOff: nobody signs off themselves;
//   - ErrMissingField, ErrUnknownCompetency; ErrInvalidKind;
//   - ErrSignerNotAuthorized: Competency.MaySignOff refuses the signer;
//   - ErrSignerCredential: the signer's professional credential, or a
//     credential in policy.SignerMustHold, is not valid on the signing day
//     (evaluated with curriculum's credential status rules: verified
//     records only unless the program counts unverified ones; no grace
//     period). A credential the program defines (CMA, with its validity)
//     uses the program's type; a licence it does not define (MD, RN) is
//     valid through the expiry date on its record. A signer authorised by
//     name who holds no professional credential has none to check;
//   - ErrAlreadySignedOff (an initial sign-off when one already counts),
//     ErrNoReverificationSchedule, ErrNoInitialSignOff (a re-verification
//     without a counting initial sign-off), ErrReverificationSameDay (a
//     re-verification on the day of the initial sign-off it would follow:
//     the engine counts re-verifications from the day after, so it is
//     refused rather than stored and ignored);
//   - ErrPrerequisiteNotCurrent: a prerequisite is not signed off and
//     current;
//   - ErrCountShort: fewer successful, non-superseded performances than
//     required, per variant;
//   - ErrNoRecentEvidence: a re-verification with no new successful
//     performance (or, for knowledge-only competencies, no new passed test)
//     since the previous sign-off; competencies with a coverage rule are
//     exempt, the covered methods being the evidence;
//   - ErrKnowledgeTestNotPassed;
//   - ErrCoverage: coverage items unknown, given where there is no rule, or
//     not enough;
//   - ErrInvalidEnrollment: a record id contains a comma or line break,
//     which the canonical signature form cannot hold.
//
// A misconfigured policy (a SignerMustHold code the program does not define)
// is a set-up fault and returns a plain error.
func CheckSignOff(req SignOffRequest, signer Signer, recs *Records, policy SignOffPolicy, now time.Time) (*SignOff, error) {
	if err := ValidateIdempotencyKey(req.IdempotencyKey); err != nil {
		return nil, err
	}
	if recs == nil {
		return nil, fail(ErrInvalidEnrollment, "enrollment_id", "The enrollment could not be loaded. Reload the page and try again.")
	}
	e := recs.Enrollment
	if err := e.ready(); err != nil {
		return nil, err
	}
	if signer.ID == "" {
		return nil, fail(ErrMissingField, "signer_id", "The signer is missing. Log in again and retry.")
	}
	if signer.ID == e.ApprenticeID {
		return nil, fail(ErrSelfSignOff, "signer_id", "You cannot sign off your own competency; an authorised preceptor must sign it.")
	}
	if strings.TrimSpace(signer.Name) == "" {
		return nil, fail(ErrMissingField, "printed_name", "Your printed name is missing from your account; ask an administrator to add it before signing.")
	}
	if err := checkText(signer.Name, "printed_name", "printed name", MaxNameLen); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.ApprenticeName) == "" {
		return nil, fail(ErrMissingField, "apprentice_name", "The apprentice's name is missing; it is part of the signed statement.")
	}
	if err := checkText(req.ApprenticeName, "apprentice_name", "apprentice's name", MaxNameLen); err != nil {
		return nil, err
	}
	c, err := e.competency(req.Competency, "competency")
	if err != nil {
		return nil, err
	}
	if req.Kind != curriculum.InitialSignOff && req.Kind != curriculum.ReverificationSignOff {
		return nil, fail(ErrInvalidKind, "kind", "Choose whether this is the initial sign-off or a re-verification.")
	}
	if !c.MaySignOff(signer.ID, signer.creds()...) {
		return nil, fail(ErrSignerNotAuthorized, "signer_id", "%s can be signed off by %s; your account does not qualify.",
			c.Title, describeAuthorization(c.SignedOffBy))
	}

	pv := e.Version
	day := pv.Day(now)
	if err := checkSignerCredentials(pv, signer, policy, day); err != nil {
		return nil, err
	}

	ev := BuildEvidence(recs)
	ch := signOffChain(ev, c, day)
	switch req.Kind {
	case curriculum.InitialSignOff:
		if ch.initial != nil {
			return nil, fail(ErrAlreadySignedOff, "kind",
				"%s was already signed off on %s. Record a re-verification instead, or ask a program director to revoke the sign-off first.", c.Title, ch.initial.SignedOn)
		}
	case curriculum.ReverificationSignOff:
		if c.Reverification.IsZero() {
			return nil, fail(ErrNoReverificationSchedule, "kind", "%s has no re-verification schedule; once signed off it does not need re-verifying.", c.Title)
		}
		if ch.initial == nil {
			return nil, fail(ErrNoInitialSignOff, "kind", "%s has no current initial sign-off to re-verify. Record the initial sign-off first.", c.Title)
		}
		// A re-verification re-assesses competence some time after the
		// initial sign-off; on the same day it shows nothing the initial
		// one did not, and counting it would skip a schedule's first
		// interval (CLIA: 6 months after the initial sign-off, then
		// yearly). Refused, never stored and silently ignored.
		if ch.initial.SignedOn == day {
			return nil, fail(ErrReverificationSameDay, "kind",
				"%s was signed off today (%s), so there is nothing to re-verify yet: a re-verification on the day of the initial sign-off does not count. The first re-verification is due by %s.",
				c.Title, day, ch.nextDue(c.Reverification))
		}
	}

	if err := checkPrerequisites(pv, ev, c, day); err != nil {
		return nil, err
	}

	// A re-verification rests on evidence that is new since the previous
	// sign-off: not used by it, and not dated before it.
	var prev *SignOff
	if req.Kind == curriculum.ReverificationSignOff {
		prev = storedSignOff(recs, ch.last.ID)
	}
	perfs := countPerformances(ev, c, day)
	var short []string
	var ids []string
	for k, pr := range c.Performances {
		if have := len(perfs.byReq[k]); have < pr.Count {
			short = append(short, fmt.Sprintf("%d of %d%s", have, pr.Count, variantSuffix(pr)))
		}
		for _, p := range perfs.byReq[k] {
			if prev == nil || (!p.PerformedOn.Before(prev.SignedOn) && !slices.Contains(prev.Signature.PerformanceIDs, p.ID)) {
				ids = append(ids, p.ID)
			}
		}
	}
	if len(short) > 0 {
		return nil, fail(ErrCountShort, "",
			"%s needs more successful observed performances before sign-off: %s are on file. Superseded records and attempts with a missed critical step do not count.",
			c.Title, strings.Join(short, ", "))
	}

	if req.Kind == curriculum.ReverificationSignOff && c.Coverage == nil && len(c.Performances) > 0 && len(ids) == 0 {
		return nil, fail(ErrNoRecentEvidence, "",
			"A re-verification of %s needs at least one successful observed performance since the last sign-off on %s. Observe the apprentice first.", c.Title, ch.last.SignedOn)
	}

	testID, err := checkKnowledge(recs, ev, c, prev, day)
	if err != nil {
		return nil, err
	}

	covered, err := checkCoverage(c, req.Covered)
	if err != nil {
		return nil, err
	}

	// The canonical form joins lists with commas (see CanonicalSignature).
	for _, id := range slices.Concat(ids, covered, []string{testID}) {
		if strings.ContainsAny(id, ",\n") {
			return nil, fail(ErrInvalidEnrollment, "", "A record id contains a comma or line break and cannot be signed. Report this to your administrator.")
		}
	}
	slices.Sort(ids)
	so := &SignOff{
		EnrollmentID: e.ID,
		ApprenticeID: e.ApprenticeID,
		VersionID:    e.VersionID,
		Competency:   c.Code,
		Kind:         req.Kind,
		SignedOn:     day,
		Covered:      covered,
		Signature: Signature{
			SignerID:         signer.ID,
			PrintedName:      signer.Name,
			Credential:       signer.Credential,
			SignedAt:         utc(now),
			TimeZone:         pv.Location().String(),
			Meaning:          Meaning(req.Kind, req.ApprenticeName, c),
			PerformanceIDs:   ids,
			TestResultID:     testID,
			ChecklistVersion: c.ChecklistVersion,
		},
		AuthMethod:     req.AuthMethod,
		IdempotencyKey: req.IdempotencyKey,
	}
	so.Signature.Hash = SignatureHash(so)
	return so, nil
}

// storedSignOff returns the stored sign-off with the given id. Every
// counting sign-off in the evidence comes from recs.SignOffs, so it is
// found; the fallback only keeps a corrupt input from panicking.
func storedSignOff(recs *Records, id string) *SignOff {
	for i := range recs.SignOffs {
		if recs.SignOffs[i].ID == id {
			return &recs.SignOffs[i]
		}
	}
	return &SignOff{}
}

func variantSuffix(pr curriculum.PerformanceRequirement) string {
	switch {
	case pr.Title != "":
		return " " + pr.Title
	case pr.Variant != "":
		return " " + pr.Variant
	}
	return ""
}

// licenceTypes evaluates professional credentials (MD, RN, ...) that the
// program does not define as credential types with curriculum's own
// credential status rules: a licence is valid through the expiry date on
// its record. Compiled once per setting of CountUnverifiedCredentials.
var licenceTypes = func() func(countUnverified bool) *curriculum.Rules {
	var rules [2]*curriculum.Rules
	for i := range rules {
		v := &curriculum.Version{Number: 1, Status: curriculum.Draft, Program: curriculum.Program{
			Code: "LICENCES", Title: "Professional credentials", Type: curriculum.CompetencyBased,
			Settings: curriculum.Settings{CountUnverifiedCredentials: i == 1},
		}}
		for _, pc := range curriculum.ProfessionalCredentials {
			v.Program.CredentialTypes = append(v.Program.CredentialTypes, curriculum.CredentialType{Code: string(pc), Name: string(pc)})
		}
		r, err := curriculum.Compile(v)
		if err != nil {
			panic("assessments: cannot compile professional credential types: " + err.Error())
		}
		rules[i] = r
	}
	return func(countUnverified bool) *curriculum.Rules {
		if countUnverified {
			return rules[1]
		}
		return rules[0]
	}
}()

func checkSignerCredentials(pv *ProgramVersion, signer Signer, policy SignOffPolicy, day curriculum.Date) error {
	p := pv.Program()
	if signer.Credential != "" {
		code := string(signer.Credential)
		// A program may define the credential (CMA with its 60-month
		// validity); otherwise it is a licence valid to its printed expiry.
		rules := pv.Rules
		if p.CredentialType(code) == nil {
			rules = licenceTypes(p.Settings.CountUnverifiedCredentials)
		}
		st := rules.CredentialStatus(curriculum.CredentialRequirement{Credential: code}, signer.Records, curriculum.Date{}, day)
		if !st.Satisfied() {
			return fail(ErrSignerCredential, "signer_id", "You cannot sign today: %s. Ask HR to record your current %s, then sign again.",
				credentialProblem(code, st), code)
		}
	}
	for _, code := range policy.SignerMustHold {
		if p.CredentialType(code) == nil {
			return fmt.Errorf("assessments: sign-off policy requires credential %q, which program %s does not define", code, p.Code)
		}
		st := pv.Rules.CredentialStatus(curriculum.CredentialRequirement{Credential: code}, signer.Records, curriculum.Date{}, day)
		if !st.Satisfied() {
			return fail(ErrSignerCredential, "signer_id", "You cannot sign today: %s. Signers must hold a current %s.",
				credentialProblem(code, st), code)
		}
	}
	return nil
}

func credentialProblem(code string, st curriculum.CredentialState) string {
	switch st.Status {
	case curriculum.CredentialExpired:
		return fmt.Sprintf("your %s expired on %s", code, st.Expires)
	case curriculum.CredentialUnverified:
		return fmt.Sprintf("your %s record has not been verified by HR yet", code)
	}
	return fmt.Sprintf("no %s of yours is on file", code)
}

// checkPrerequisites requires every prerequisite, and through the engine its
// own prerequisites, to be signed off and current on day.
func checkPrerequisites(pv *ProgramVersion, ev *curriculum.Evidence, c *curriculum.Competency, day curriculum.Date) error {
	var missing []string
	for _, code := range c.Prerequisites {
		st, ok := pv.Standing(ev, code, day)
		if ok && st.Current {
			continue
		}
		title := code
		if pc := pv.Competency(code); pc != nil {
			title = pc.Title
		}
		if msgs := st.Decision.Messages(); len(msgs) > 0 {
			title += " (" + msgs[0] + ")"
		}
		missing = append(missing, title)
	}
	if len(missing) > 0 {
		return fail(ErrPrerequisiteNotCurrent, "",
			"%s cannot be signed off until its prerequisites are signed off and current. Not current: %s.", c.Title, strings.Join(missing, "; "))
	}
	return nil
}

// checkKnowledge requires a passed knowledge test when the competency has
// one, and returns the id of the latest passing result. For a
// re-verification (prev is the sign-off it follows) of a knowledge-only
// competency the pass must be new since prev.
func checkKnowledge(recs *Records, ev *curriculum.Evidence, c *curriculum.Competency, prev *SignOff, day curriculum.Date) (string, error) {
	kt := c.KnowledgeTest
	if kt == nil {
		return "", nil
	}
	pv := recs.Enrollment.Version
	var best float64
	var tested bool
	var pass *TestResult
	for i := range recs.Tests {
		t := &recs.Tests[i]
		if t.ApprenticeID != ev.PersonID || t.Competency != c.Code || !known(pv.Day(t.RecordedAt), t.TakenOn, day) {
			continue
		}
		if !tested || t.Score > best {
			best = t.Score
		}
		tested = true
		// Pass against the version's pass mark, as the engine does.
		if t.Score >= float64(kt.PassMark) && (pass == nil || !t.TakenOn.Before(pass.TakenOn)) {
			pass = t
		}
	}
	switch {
	case !tested:
		return "", fail(ErrKnowledgeTestNotPassed, "", "The %s knowledge test has not been taken; the pass mark is %d%%.", c.Title, kt.PassMark)
	case pass == nil:
		return "", fail(ErrKnowledgeTestNotPassed, "", "The best %s knowledge test score is %g%%, below the pass mark of %d%%.", c.Title, best, kt.PassMark)
	}
	if prev != nil && len(c.Performances) == 0 && c.Coverage == nil && (pass.TakenOn.Before(prev.SignedOn) || pass.ID == prev.Signature.TestResultID) {
		return "", fail(ErrNoRecentEvidence, "",
			"A re-verification of %s needs a knowledge test passed since the last sign-off on %s.", c.Title, prev.SignedOn)
	}
	return pass.ID, nil
}

// checkCoverage validates the covered items and returns them deduplicated
// and sorted.
func checkCoverage(c *curriculum.Competency, in []string) ([]string, error) {
	cv := c.Coverage
	if cv == nil {
		if len(in) > 0 {
			return nil, fail(ErrCoverage, "covered", "%s has no list of assessment elements or methods; leave it empty.", c.Title)
		}
		return nil, nil
	}
	out := slices.Clone(in)
	slices.Sort(out)
	out = slices.Compact(out)
	for _, code := range out {
		if !slices.ContainsFunc(cv.Items, func(it curriculum.CoverageItem) bool { return it.Code == code }) {
			return nil, fail(ErrCoverage, "covered", "%q is not one of the assessment elements or methods of %s.", code, c.Title)
		}
	}
	if covers(cv, out) {
		return out, nil
	}
	var missing []string
	for _, it := range cv.Items {
		if !slices.Contains(out, it.Code) {
			missing = append(missing, it.Title)
		}
	}
	if cv.Mode == curriculum.CoverAny {
		return nil, fail(ErrCoverage, "covered", "The %s assessment must use at least %d of the listed methods; %d were covered.", c.Title, cv.Min, len(out))
	}
	return nil, fail(ErrCoverage, "covered", "The %s assessment must cover every element; not covered: %s.", c.Title, strings.Join(missing, "; "))
}
