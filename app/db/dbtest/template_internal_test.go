package dbtest

import (
	"testing"
	"time"
)

// A template is built again when the organisation's day changes (midnight
// in New York, the default zone), not only at midnight UTC: tests date
// their expectations from the organisation's today.
func TestTemplateDayFollowsTheOrganisationsDay(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"2026-12-07T04:55:00Z", "2026-12-07T05:02:00Z", false}, // midnight in New York
		{"2026-12-06T23:55:00Z", "2026-12-07T00:02:00Z", false}, // midnight UTC
		{"2026-12-07T05:02:00Z", "2026-12-07T23:55:00Z", true},
	} {
		if got := templateDay(at(c.a)) == templateDay(at(c.b)); got != c.same {
			t.Errorf("%s and %s the same template day: %v, want %v (%q, %q)", c.a, c.b, got, c.same, templateDay(at(c.a)), templateDay(at(c.b)))
		}
	}
}
