package assessments

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// readyForINJ returns an env in which INJ can be signed off on 2026-03-10:
// its prerequisites (SAF-INFECT, SAF-BBP, MED-ADMIN) are signed off, and
// 10 each of IM, SUBQ and ID injections and a passed test are on file.
func readyForINJ(t *testing.T) *env {
	e := newEnv(t)
	e.complete("SAF-INFECT", d("2026-02-02"))
	e.complete("SAF-BBP", d("2026-02-03"))
	e.complete("MED-ADMIN", d("2026-02-04"))
	for _, v := range []string{"IM", "SUBQ", "ID"} {
		e.observe("INJ", v, d("2026-03-02"), 10)
	}
	e.testResult("INJ", 85, d("2026-03-03"))
	return e
}

func withRecords(r *Records, fn func(*Records)) *Records {
	c := *r
	c.Observations = slices.Clone(r.Observations)
	c.SelfLogs = slices.Clone(r.SelfLogs)
	c.Tests = slices.Clone(r.Tests)
	c.SignOffs = slices.Clone(r.SignOffs)
	c.Revocations = slices.Clone(r.Revocations)
	if fn != nil {
		fn(&c)
	}
	return &c
}

func signerWith(a Actor, recs ...curriculum.CredentialRecord) Signer {
	return Signer{Actor: a, Records: recs}
}

