package assessments

import (
	"testing"

	"github.com/skillgate/skillgate/curriculum"
)

func TestRevoke(t *testing.T) {
	e := newEnv(t)
	so := e.complete("SAF-BBP", d("2026-02-03"))
	loc := e.pv.Location()
	now := at(d("2026-03-16"))
	prior := []Revocation{{ID: "rev-0", SignOffID: so.ID, EffectiveOn: d("2026-03-01"), RevokerName: director.Name}}
	base := func() RevocationRequest {
		return RevocationRequest{IdempotencyKey: e.next("key"), Reason: "Observed recapping a used needle on 2026-03-12.", EffectiveOn: d("2026-03-12")}
	}
	tests := []struct {
		name     string
		by       Actor
		so       *SignOff
		existing []Revocation
		mod      func(*RevocationRequest)
		want     *Error
		eff      curriculum.Date
	}{
		{name: "valid", by: director, so: so, eff: d("2026-03-12")},
		{name: "future effective date", by: director, so: so, mod: func(r *RevocationRequest) { r.EffectiveOn = d("2026-04-01") }, eff: d("2026-04-01")},
		{name: "on the sign-off day", by: director, so: so, mod: func(r *RevocationRequest) { r.EffectiveOn = so.SignedOn }, eff: so.SignedOn},
		{name: "defaults to today", by: director, so: so, mod: func(r *RevocationRequest) { r.EffectiveOn = curriculum.Date{} }, eff: d("2026-03-16")},
		{name: "preceptor may not revoke", by: nurse, so: so, want: ErrNotDirector},
		{name: "bad key", by: director, so: so, mod: func(r *RevocationRequest) { r.IdempotencyKey = "" }, want: ErrInvalidIdempotencyKey},
		{name: "no sign-off", by: director, want: ErrMissingField},
		{name: "reason required", by: director, so: so, mod: func(r *RevocationRequest) { r.Reason = "   " }, want: ErrReasonRequired},
		{name: "before the sign-off", by: director, so: so, mod: func(r *RevocationRequest) { r.EffectiveOn = d("2026-02-02") }, want: ErrRevocationDate},
		{name: "twice", by: director, so: so, existing: prior, want: ErrAlreadyRevoked},
		{name: "on one's own enrollment", by: Actor{ID: apprentice.ID, Name: apprentice.Name, Director: true}, so: so, want: ErrOwnEnrollment},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := base()
			if tt.mod != nil {
				tt.mod(&req)
			}
			rv, err := Revoke(tt.so, tt.existing, tt.by, req, loc, now)
			wantErr(t, err, tt.want)
			if err != nil {
				return
			}
			if rv.EffectiveOn != tt.eff || rv.SignOffID != so.ID || rv.ApprenticeID != apprentice.ID || rv.RevokedBy != director.ID {
				t.Errorf("revocation = %+v", rv)
			}
		})
	}
}

// TestRevocationInEvidence checks that a revocation ends the sign-off from
// its effective day, even when it was recorded later (a back-dated
// revocation applies to the days since it took effect).
func TestRevocationInEvidence(t *testing.T) {
	e := newEnv(t)
	so := e.complete("SAF-BBP", d("2026-02-03"))
	rv, err := Revoke(so, nil, director, RevocationRequest{IdempotencyKey: e.next("key"), Reason: "Retraining required.", EffectiveOn: d("2026-03-01")},
		e.pv.Location(), at(d("2026-03-05")))
	if err != nil {
		t.Fatal(err)
	}
	rv.ID = "rev-1"
	e.recs.Revocations = append(e.recs.Revocations, *rv)
	ev := BuildEvidence(e.recs)
	if got := ev.SignOffs[0]; got.RevokedFrom != d("2026-03-01") || got.RevocationRecordedOn != d("2026-03-05") {
		t.Fatalf("sign-off in evidence = %+v", got)
	}
	for _, tt := range []struct {
		asOf    string
		current bool
	}{
		{"2026-02-28", true},  // before the effective day
		{"2026-03-03", false}, // effective, recorded later: counted now
		{"2026-03-05", false},
	} {
		st, _ := e.pv.Standing(ev, "SAF-BBP", d(tt.asOf))
		if st.Current != tt.current {
			t.Errorf("as of %s: current = %v, want %v (%v)", tt.asOf, st.Current, tt.current, st.Decision.Messages())
		}
	}
	// The original sign-off is untouched.
	if e.recs.SignOffs[0].Signature.Hash != SignatureHash(&e.recs.SignOffs[0]) {
		t.Error("sign-off changed")
	}
}
