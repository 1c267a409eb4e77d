package assessments

import (
	"errors"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

func TestEnrollmentValidate(t *testing.T) {
	e := newEnv(t)
	draftRules, err := curriculum.Compile(e.pv.Rules.Version().NewDraft())
	if err != nil {
		t.Fatal(err)
	}
	draft, err := NewProgramVersion("ver-2", draftRules)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		mod  func(*Enrollment)
		want *Error
	}{
		{"valid", nil, nil},
		{"no key", func(en *Enrollment) { en.IdempotencyKey = "" }, ErrInvalidIdempotencyKey},
		{"no apprentice", func(en *Enrollment) { en.ApprenticeID = "" }, ErrMissingField},
		{"no site", func(en *Enrollment) { en.SiteID = "" }, ErrMissingField},
		{"no hire date", func(en *Enrollment) { en.HireDate = curriculum.Date{} }, ErrMissingField},
		{"version not loaded", func(en *Enrollment) { en.Version = nil }, ErrInvalidEnrollment},
		{"version id mismatch", func(en *Enrollment) { en.VersionID = "ver-9" }, ErrInvalidEnrollment},
		{"draft version", func(en *Enrollment) { en.Version, en.VersionID = draft, draft.ID }, ErrVersionNotPublished},
		{"start before hire", func(en *Enrollment) { en.StartDate = d("2025-12-01") }, ErrInvalidEnrollment},
		{"bad status", func(en *Enrollment) { en.Status = "paused" }, ErrInvalidEnrollment},
		{"apprentice as preceptor", func(en *Enrollment) { en.PreceptorIDs = []string{apprentice.ID} }, ErrInvalidEnrollment},
		{"duplicate preceptor", func(en *Enrollment) { en.PreceptorIDs = []string{"p", "p"} }, ErrInvalidEnrollment},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			en := *e.enr
			if tt.mod != nil {
				tt.mod(&en)
			}
			wantErr(t, en.Validate(), tt.want)
		})
	}
}

func TestEnrollmentStatus(t *testing.T) {
	tests := []struct {
		from, to EnrollmentStatus
		ok       bool
	}{
		{EnrollmentActive, EnrollmentOnHold, true},
		{EnrollmentOnHold, EnrollmentActive, true},
		{EnrollmentActive, EnrollmentCompleted, false}, // only Complete, after the director's signature
		{EnrollmentActive, EnrollmentWithdrawn, true},
		{EnrollmentOnHold, EnrollmentWithdrawn, true},
		{EnrollmentOnHold, EnrollmentCompleted, false},
		{EnrollmentCompleted, EnrollmentActive, false},
		{EnrollmentWithdrawn, EnrollmentActive, false},
		{EnrollmentActive, EnrollmentActive, false},
		{EnrollmentActive, "paused", false},
	}
	for _, tt := range tests {
		en := Enrollment{Status: tt.from}
		err := en.ChangeStatus(tt.to)
		if tt.ok {
			wantErr(t, err, nil)
			if en.Status != tt.to {
				t.Errorf("%s → %s: status %s", tt.from, tt.to, en.Status)
			}
			continue
		}
		want := ErrIllegalTransition
		if tt.from == EnrollmentActive && tt.to == EnrollmentCompleted {
			want = ErrCompletionNeedsSignature
		}
		wantErr(t, err, want)
		if en.Status != tt.from {
			t.Errorf("%s → %s: refused change altered status", tt.from, tt.to)
		}
	}
}

func TestValidateIdempotencyKey(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{"abcdefgh", true},
		{"0192f3a4-7b5c-7def-8123-456789abcdef", true},
		{"A_b-9_Z-", true},
		{strings.Repeat("k", 128), true},
		{"abcdefg", false},
		{strings.Repeat("k", 129), false},
		{"", false},
		{"abcd efgh", false},
		{"abcdefgh\n", false},
		{"abcdefg.", false},
		{"abcdéfgh", false},
		{"abcd/efgh", false},
	}
	for _, tt := range tests {
		err := ValidateIdempotencyKey(tt.key)
		if tt.ok {
			wantErr(t, err, nil)
		} else {
			wantErr(t, err, ErrInvalidIdempotencyKey)
		}
	}
}

