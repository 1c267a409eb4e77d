package credentials_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/credentials"
)

func TestParseDate(t *testing.T) {
	ok := []struct {
		in        string
		xlsx      bool
		want      string
		monthOnly bool
	}{
		{"2026-03-14", false, "2026-03-14", false},
		{" 2026-03-14 ", false, "2026-03-14", false},
		{"2026-03-14T00:00:00Z", true, "2026-03-14", false},
		{"2026-03-14 00:00:00", false, "2026-03-14", false},
		{"03/14/2026", false, "2026-03-14", false},
		{"3/4/2026", false, "2026-03-04", false},
		{"01/02/2026", false, "2026-01-02", false}, // US order: 2 January
		{"02/29/2028", false, "2028-02-29", false},
		{"10/2026", false, "2026-10-31", true},
		{"2/2028", false, "2028-02-29", true},
		{"46095", true, "2026-03-14", false},
		{"46095.99", true, "2026-03-14", false},
		{"61", true, "1900-03-01", false},
		{"59", true, "1900-02-28", false},
		{"", false, "", false},
	}
	for _, c := range ok {
		d, m, err := credentials.ParseDate(c.in, c.xlsx)
		if err != nil || d.String() != c.want || m != c.monthOnly {
			t.Errorf("ParseDate(%q, %v) = %s %v %v, want %s %v", c.in, c.xlsx, d, m, err, c.want, c.monthOnly)
		}
	}
	bad := []struct {
		in   string
		xlsx bool
		says string
	}{
		{"13/01/2026", false, "day/month order"},
		{"31/12/2025", false, "day/month order"},
		{"02/30/2026", false, "February 2026 has 28 days"},
		{"2026-02-30", false, "28 days"},
		{"3/14/26", false, "four digits"},
		{"10/26", false, "four-digit year"},
		{"13/2026", false, "month must be between 1 and 12"},
		{"00/10/2026", false, "month"},
		{"2026-13-01", false, "month"},
		{"0202-01-01", false, "year must be between"},
		{"46095", false, "number is not a date"},
		{"60", true, "never existed"},
		{"9999999", true, "outside"},
		{"0", true, "not a date"},
		{"14.03.2026", false, "YYYY-MM-DD"},
		{"March 14, 2026", false, "not a date"},
		{"2026-3-14", false, "YYYY-MM-DD"},
		{"-46095", true, "YYYY-MM-DD"},
		{"1e5", true, "not a date"},
		{"2026-03-14T10:30:00", false, "not a date"},
	}
	for _, c := range bad {
		d, _, err := credentials.ParseDate(c.in, c.xlsx)
		if err == nil || !errors.Is(err, credentials.ErrBadDate) || !strings.Contains(err.Error(), c.says) || !d.IsZero() {
			t.Errorf("ParseDate(%q, %v) = %s, %v; want an error saying %q", c.in, c.xlsx, d, err, c.says)
		}
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-03-14", "03/14/2026", "10/2026", "46095", "46095.5", "13/01/2026", "3/14/26", "", "60", "2026-03-14T00:00:00Z"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, xlsx bool) {
		d, monthOnly, err := credentials.ParseDate(s, xlsx)
		if err != nil {
			if !errors.Is(err, credentials.ErrBadDate) || !d.IsZero() || len(err.Error()) < 20 {
				t.Fatalf("ParseDate(%q): unclear rejection %v (date %s)", s, err, d)
			}
			return
		}
		if strings.TrimSpace(s) == "" {
			if !d.IsZero() {
				t.Fatalf("blank gave %s", d)
			}
			return
		}
		if d.IsZero() || d.Year() < 1900 || d.Year() > 2199 {
			t.Fatalf("ParseDate(%q) = %s", s, d)
		}
		if monthOnly && d != d.EndOfMonth() {
			t.Fatalf("ParseDate(%q) month-only but %s is not a month end", s, d)
		}
	})
}
