package demo_test

import (
	"errors"
	"testing"

	"github.com/skillgate/skillgate/app/auth/password"
	"github.com/skillgate/skillgate/app/demo"
)

// The demo password is published in the README: nobody may choose it for
// a real account (issue 16 item 6), though the demo seed uses it.
func TestDemoPasswordIsRefusedForRealAccounts(t *testing.T) {
	if err := password.Check(demo.Password, "someone@clinic.example", "Some One"); !errors.Is(err, password.ErrDemo) {
		t.Fatalf("password.Check(demo.Password) = %v, want ErrDemo", err)
	}
}
