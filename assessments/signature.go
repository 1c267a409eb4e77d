package assessments

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// Signature is the electronic signature on a sign-off, following the
// 21 CFR Part 11 pattern: it shows who signed (id, printed name,
// credential), when (to the microsecond, with the organisation's zone for
// display), what it means (Meaning, shown on every printout and export),
// and what it rests on (the evidence ids and checklist version). Hash binds
// all of that to the sign-off, so the signature cannot be copied onto other
// evidence, and no field can change unnoticed (see SignatureHash and
// VerifySignature).
//
// Re-authentication at signing (password again) is the HTTP layer's job;
// this record is what it produces once the signer has proved who they are.
type Signature struct {
	SignerID    string                            `json:"signer_id"`
	PrintedName string                            `json:"printed_name"`
	Credential  curriculum.ProfessionalCredential `json:"credential"`
	// SignedAt is the instant of signing, UTC, truncated to microseconds
	// (what PostgreSQL stores, so the hash survives a round trip).
	SignedAt time.Time `json:"signed_at"`
	// TimeZone is the IANA zone in which SignedOn was counted and SignedAt
	// is shown to people.
	TimeZone string `json:"time_zone"`
	Meaning  string `json:"meaning"`
	// PerformanceIDs are the observations and verified self-logs the
	// sign-off rests on, sorted; TestResultID is the passing knowledge test,
	// if the competency has one.
	PerformanceIDs   []string `json:"performance_ids"`
	TestResultID     string   `json:"test_result_id"`
	ChecklistVersion int      `json:"checklist_version"`
	// Hash is the lowercase hex SHA-256 of CanonicalSignature.
	Hash string `json:"hash"`
}

// Local returns SignedAt in the signature's zone, for display ("14 Mar 2026
// 09:30 EDT"); UTC if the zone cannot be loaded.
func (s *Signature) Local() time.Time {
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return s.SignedAt.UTC()
	}
	return s.SignedAt.In(loc)
}

// Meaning returns the statement a sign-off means, with the apprentice's
// printed name and the competency's title:
//
//	initial:         I attest that NAME demonstrated competency in TITLE per checklist version V
//	re-verification: I attest that NAME demonstrated continued competency in TITLE per checklist version V (re-verification)
//
// A competency without a checklist (knowledge-only, such as HIPAA) has no
// checklist version, so " per checklist version V" is left out.
func Meaning(kind curriculum.SignOffKind, apprenticeName string, c *curriculum.Competency) string {
	var b strings.Builder
	b.WriteString("I attest that ")
	b.WriteString(apprenticeName)
	b.WriteString(" demonstrated ")
	if kind == curriculum.ReverificationSignOff {
		b.WriteString("continued ")
	}
	b.WriteString("competency in ")
	b.WriteString(c.Title)
	if len(c.Checklist) > 0 {
		b.WriteString(" per checklist version ")
		b.WriteString(strconv.Itoa(c.ChecklistVersion))
	}
	if kind == curriculum.ReverificationSignOff {
		b.WriteString(" (re-verification)")
	}
	return b.String()
}

// SignatureFormat is the first line of the canonical serialisation. A new
// format gets a new name; signatures keep the format they were made with.
const SignatureFormat = "skillgate-signature/1"

// signatureTimeLayout is RFC 3339 in UTC with exactly six fractional digits.
const signatureTimeLayout = "2006-01-02T15:04:05.000000Z"

