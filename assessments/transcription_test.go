package assessments

import (
	"testing"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// Transcriptions: dated the day on the paper (before the enrollment's
// start too, never in the future), marked, attested by a credential the
// competency's rule allows, never of one's own records; a paper sign-off
// is kept but counts only where the program allows it, and counts from
// its paper date in the evidence once entered (a late entry).
func TestTranscriptions(t *testing.T) {
	e := newEnv(t)
	now := at(d("2026-03-20"))
	req := TranscriptionRequest{IdempotencyKey: e.next("transcribe"), Competency: "PHL-VENI", PerformedOn: d("2025-11-03"), Successful: true,
		AttestedBy: "Rita Paper", AttesterCredential: curriculum.RN, SourceNote: "binder 2, p. 4"}
	o, err := NewTranscribedObservation(e.enr, director, req, now)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Successful || o.TranscribedBy != director.ID || o.ObserverName != "Rita Paper" || o.PerformedOn != d("2025-11-03") || o.SourceNote != "binder 2, p. 4" {
		t.Fatalf("transcribed observation: %+v", o)
	}
	bad := req
	bad.PerformedOn = d("2026-03-21")
	_, err = NewTranscribedObservation(e.enr, director, bad, now)
	wantErr(t, err, ErrFutureDate)
	_, err = NewTranscribedObservation(e.enr, apprentice, req, now)
	wantErr(t, err, ErrSelfObservation)
	bad = req
	bad.AttestedBy = " "
	_, err = NewTranscribedObservation(e.enr, director, bad, now)
	wantErr(t, err, ErrMissingField)

	preq := PaperSignOffRequest{IdempotencyKey: e.next("paper-signoff"), Competency: "SAF-HIPAA", SignedOn: d("2026-03-02"), PrintedName: "Dr. Paper", Credential: curriculum.MD}
	p, err := NewPaperSignOff(e.enr, director, preq, now)
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != curriculum.InitialSignOff || p.Counts(e.pv) {
		t.Fatalf("paper sign-off in a program that wants e-signatures: %+v counts %v", p, p.Counts(e.pv))
	}
	p.ID = "paper-1"
	e.recs.PaperSignOffs = append(e.recs.PaperSignOffs, *p)
	ev := BuildEvidence(e.recs)
	if so := ev.SignOffs[len(ev.SignOffs)-1]; !so.Paper || so.SignedOn != d("2026-03-02") || so.RecordedOn != d("2026-03-20") {
		t.Fatalf("paper sign-off in the evidence: %+v", so)
	}
	if len(e.recs.KnownAt(at(d("2026-03-19"))).PaperSignOffs) != 0 {
		t.Fatal("a paper sign-off entered on the 20th is known on the 19th")
	}
	bad2 := preq
	bad2.Credential = curriculum.CCMA
	bad2.Competency = "PHL-VENI"
	_, err = NewPaperSignOff(e.enr, director, bad2, now)
	wantErr(t, err, ErrSignerNotAuthorized)
}

// Self-logs, hours and tests from paper: counted as verified, approved
// and taken on the day on the paper, marked with who transcribed them,
// refused for one's own records or in the future; a paper sign-off's
// revocation ends it from its effective day in the evidence, and never
// before the day on the form.
func TestPaperSelfLogsHoursTestsAndRevocation(t *testing.T) {
	e := newEnv(t)
	now := at(d("2026-03-20"))
	l, err := NewTranscribedSelfLog(e.enr, director, PaperSelfLogRequest{IdempotencyKey: e.next("log"), Competency: "PHL-VENI",
		PerformedOn: d("2025-11-03"), AttestedBy: "Rita Paper", AttesterCredential: curriculum.RN}, now)
	if err != nil {
		t.Fatal(err)
	}
	if l.Status != SelfLogVerified || l.TranscribedBy != director.ID || l.ReviewerName != "Rita Paper" || !l.ReviewedAt.Equal(now) {
		t.Fatalf("transcribed self-log: %+v", l)
	}
	_, err = NewTranscribedSelfLog(e.enr, director, PaperSelfLogRequest{IdempotencyKey: e.next("log"), Competency: "PHL-VENI",
		PerformedOn: d("2025-11-03"), AttestedBy: "Pat", AttesterCredential: curriculum.ProfessionalCredential("none")}, now)
	wantErr(t, err, ErrAttesterNotAllowed)
	h, err := NewTranscribedHours(e.enr, director, PaperHoursRequest{IdempotencyKey: e.next("hours"), Kind: OJL, Code: e.pv.Program().WorkProcesses[0].Code,
		WorkedOn: d("2025-11-03"), Minutes: 450, AttestedBy: "Pat Supervisor"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if h.Status != HoursApproved || h.TranscribedBy != director.ID || h.ReviewerName != "Pat Supervisor" {
		t.Fatalf("transcribed hours: %+v", h)
	}
	_, err = NewTranscribedHours(e.enr, apprentice, PaperHoursRequest{IdempotencyKey: e.next("hours"), Kind: OJL, Code: h.Code,
		WorkedOn: d("2025-11-03"), Minutes: 450, AttestedBy: "Pat"}, now)
	wantErr(t, err, ErrSelfObservation)
	tr, err := NewTranscribedTest(e.enr, director, PaperTestRequest{IdempotencyKey: e.next("test"), Competency: "SAF-HIPAA", Score: 90,
		TakenOn: d("2025-11-03"), AttestedBy: "Dr. Grader"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if tr.TranscribedBy != director.ID || tr.AttestedBy != "Dr. Grader" || !tr.Passed() {
		t.Fatalf("transcribed test: %+v", tr)
	}
	_, err = NewTranscribedTest(e.enr, director, PaperTestRequest{IdempotencyKey: e.next("test"), Competency: "SAF-HIPAA", Score: 90,
		TakenOn: d("2026-03-21"), AttestedBy: "Dr. Grader"}, now)
	wantErr(t, err, ErrFutureDate)

	p, err := NewPaperSignOff(e.enr, director, PaperSignOffRequest{IdempotencyKey: e.next("paper"), Competency: "SAF-HIPAA", SignedOn: d("2026-03-02"),
		PrintedName: "Dr. Paper", Credential: curriculum.MD}, now)
	if err != nil {
		t.Fatal(err)
	}
	p.ID = "paper-1"
	_, err = RevokePaper(p, nil, director, RevocationRequest{IdempotencyKey: e.next("revoke"), Reason: "unsigned", EffectiveOn: d("2026-03-01")}, time.UTC, now)
	wantErr(t, err, ErrRevocationDate)
	rv, err := RevokePaper(p, nil, director, RevocationRequest{IdempotencyKey: e.next("revoke"), Reason: "unsigned", EffectiveOn: d("2026-03-10")}, time.UTC, now)
	if err != nil {
		t.Fatal(err)
	}
	if !rv.Paper || rv.SignOffID != p.ID {
		t.Fatalf("revocation of a paper sign-off: %+v", rv)
	}
	_, err = RevokePaper(p, []Revocation{*rv}, director, RevocationRequest{IdempotencyKey: e.next("revoke"), Reason: "again"}, time.UTC, now)
	wantErr(t, err, ErrAlreadyRevoked)
	e.recs.PaperSignOffs = append(e.recs.PaperSignOffs, *p)
	e.recs.Revocations = append(e.recs.Revocations, *rv)
	ev := BuildEvidence(e.recs)
	if so := ev.SignOffs[len(ev.SignOffs)-1]; !so.Paper || so.RevokedFrom != d("2026-03-10") {
		t.Fatalf("revoked paper sign-off in the evidence: %+v", so)
	}
}
