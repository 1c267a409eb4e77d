package clearance

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/skillgate/skillgate/curriculum"
)

// TestPackedEvidenceUnpacksAsGiven packs random evidence (every field,
// zero and far dates, corrections, revocations, paper sign-offs) and reads
// it back: equal to what was packed, but for what the engine never reads
// (a performance's id that nothing supersedes, a sign-off's and a
// credential's id, a card's number).
func TestPackedEvidenceUnpacksAsGiven(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var codes codeTable
	date := func() curriculum.Date {
		switch rng.IntN(5) {
		case 0:
			return curriculum.Date{}
		case 1:
			return curriculum.NewDate(1990+rng.IntN(9), 1, 1).AddDays(rng.IntN(365)) // before the base day
		}
		return curriculum.NewDate(2020, 1, 1).AddDays(rng.IntN(4000))
	}
	code := func(prefix string) string { return fmt.Sprintf("%s%d", prefix, rng.IntN(6)) }
	maybe := func(s string) string {
		if rng.IntN(3) == 0 {
			return ""
		}
		return s
	}
	for round := range 300 {
		ev := &curriculum.Evidence{PersonID: fmt.Sprintf("person-%d", round), HireDate: date()}
		for i := range rng.IntN(4) {
			ev.Credentials = append(ev.Credentials, curriculum.CredentialRecord{ID: fmt.Sprintf("cred-%d", i), Type: code("T"),
				Number: maybe("AHA-123"), IssuedOn: date(), ExpiresOn: date(), Verified: rng.IntN(2) == 0, VerifiedOn: date(), RecordedOn: date()})
		}
		for i := range rng.IntN(60) {
			p := curriculum.Performance{ID: fmt.Sprintf("obs-%d", i), Competency: code("C"), Variant: maybe(code("V")),
				PerformedOn: date(), Successful: rng.IntN(4) != 0, RecordedOn: date()}
			if i > 0 && rng.IntN(8) == 0 {
				p.Supersedes = fmt.Sprintf("obs-%d", rng.IntN(i))
			}
			ev.Performances = append(ev.Performances, p)
		}
		for range rng.IntN(5) {
			score := rng.Float64() * 100
			if rng.IntN(2) == 0 {
				score = float64(rng.IntN(201)) / 2 // a short fraction: packed in fewer bytes
			}
			ev.KnowledgeTests = append(ev.KnowledgeTests, curriculum.KnowledgeResult{Competency: code("C"), Score: score, TakenOn: date(), RecordedOn: date()})
		}
		for i := range rng.IntN(20) {
			s := curriculum.SignOff{ID: fmt.Sprintf("so-%d", i), Competency: code("C"), Kind: curriculum.SignOffKind(code("K")),
				SignedOn: date(), RecordedOn: date(), RevokedFrom: date(), RevocationRecordedOn: date(), Paper: rng.IntN(5) == 0}
			for range rng.IntN(3) {
				s.Covered = append(s.Covered, code("COV"))
			}
			ev.SignOffs = append(ev.SignOffs, s)
		}
		for range rng.IntN(6) {
			ev.Hours = append(ev.Hours, curriculum.HoursRecord{Kind: curriculum.HoursKind(code("H")), Code: code("WP"), WorkedOn: date(), Minutes: rng.IntN(600), RecordedOn: date()})
		}
		for range rng.IntN(3) {
			ev.Holds = append(ev.Holds, curriculum.Hold{From: date(), Until: date()})
		}
		b := packEvidence(ev, &codes)
		got, err := unpackEvidence(b, ev.PersonID, &codes)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		want := *ev
		superseded := map[string]bool{}
		for _, p := range ev.Performances {
			superseded[p.Supersedes] = true
		}
		want.Performances = append([]curriculum.Performance(nil), ev.Performances...)
		for i := range want.Performances {
			if !superseded[want.Performances[i].ID] {
				want.Performances[i].ID = ""
			}
		}
		want.Credentials = append([]curriculum.CredentialRecord(nil), ev.Credentials...)
		for i := range want.Credentials {
			want.Credentials[i].ID, want.Credentials[i].Number = "", ""
		}
		want.SignOffs = append([]curriculum.SignOff(nil), ev.SignOffs...)
		for i := range want.SignOffs {
			want.SignOffs[i].ID = ""
		}
		if !reflect.DeepEqual(got, &want) {
			t.Fatalf("round %d: unpacked\n%+v\nwant\n%+v", round, got, &want)
		}
		if _, err := unpackEvidence(b[:len(b)-1], ev.PersonID, &codes); err == nil && len(b) > 0 {
			t.Fatalf("round %d: a truncated snapshot unpacked", round)
		}
	}
}
