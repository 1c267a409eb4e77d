package curriculum

import (
	"reflect"
	"slices"
	"testing"
)

// TestOnHoldClearsNothing: on the first day of a hold and every day up to
// (not including) the day the enrollment is active again, every task is
// not cleared for that one reason; the day before and the day it is
// active again, the normal decision.
func TestOnHoldClearsNothing(t *testing.T) {
	rules := mustCompile(t, testVersion())
	held := with(veniReady(), func(e *Evidence) {
		e.Holds = []Hold{{From: d("2026-04-10"), Until: d("2026-04-20")}, {From: d("2026-05-01")}}
	})
	for _, tc := range []struct {
		asOf string
		hold string // "" for the normal decision
	}{
		{"2026-04-09", ""}, {"2026-04-10", "2026-04-10"}, {"2026-04-11", "2026-04-10"},
		{"2026-04-19", "2026-04-10"}, {"2026-04-20", ""}, {"2026-04-21", ""},
		{"2026-04-30", ""}, {"2026-05-01", "2026-05-01"}, {"2026-05-02", "2026-05-01"}, {"2027-01-01", "2026-05-01"},
	} {
		got := rules.Evaluate(&held, d(tc.asOf))
		if tc.hold == "" {
			want := rules.Evaluate(ptr(veniReady()), d(tc.asOf))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s (not on hold): %+v, want the normal decision %+v", tc.asOf, got, want)
			}
			if veni := got[0]; veni.Status != Cleared {
				t.Errorf("%s: venipuncture %s, want cleared", tc.asOf, veni.Status)
			}
			continue
		}
		for _, dec := range got {
			if dec.Status != NotCleared || len(dec.Reasons) != 1 || dec.Reasons[0].Code != ReasonOnHold ||
				dec.Reasons[0].Date != d(tc.hold) || !dec.LapsesOn.IsZero() {
				t.Fatalf("%s %s on hold: %+v", tc.asOf, dec.Task, dec)
			}
		}
		msg := got[0].Reasons[0].Message()
		if want := "The enrollment is on hold since " + tc.hold + ": nothing is cleared while it is on hold"; msg != want {
			t.Errorf("%s: message %q, want %q", tc.asOf, msg, want)
		}
		if steps := got[0].NextSteps(); len(steps) != 1 || steps[0] != "Have a program director make the enrollment active again" {
			t.Errorf("%s: next steps %q", tc.asOf, steps)
		}
		if j := got[0].JSON(); j.Reasons[0].Code.String() != "enrollment_on_hold" || j.Reasons[0].Competency != "" {
			t.Errorf("%s: JSON %+v", tc.asOf, j.Reasons[0])
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestCredentialVerifiedFromItsDay: a card verified on 20 March is
// unverified on 19 March and verified from 20 March; a record verified
// with no day (older callers) counts as verified from the start.
func TestCredentialVerifiedFromItsDay(t *testing.T) {
	rules := mustCompile(t, testVersion())
	card := bls("2026-01-02", "2028-01-02")
	card.RecordedOn, card.VerifiedOn = d("2026-03-02"), d("2026-03-20")
	e := with(veniReady(), func(e *Evidence) { e.HireDate = d("2025-06-01"); e.Credentials = []CredentialRecord{card} })
	for _, tc := range []struct {
		asOf string
		want Status
		code string
	}{
		{"2026-03-14", NotCleared, "credential_unverified"},
		{"2026-03-19", NotCleared, "credential_unverified"},
		{"2026-03-20", Cleared, ""},
		{"2026-03-21", Cleared, ""},
	} {
		dec, err := rules.EvaluateTask(&e, "VENI", d(tc.asOf))
		if err != nil {
			t.Fatal(err)
		}
		if dec.Status != tc.want || (tc.code != "" && !slices.Contains(codesOf(dec), tc.code)) || (tc.code == "" && len(dec.Reasons) > 0) {
			t.Errorf("%s: %s %v, want %s %s", tc.asOf, dec.Status, codesOf(dec), tc.want, tc.code)
		}
		st := rules.CredentialStatus(CredentialRequirement{Credential: "BLS"}, e.Credentials, e.HireDate, d(tc.asOf))
		if (st.Status == CredentialUnverified) != (tc.code != "") {
			t.Errorf("%s: credential status %s", tc.asOf, st.Status)
		}
	}
	undated := bls("2026-01-02", "2028-01-02")
	undated.RecordedOn = d("2026-03-02")
	if st := rules.CredentialStatus(CredentialRequirement{Credential: "BLS"}, []CredentialRecord{undated}, d("2025-06-01"), d("2026-03-14")); !st.Satisfied() {
		t.Errorf("verified without a day: %s, want valid", st.Status)
	}
	// A program that counts unverified records counts this one before its
	// verification too.
	v := testVersion()
	v.Program.Settings.CountUnverifiedCredentials = true
	lax := mustCompile(t, v)
	if dec, _ := lax.EvaluateTask(&e, "VENI", d("2026-03-14")); dec.Status != Cleared {
		t.Errorf("counting unverified records: %s %v", dec.Status, codesOf(dec))
	}
}
