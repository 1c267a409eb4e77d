package errkind_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/skillgate/skillgate/errkind"
)

func TestSentinelsAndSpecificCases(t *testing.T) {
	errStale := errkind.New(errkind.Conflict, "Someone else changed this.")
	errOther := errkind.New(errkind.Conflict, "Someone else changed this.")

	wrapped := fmt.Errorf("save draft: %w", errStale)
	if !errors.Is(wrapped, errStale) || errors.Is(wrapped, errOther) {
		t.Fatal("errors.Is must match the sentinel itself and only it, however wrapped")
	}
	if got := errkind.KindOf(wrapped); got != errkind.Conflict {
		t.Fatalf("KindOf = %s", got)
	}
	if got := errkind.Message(wrapped); got != "Someone else changed this." {
		t.Fatalf("Message = %q: the wrapping context must not reach the user", got)
	}

	specific := errStale.With("This draft was already published.")
	if !errors.Is(fmt.Errorf("x: %w", specific), errStale) || errors.Is(specific, errOther) {
		t.Fatal("a specific case must match its sentinel, and only it")
	}
	if specific.Kind != errkind.Conflict || specific.Message != "This draft was already published." {
		t.Fatalf("With: %+v", specific)
	}
	// A case of a case still matches the first sentinel.
	if !errors.Is(specific.Withf("again %d", 2), errStale) {
		t.Fatal("With of With lost its sentinel")
	}

	f := errkind.New(errkind.Invalid, "Refused.").WithField("expires_on", "The expiry is before the issue date.")
	if f.Fields["expires_on"] != "The expiry is before the issue date." || f.Message != "The expiry is before the issue date." {
		t.Fatalf("WithField: %+v", f)
	}
	many := errkind.WithFields(errkind.Malformed, "Some fields need attention.", map[string]string{"name": "Name is required.", "days": "Days is required."})
	if len(errkind.As(fmt.Errorf("bind: %w", many)).Fields) != 2 {
		t.Fatal("several field messages must survive wrapping")
	}
}

func TestUnkindedErrorsAreInternal(t *testing.T) {
	for _, err := range []error{nil, errors.New("driver said no"), fmt.Errorf("wrapped: %w", errors.New("x"))} {
		if k := errkind.KindOf(err); k != errkind.Internal {
			t.Errorf("KindOf(%v) = %s, want internal", err, k)
		}
		if m := errkind.Message(err); m != "" {
			t.Errorf("Message(%v) = %q: text of an unkinded error is not for users", err, m)
		}
	}
}

// joined is how db.Translate reports a driver error: the sentinel joined
// with the original.
func TestKindThroughJoin(t *testing.T) {
	errConflict := errkind.New(errkind.Conflict, "Changed meanwhile.")
	err := fmt.Errorf("insert: %w", errors.Join(errConflict, errors.New("UNIQUE constraint failed")))
	if errkind.KindOf(err) != errkind.Conflict || !errors.Is(err, errConflict) {
		t.Fatal("a joined sentinel must keep its kind")
	}
}

func TestKindNames(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range errkind.Kinds {
		n := k.String()
		if n == "" || seen[n] {
			t.Errorf("kind %d has an empty or repeated name %q", k, n)
		}
		seen[n] = true
	}
	if got := errkind.Kind(200).String(); got != "Kind(200)" {
		t.Errorf("unknown kind prints %q", got)
	}
}