func TestCheckSignOffInitial(t *testing.T) {
	e := readyForINJ(t)
	day := d("2026-03-10")
	now := at(day)
	rn := nurseSigner.Records[0]
	expiredRN := rn
	expiredRN.ExpiresOn = d("2026-02-28")
	unverifiedRN := rn
	unverifiedRN.Verified = false
	renewedRN := rn
	renewedRN.ID, renewedRN.IssuedOn, renewedRN.ExpiresOn = "lic-rn-2", d("2026-02-20"), d("2028-02-29")
	bls := curriculum.CredentialRecord{ID: "bls-1", Type: "BLS", IssuedOn: d("2024-03-05"), Verified: true} // valid through 2026-03-31
	oldBLS := bls
	oldBLS.IssuedOn = d("2024-02-05") // valid through 2026-02-28

	dropIM := func(r *Records) {
		i := slices.IndexFunc(r.Observations, func(o Observation) bool { return o.Competency == "INJ" && o.Variant == "IM" })
		r.Observations = slices.Delete(r.Observations, i, i+1)
	}
	correctIM := func(r *Records) {
		i := slices.IndexFunc(r.Observations, func(o Observation) bool { return o.Competency == "INJ" && o.Variant == "IM" })
		req := e.obsRequest("INJ", "IM", r.Observations[i].PerformedOn)
		req.Steps = e.steps("INJ", criticalStep(t, e.comp("INJ")))
		req.Supersedes, req.CorrectionReason = r.Observations[i].ID, "Missed patient identification; recorded in error as met."
		fix, err := NewObservation(e.enr, nurse, req, r.Observations, at(d("2026-03-05")))
		if err != nil {
			t.Fatal(err)
		}
		fix.ID = "obs-fix"
		r.Observations = append(r.Observations, *fix)
	}
	dropSignOff := func(code string) func(*Records) {
		return func(r *Records) {
			r.SignOffs = slices.DeleteFunc(r.SignOffs, func(s SignOff) bool { return s.Competency == code })
		}
	}
	revoke := func(code string, from curriculum.Date) func(*Records) {
		return func(r *Records) {
			i := slices.IndexFunc(r.SignOffs, func(s SignOff) bool { return s.Competency == code })
			r.Revocations = append(r.Revocations, Revocation{ID: "rev-1", SignOffID: r.SignOffs[i].ID, ApprenticeID: apprentice.ID,
				Competency: code, EffectiveOn: from, RecordedAt: at(from)})
		}
	}
	setTest := func(score float64) func(*Records) {
		return func(r *Records) {
			r.Tests = slices.DeleteFunc(r.Tests, func(x TestResult) bool { return x.Competency == "INJ" })
			if score >= 0 {
				r.Tests = append(r.Tests, TestResult{ID: "test-x", ApprenticeID: apprentice.ID, Competency: "INJ", Score: score, PassMark: 80,
					TakenOn: d("2026-03-03"), RecordedAt: at(d("2026-03-03"))})
			}
		}
	}

	tests := []struct {
		name    string
		signer  Signer
		mod     func(*SignOffRequest)
		records func(*Records)
		policy  SignOffPolicy
		now     time.Time
		want    *Error
		msg     string // a fragment the message must contain
	}{
		{name: "valid", signer: nurseSigner},
		{name: "bad key", signer: nurseSigner, mod: func(r *SignOffRequest) { r.IdempotencyKey = "x" }, want: ErrInvalidIdempotencyKey},
		{name: "self sign-off", signer: signerWith(Actor{ID: apprentice.ID, Name: apprentice.Name, Credential: curriculum.RN}, rn), want: ErrSelfSignOff},
		{name: "CMA may not sign off injections", signer: signerWith(cma), want: ErrSignerNotAuthorized},
		{name: "no printed name", signer: signerWith(Actor{ID: nurse.ID, Credential: curriculum.RN}, rn), want: ErrMissingField},
		{name: "no apprentice name", signer: nurseSigner, mod: func(r *SignOffRequest) { r.ApprenticeName = " " }, want: ErrMissingField},
		{name: "unknown competency", signer: nurseSigner, mod: func(r *SignOffRequest) { r.Competency = "INJ-X" }, want: ErrUnknownCompetency},
		{name: "bad kind", signer: nurseSigner, mod: func(r *SignOffRequest) { r.Kind = "final" }, want: ErrInvalidKind},
		{name: "expired licence", signer: signerWith(nurse, expiredRN), want: ErrSignerCredential, msg: "expired on 2026-02-28"},
		{name: "unverified licence", signer: signerWith(nurse, unverifiedRN), want: ErrSignerCredential, msg: "not been verified"},
		{name: "no licence on file", signer: signerWith(nurse), want: ErrSignerCredential},
		{name: "renewed licence", signer: signerWith(nurse, expiredRN, renewedRN)},
		{name: "licence expires the signing day", signer: signerWith(nurse, func() curriculum.CredentialRecord { r := rn; r.ExpiresOn = day; return r }())},
		{name: "BLS required and valid", signer: signerWith(nurse, rn, bls), policy: SignOffPolicy{SignerMustHold: []string{"BLS"}}},
		{name: "BLS required, expired", signer: signerWith(nurse, rn, oldBLS), policy: SignOffPolicy{SignerMustHold: []string{"BLS"}}, want: ErrSignerCredential, msg: "BLS expired on 2026-02-28"},
		{name: "BLS required, missing", signer: nurseSigner, policy: SignOffPolicy{SignerMustHold: []string{"BLS"}}, want: ErrSignerCredential},
		{name: "9 of 10 IM", signer: nurseSigner, records: dropIM, want: ErrCountShort, msg: "9 of 10 intramuscular"},
		{name: "superseded IM does not count", signer: nurseSigner, records: correctIM, want: ErrCountShort, msg: "9 of 10 intramuscular"},
		{name: "prerequisite not signed off", signer: nurseSigner, records: dropSignOff("MED-ADMIN"), want: ErrPrerequisiteNotCurrent, msg: "Medication administration"},
		{name: "prerequisite revoked", signer: nurseSigner, records: revoke("SAF-BBP", d("2026-03-09")), want: ErrPrerequisiteNotCurrent, msg: "bloodborne"},
		{name: "prerequisite revoked later", signer: nurseSigner, records: revoke("SAF-BBP", d("2026-03-11"))},
		{name: "transitive prerequisite", signer: nurseSigner, records: dropSignOff("SAF-INFECT"), want: ErrPrerequisiteNotCurrent},
		{name: "test failed", signer: nurseSigner, records: setTest(75), want: ErrKnowledgeTestNotPassed, msg: "75%"},
		{name: "test not taken", signer: nurseSigner, records: setTest(-1), want: ErrKnowledgeTestNotPassed},
		{name: "test at pass mark", signer: nurseSigner, records: setTest(80)},
		{name: "coverage on a competency without a rule", signer: nurseSigner, mod: func(r *SignOffRequest) { r.Covered = []string{"WRITTEN-TEST"} }, want: ErrCoverage},
		{name: "withdrawn", signer: nurseSigner, records: func(r *Records) { en := *r.Enrollment; en.Status = EnrollmentWithdrawn; r.Enrollment = &en }, want: ErrEnrollmentInactive},
		{name: "evidence recorded after the signing day does not count", signer: nurseSigner, now: at(d("2026-03-01")), want: ErrCountShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := e.signReq("INJ", curriculum.InitialSignOff)
			if tt.mod != nil {
				tt.mod(&req)
			}
			n := now
			if !tt.now.IsZero() {
				n = tt.now
			}
			so, err := CheckSignOff(req, tt.signer, withRecords(e.recs, tt.records), tt.policy, n)
			wantErr(t, err, tt.want)
			if err != nil {
				if tt.msg != "" && !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("message %q does not mention %q", err, tt.msg)
				}
				return
			}
			if so.SignedOn != day || so.Kind != curriculum.InitialSignOff || so.Competency != "INJ" {
				t.Errorf("sign-off = %+v", so)
			}
		})
	}
}

