package assessments

import (
	"testing"

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