// FuzzValidateIdempotencyKey checks the validator against a plain
// restatement of the rule.
func FuzzValidateIdempotencyKey(f *testing.F) {
	for _, s := range []string{"abcdefgh", "0192f3a4-7b5c-7def-8123-456789abcdef", "short", "with space!", "ключключключ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		want := len(key) >= 8 && len(key) <= 128
		for _, r := range key {
			if !strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", r) {
				want = false
			}
		}
		err := ValidateIdempotencyKey(key)
		if (err == nil) != want {
			t.Fatalf("ValidateIdempotencyKey(%q) = %v, want ok=%v", key, err, want)
		}
		if err != nil && ErrorCode(err) != ErrInvalidIdempotencyKey.Code {
			t.Fatalf("wrong code: %v", err)
		}
	})
}

// TestCheckManager: nobody enrolls, moves, changes the status of or
// revokes on their own enrollment, whatever roles they hold; anyone else
// passes this rule (who may manage at all is decided elsewhere).
func TestCheckManager(t *testing.T) {
	e := &Enrollment{ID: "en-1", ApprenticeID: "dana"}
	for _, m := range []Management{Enrolling, Moving, ChangingStatus, Revoking} {
		err := e.CheckManager("dana", m)
		wantErr(t, err, ErrOwnEnrollment)
		if err != nil && !strings.Contains(err.Error(), "another program director") {
			t.Errorf("management %d: message %q does not say who may", m, err)
		}
		if err := e.CheckManager("director-1", m); err != nil {
			t.Errorf("management %d by someone else: %v", m, err)
		}
	}
	var ae *Error
	if err := e.CheckManager("dana", Enrolling); !errors.As(err, &ae) || ae.Kind != errkind.Forbidden {
		t.Errorf("kind of %v, want forbidden", err)
	}
}

// TestCheckReplay: a key found on a stored record answers with it only
// for the same operation on the same target with the same content.
func TestCheckReplay(t *testing.T) {
	req := SignOffRequest{IdempotencyKey: "key-00000001", Competency: "PHL-VENI", Kind: curriculum.InitialSignOff, ApprenticeName: "Sam Carter"}
	sam := Fingerprint(OpSignOff, "enrollment-sam", req)
	if sam != Fingerprint(OpSignOff, "enrollment-sam", req) {
		t.Fatal("the fingerprint of one request changes")
	}
	other := req
	other.Competency = "INJ-IM"
	for name, tt := range map[string]struct {
		stored, storedTarget, sent, target string
		want                               *Error
	}{
		"a retry":                       {sam, "enrollment-sam", sam, "enrollment-sam", nil},
		"another target":                {sam, "enrollment-sam", Fingerprint(OpSignOff, "enrollment-jordan", req), "enrollment-jordan", ErrKeyReused},
		"other content":                 {sam, "enrollment-sam", Fingerprint(OpSignOff, "enrollment-sam", other), "enrollment-sam", ErrKeyReused},
		"another operation":             {sam, "enrollment-sam", Fingerprint(OpObserve, "enrollment-sam", req), "enrollment-sam", ErrKeyReused},
		"an old record, same target":    {"", "enrollment-sam", sam, "enrollment-sam", nil},
		"an old record, another target": {"", "enrollment-sam", sam, "enrollment-jordan", ErrKeyReused},
	} {
		t.Run(name, func(t *testing.T) {
			err := CheckReplay(req.IdempotencyKey, tt.stored, tt.storedTarget, tt.sent, tt.target)
			wantErr(t, err, tt.want)
			var ae *Error
			if tt.want != nil && (!errors.As(err, &ae) || ae.Field != "idempotency_key" || !strings.Contains(ae.Message, "key-00000001")) {
				t.Errorf("%v does not name the key and its field", err)
			}
		})
	}
}