func criticalStep(t *testing.T, c *curriculum.Competency) int {
	for i, s := range c.Checklist {
		if s.Critical {
			return i
		}
	}
	t.Fatalf("%s has no critical step", c.Code)
	return -1
}

func TestCheckSignOffRecord(t *testing.T) {
	e := readyForINJ(t)
	now := time.Date(2026, 3, 10, 18, 4, 5, 123456789, time.UTC)
	so, err := CheckSignOff(e.signReq("INJ", curriculum.InitialSignOff), nurseSigner, e.recs, SignOffPolicy{}, now)
	if err != nil {
		t.Fatal(err)
	}
	s := so.Signature
	const meaning = "I attest that Ana Alvarez demonstrated competency in Intramuscular, subcutaneous and intradermal injections per checklist version 1"
	if s.Meaning != meaning {
		t.Errorf("meaning = %q", s.Meaning)
	}
	if s.SignerID != nurse.ID || s.PrintedName != nurse.Name || s.Credential != curriculum.RN || s.ChecklistVersion != 1 {
		t.Errorf("signer fields: %+v", s)
	}
	if !s.SignedAt.Equal(now.Truncate(time.Microsecond)) || s.SignedAt.Location() != time.UTC || s.TimeZone != "America/New_York" {
		t.Errorf("signed at %v (%s)", s.SignedAt, s.TimeZone)
	}
	if len(s.PerformanceIDs) != 30 || !slices.IsSorted(s.PerformanceIDs) {
		t.Errorf("performance ids = %v", s.PerformanceIDs)
	}
	if s.TestResultID == "" || s.Hash != SignatureHash(so) || len(s.Hash) != 64 {
		t.Errorf("test %q hash %q", s.TestResultID, s.Hash)
	}
	if got := s.Local().Format("2006-01-02 15:04 MST"); got != "2026-03-10 14:04 EDT" {
		t.Errorf("Local = %s", got)
	}

	// Stored, a second initial sign-off is refused.
	so.ID = "so-inj"
	e.recs.SignOffs = append(e.recs.SignOffs, *so)
	_, err = CheckSignOff(e.signReq("INJ", curriculum.InitialSignOff), nurseSigner, e.recs, SignOffPolicy{}, now.Add(time.Hour))
	wantErr(t, err, ErrAlreadySignedOff)
	// After a revocation, a new initial sign-off is possible.
	e.recs.Revocations = append(e.recs.Revocations, Revocation{ID: "rev", SignOffID: so.ID, ApprenticeID: apprentice.ID, EffectiveOn: d("2026-03-11"), RecordedAt: at(d("2026-03-11"))})
	_, err = CheckSignOff(e.signReq("INJ", curriculum.InitialSignOff), nurseSigner, e.recs, SignOffPolicy{}, at(d("2026-03-12")))
	wantErr(t, err, nil)
}