// CanonicalSignature returns the bytes SignatureHash hashes. The format is
// stable across releases; changing anything below breaks every stored
// signature, so a change needs a new SignatureFormat.
//
// It is UTF-8 text: the line "skillgate-signature/1\n", then one line per
// field in exactly this order, each written as
//
//	name=LEN:VALUE\n
//
// where LEN is the length of VALUE in bytes, in decimal without leading
// zeros. The length prefix makes the encoding unambiguous even when a value
// (a name, the meaning) contains "=", ":" or a newline. The fields, in
// order:
//
//	 1 enrollment_id      SignOff.EnrollmentID
//	 2 apprentice_id      SignOff.ApprenticeID
//	 3 version_id         SignOff.VersionID (the program version)
//	 4 competency         SignOff.Competency (code)
//	 5 kind               "initial" or "reverification"
//	 6 signed_on          SignOff.SignedOn, YYYY-MM-DD
//	 7 covered            coverage item codes, sorted bytewise, joined by ","
//	 8 signer_id          Signature.SignerID
//	 9 printed_name       Signature.PrintedName
//	10 credential         Signature.Credential ("" when none)
//	11 signed_at          Signature.SignedAt in UTC, RFC 3339 with exactly
//	                      six fractional digits: 2026-03-14T13:30:05.123456Z
//	                      (sub-microsecond digits are dropped, not rounded)
//	12 time_zone          Signature.TimeZone
//	13 meaning            Signature.Meaning
//	14 checklist_version  Signature.ChecklistVersion in decimal
//	15 performances       PerformanceIDs, sorted bytewise, joined by ","
//	16 knowledge_test     Signature.TestResultID ("" when none)
//
// Lists are sorted so that the order storage returns them in does not
// matter; ids and codes never contain "," (CheckSignOff refuses them), so
// the joined form is unambiguous. Numbers are plain decimal. Nothing else
// (the sign-off's own ID, its idempotency key, the hash) is included: the
// hash binds the content, and storage links the row to it.
func CanonicalSignature(so *SignOff) []byte {
	s := &so.Signature
	var b []byte
	b = append(b, SignatureFormat...)
	b = append(b, '\n')
	field := func(name, value string) { b = appendField(b, name, value) }
	field("enrollment_id", so.EnrollmentID)
	field("apprentice_id", so.ApprenticeID)
	field("version_id", so.VersionID)
	field("competency", so.Competency)
	field("kind", string(so.Kind))
	field("signed_on", so.SignedOn.String())
	field("covered", sortedJoin(so.Covered))
	field("signer_id", s.SignerID)
	field("printed_name", s.PrintedName)
	field("credential", string(s.Credential))
	field("signed_at", s.SignedAt.UTC().Truncate(time.Microsecond).Format(signatureTimeLayout))
	field("time_zone", s.TimeZone)
	field("meaning", s.Meaning)
	field("checklist_version", strconv.Itoa(s.ChecklistVersion))
	field("performances", sortedJoin(s.PerformanceIDs))
	field("knowledge_test", s.TestResultID)
	return b
}

func sortedJoin(ss []string) string {
	c := slices.Clone(ss)
	slices.Sort(c)
	return strings.Join(c, ",")
}

// SignatureHash returns the lowercase hex SHA-256 of CanonicalSignature(so):
// the value CheckSignOff stores in so.Signature.Hash.
func SignatureHash(so *SignOff) string {
	sum := sha256.Sum256(CanonicalSignature(so))
	return hex.EncodeToString(sum[:])
}

// SignedEvidence is the evidence storage finds linked to a sign-off when it
// is read back: the performances (observations and self-logs) and the test
// result the sign-off's evidence links point at.
type SignedEvidence struct {
	Observations []Observation
	SelfLogs     []SelfLog
	Test         *TestResult
}

// VerifySignature checks that the sign-off's signature still matches it:
// every linked evidence record belongs to the sign-off's apprentice and
// competency, and the hash recomputed over the sign-off's content with the
// ids of the evidence actually linked equals the stored hash. So a changed
// meaning, time, signer or competency, a signature copied onto another
// sign-off, or evidence links moved, added or removed all fail. It returns
// nil or an *Error with code ErrSignatureMismatch.
func VerifySignature(so *SignOff, ev SignedEvidence) error {
	mismatch := fail(ErrSignatureMismatch, "",
		"The signature of %s on this %s sign-off does not match the record. Do not rely on this sign-off; report it to your administrator.",
		so.Signature.PrintedName, so.Competency)
	var ids []string
	for i := range ev.Observations {
		o := &ev.Observations[i]
		if o.ApprenticeID != so.ApprenticeID || o.Competency != so.Competency {
			return mismatch
		}
		ids = append(ids, o.ID)
	}
	for i := range ev.SelfLogs {
		l := &ev.SelfLogs[i]
		if l.ApprenticeID != so.ApprenticeID || l.Competency != so.Competency || l.Status != SelfLogVerified {
			return mismatch
		}
		ids = append(ids, l.ID)
	}
	test := ""
	if ev.Test != nil {
		if ev.Test.ApprenticeID != so.ApprenticeID || ev.Test.Competency != so.Competency {
			return mismatch
		}
		test = ev.Test.ID
	}
	check := *so
	check.Signature.PerformanceIDs = ids
	check.Signature.TestResultID = test
	if SignatureHash(&check) != so.Signature.Hash {
		return mismatch
	}
	return nil
}