func TestCheckSignOffReverification(t *testing.T) {
	e := newEnv(t)
	// Before any sign-off, a re-verification is refused.
	e.observe("SAF-INFECT", "", d("2026-02-02"), 3)
	e.testResult("SAF-INFECT", 90, d("2026-02-02"))
	_, err := CheckSignOff(e.signReq("SAF-INFECT", curriculum.ReverificationSignOff), nurseSigner, e.recs, SignOffPolicy{}, at(d("2026-02-03")))
	wantErr(t, err, ErrNoInitialSignOff)

	initial := e.signOff("SAF-INFECT", curriculum.InitialSignOff, d("2026-02-03"))
	if len(initial.Signature.PerformanceIDs) != 3 {
		t.Fatalf("initial rests on %v", initial.Signature.PerformanceIDs)
	}
	// No new performance since the initial sign-off.
	_, err = CheckSignOff(e.signReq("SAF-INFECT", curriculum.ReverificationSignOff), nurseSigner, e.recs, SignOffPolicy{}, at(d("2026-03-16")))
	wantErr(t, err, ErrNoRecentEvidence)

	fresh := e.observe("SAF-INFECT", "", d("2026-03-16"), 1)[0]
	so, err := CheckSignOff(e.signReq("SAF-INFECT", curriculum.ReverificationSignOff), nurseSigner, e.recs, SignOffPolicy{}, at(d("2026-03-16")))
	wantErr(t, err, nil)
	if !slices.Equal(so.Signature.PerformanceIDs, []string{fresh.ID}) {
		t.Errorf("re-verification rests on %v, want only %s", so.Signature.PerformanceIDs, fresh.ID)
	}
	want := "I attest that Ana Alvarez demonstrated continued competency in Infection control and PPE per checklist version 1 (re-verification)"
	if so.Signature.Meaning != want {
		t.Errorf("meaning = %q", so.Signature.Meaning)
	}

	// A revoked initial sign-off cannot be re-verified.
	e.recs.Revocations = append(e.recs.Revocations, Revocation{ID: "rev", SignOffID: initial.ID, ApprenticeID: apprentice.ID,
		EffectiveOn: d("2026-03-01"), RecordedAt: at(d("2026-03-01"))})
	_, err = CheckSignOff(e.signReq("SAF-INFECT", curriculum.ReverificationSignOff), nurseSigner, e.recs, SignOffPolicy{}, at(d("2026-03-16")))
	wantErr(t, err, ErrNoInitialSignOff)
}

func TestCheckSignOffReverificationNeedsSchedule(t *testing.T) {
	pv := customVersion(t, func(p *curriculum.Program) {
		p.Competency("VS-MEASURE").Reverification = curriculum.Reverification{}
	})
	e := newEnv(t)
	e.pv = pv
	e.enr.Version, e.enr.VersionID = pv, pv.ID
	e.complete("VS-MEASURE", d("2026-02-02"))
	e.observe("VS-MEASURE", "", d("2026-03-02"), 1)
	_, err := CheckSignOff(e.signReq("VS-MEASURE", curriculum.ReverificationSignOff), nurseSigner, e.recs, SignOffPolicy{}, at(d("2026-03-03")))
	wantErr(t, err, ErrNoReverificationSchedule)
}

func TestCheckSignOffKnowledgeOnly(t *testing.T) {
	e := newEnv(t)
	e.testResult("SAF-HIPAA", 95, d("2026-01-10"))
	so := e.signOff("SAF-HIPAA", curriculum.InitialSignOff, d("2026-01-10"))
	if so.Signature.Meaning != "I attest that Ana Alvarez demonstrated competency in HIPAA privacy and security" {
		t.Errorf("meaning = %q", so.Signature.Meaning)
	}
	// A CMA may sign HIPAA off (program rule), with a valid CMA record.
	cmaRec := curriculum.CredentialRecord{ID: "cma-rec", Type: "CMA", IssuedOn: d("2022-05-01"), Verified: true} // 60 months: to 2027-05-01
	_, err := CheckSignOff(e.signReq("SAF-HIPAA", curriculum.ReverificationSignOff), signerWith(cma, cmaRec), e.recs, SignOffPolicy{}, at(d("2027-01-05")))
	wantErr(t, err, ErrNoRecentEvidence)
	e.testResult("SAF-HIPAA", 88, d("2027-01-05"))
	_, err = CheckSignOff(e.signReq("SAF-HIPAA", curriculum.ReverificationSignOff), signerWith(cma, cmaRec), e.recs, SignOffPolicy{}, at(d("2027-01-05")))
	wantErr(t, err, nil)
	// The program's CMA validity applies: by mid-2027 it has expired.
	_, err = CheckSignOff(e.signReq("SAF-HIPAA", curriculum.ReverificationSignOff), signerWith(cma, cmaRec), e.recs, SignOffPolicy{}, at(d("2027-06-01")))
	wantErr(t, err, ErrSignerCredential)
}

func TestCheckSignOffCoverage(t *testing.T) {
	e := newEnv(t)
	e.complete("SAF-BBP", d("2026-02-02"))
	e.complete("LAB-SPEC", d("2026-02-03"))
	for _, v := range []string{"UA", "STREP", "GLUCOSE", "HCG"} {
		e.observe("LAB-WAIVED", v, d("2026-03-02"), 3)
	}
	e.testResult("LAB-WAIVED", 100, d("2026-03-02"))
	tests := []struct {
		covered []string
		want    *Error
	}{
		{nil, ErrCoverage},
		{[]string{"BLIND-SPECIMEN"}, ErrCoverage},
		{[]string{"BLIND-SPECIMEN", "BLIND-SPECIMEN"}, ErrCoverage},
		{[]string{"BLIND-SPECIMEN", "DIRECT-OBSERVATION"}, ErrCoverage},
		{[]string{"WRITTEN-TEST", "BLIND-SPECIMEN"}, nil},
		{[]string{"WRITTEN-TEST", "BLIND-SPECIMEN", "QC-MONITORING", "PERIODIC-OBSERVATION"}, nil},
	}
	for _, tt := range tests {
		req := e.signReq("LAB-WAIVED", curriculum.InitialSignOff)
		req.Covered = tt.covered
		so, err := CheckSignOff(req, nurseSigner, e.recs, SignOffPolicy{}, at(d("2026-03-03")))
		wantErr(t, err, tt.want)
		if err == nil && !slices.IsSorted(so.Covered) {
			t.Errorf("covered not sorted: %v", so.Covered)
		}
	}
}

// customVersion publishes and compiles the shipped program changed by fn.
func customVersion(t *testing.T, fn func(*curriculum.Program)) *ProgramVersion {
	t.Helper()
	v, err := curriculum.MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Edit(func(p *curriculum.Program) error { fn(p); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := v.Publish(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	rules, err := curriculum.Compile(v)
	if err != nil {
		t.Fatal(err)
	}
	pv, err := NewProgramVersion("ver-custom", rules)
	if err != nil {
		t.Fatal(err)
	}
	return pv
}

// A re-verification on the day of the initial sign-off is refused with a
// reason (the engine would not count it: it counts re-verifications from
// the day after); the next day it is accepted and counts.
func TestCheckSignOffReverificationSameDay(t *testing.T) {
	e := newEnv(t)
	e.observe("SAF-INFECT", "", d("2026-02-02"), 3)
	e.testResult("SAF-INFECT", 90, d("2026-02-02"))
	e.signOff("SAF-INFECT", curriculum.InitialSignOff, d("2026-02-03"))
	e.observe("SAF-INFECT", "", d("2026-02-03"), 1)
	_, err := CheckSignOff(e.signReq("SAF-INFECT", curriculum.ReverificationSignOff), nurseSigner, e.recs, SignOffPolicy{}, at(d("2026-02-03")))
	wantErr(t, err, ErrReverificationSameDay)
	var ae *Error
	if !errors.As(err, &ae) || ae.Field != "kind" || !strings.Contains(ae.Message, "signed off today (2026-02-03)") || !strings.Contains(ae.Message, "due by 2029-02-03") {
		t.Fatalf("message: %v", err)
	}
	so, err := CheckSignOff(e.signReq("SAF-INFECT", curriculum.ReverificationSignOff), nurseSigner, e.recs, SignOffPolicy{}, at(d("2026-02-04")))
	wantErr(t, err, nil)
	if so.SignedOn != d("2026-02-04") {
		t.Fatalf("signed on %s", so.SignedOn)
	}
}
