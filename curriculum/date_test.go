package curriculum

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{in: "2026-03-14", want: "2026-03-14"},
		{in: "2028-02-29", want: "2028-02-29"}, // leap year
		{in: "2000-02-29", want: "2000-02-29"}, // divisible by 400
		{in: "2026-02-29", wantErr: "February 2026 has 28 days"},
		{in: "1900-02-29", wantErr: "February 1900 has 28 days"},
		{in: "2026-04-31", wantErr: "April 2026 has 30 days"},
		{in: "2026-13-01", wantErr: "month must be between 01 and 12"},
		{in: "2026-00-10", wantErr: "month must be between 01 and 12"},
		{in: "2026-01-00", wantErr: "January 2026 has 31 days"},
		{in: "0000-01-01", wantErr: "year must be 0001 or later"},
		{in: "14/03/2026", wantErr: "YYYY-MM-DD"},
		{in: "2026-3-14", wantErr: "YYYY-MM-DD"},
		{in: "2026-03-1x", wantErr: "using digits"},
		{in: "", wantErr: "YYYY-MM-DD"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := ParseDate(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalidDate) {
					t.Fatalf("ParseDate(%q) = %v, %v; want error containing %q", tt.in, d, err, tt.wantErr)
				}
				return
			}
			if err != nil || d.String() != tt.want {
				t.Fatalf("ParseDate(%q) = %v, %v; want %s", tt.in, d, err, tt.want)
			}
		})
	}
}

func TestDateArithmetic(t *testing.T) {
	d := MustParseDate
	tests := []struct {
		name string
		got  Date
		want string
	}{
		{"add days across year", d("2026-12-30").AddDays(3), "2027-01-02"},
		{"add days into leap day", d("2028-02-28").AddDays(1), "2028-02-29"},
		{"add days past leap day", d("2028-02-28").AddDays(2), "2028-03-01"},
		{"subtract days", d("2026-03-01").AddDays(-1), "2026-02-28"},
		{"add 90 days", d("2026-10-22").AddDays(90), "2027-01-20"},
		{"jan 31 + 1 month clamps", d("2026-01-31").AddMonths(1), "2026-02-28"},
		{"jan 31 + 1 month leap", d("2028-01-31").AddMonths(1), "2028-02-29"},
		{"leap day + 12 months", d("2028-02-29").AddMonths(12), "2029-02-28"},
		{"leap day + 48 months", d("2028-02-29").AddMonths(48), "2032-02-29"},
		{"aug 31 + 6 months", d("2026-08-31").AddMonths(6), "2027-02-28"},
		{"mar 31 - 1 month", d("2026-03-31").AddMonths(-1), "2026-02-28"},
		{"jan 15 - 13 months", d("2026-01-15").AddMonths(-13), "2024-12-15"},
		{"+24 months", d("2024-10-15").AddMonths(24), "2026-10-15"},
		{"end of feb leap", d("2028-02-10").EndOfMonth(), "2028-02-29"},
		{"end of feb", d("2026-02-10").EndOfMonth(), "2026-02-28"},
		{"end of dec", d("2026-12-31").EndOfMonth(), "2026-12-31"},
		{"new date normalises", NewDate(2026, 13, 1), "2027-01-01"},
		{"before epoch", NewDate(1969, 12, 31).AddDays(1), "1970-01-01"},
	}
	for _, tt := range tests {
		if tt.got.String() != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}

func TestDateCompare(t *testing.T) {
	a, b := MustParseDate("2026-03-14"), MustParseDate("2026-03-15")
	if !a.Before(b) || a.After(b) || !b.After(a) || a.Equal(b) || !a.Equal(MustParseDate("2026-03-14")) {
		t.Error("Before/After/Equal disagree with calendar order")
	}
	if a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Error("Compare disagrees with calendar order")
	}
	if got := a.DaysUntil(MustParseDate("2027-03-14")); got != 365 {
		t.Errorf("DaysUntil over a non-leap year = %d, want 365", got)
	}
	if got := MustParseDate("2028-01-01").DaysUntil(MustParseDate("2027-01-01")); got != -365 {
		t.Errorf("DaysUntil backwards = %d, want -365", got)
	}
	if got := MustParseDate("2028-01-01").DaysUntil(MustParseDate("2029-01-01")); got != 366 {
		t.Errorf("DaysUntil over a leap year = %d, want 366", got)
	}
	var zero Date
	if !zero.IsZero() || a.IsZero() || zero.String() != "" {
		t.Error("zero Date is not reported as zero")
	}
	if !zero.AddDays(5).IsZero() || !zero.AddMonths(1).IsZero() {
		t.Error("arithmetic on the zero Date must stay zero")
	}
}

func TestDateOfUsesOrganisationZone(t *testing.T) {
	ny := DefaultLocation()
	if ny.String() != DefaultTimeZone {
		t.Fatalf("default location = %s", ny)
	}
	tests := []struct {
		name string
		t    time.Time
		loc  *time.Location
		want string
	}{
		// 04:30 UTC is 23:30 the previous evening in New York (EST, UTC-5).
		{"late evening EST is previous day", time.Date(2026, 3, 8, 4, 30, 0, 0, time.UTC), nil, "2026-03-07"},
		// DST starts 2026-03-08 at 02:00 local; 06:59 UTC is 01:59 EST, 07:00 UTC is 03:00 EDT.
		{"just before spring forward", time.Date(2026, 3, 8, 6, 59, 0, 0, time.UTC), nil, "2026-03-08"},
		{"midnight EDT after spring forward", time.Date(2026, 3, 9, 4, 0, 0, 0, time.UTC), nil, "2026-03-09"},
		{"23:59 EDT", time.Date(2026, 3, 9, 3, 59, 0, 0, time.UTC), nil, "2026-03-08"},
		// DST ends 2026-11-01: 04:59 UTC is 00:59 EDT on Nov 1; 05:00 UTC on Nov 2 is midnight EST.
		{"fall back day", time.Date(2026, 11, 1, 4, 59, 0, 0, time.UTC), nil, "2026-11-01"},
		{"midnight EST after fall back", time.Date(2026, 11, 2, 5, 0, 0, 0, time.UTC), nil, "2026-11-02"},
		{"23:59 EST after fall back", time.Date(2026, 11, 2, 4, 59, 0, 0, time.UTC), nil, "2026-11-01"},
		{"explicit UTC", time.Date(2026, 3, 8, 4, 30, 0, 0, time.UTC), time.UTC, "2026-03-08"},
	}
	for _, tt := range tests {
		if got := DateOf(tt.t, tt.loc).String(); got != tt.want {
			t.Errorf("%s: DateOf(%s) = %s, want %s", tt.name, tt.t.Format(time.RFC3339), got, tt.want)
		}
	}
}

func TestDateEncodings(t *testing.T) {
	type doc struct {
		Expires Date `json:"expires,omitzero"`
		Hired   Date `json:"hired"`
	}
	in := doc{Expires: MustParseDate("2028-02-29")}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"expires":"2028-02-29","hired":null}` {
		t.Fatalf("json = %s", b)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Fatalf("round trip = %+v, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"hired":"2026-02-30"}`), &out); err == nil {
		t.Fatal("impossible date accepted from JSON")
	}
	if err := json.Unmarshal([]byte(`{"hired":20260101}`), &out); err == nil {
		t.Fatal("number accepted as a date")
	}

	v, err := MustParseDate("2026-10-31").Value()
	if err != nil || v != "2026-10-31" {
		t.Fatalf("Value = %v, %v", v, err)
	}
	if v, _ := (Date{}).Value(); v != nil {
		t.Fatalf("zero Value = %v, want NULL", v)
	}
	var s Date
	for _, src := range []any{"2026-10-31", []byte("2026-10-31"), time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)} {
		if err := s.Scan(src); err != nil || s.String() != "2026-10-31" {
			t.Errorf("Scan(%T) = %s, %v", src, s, err)
		}
	}
	if err := s.Scan(nil); err != nil || !s.IsZero() {
		t.Errorf("Scan(nil) = %s, %v", s, err)
	}
	if err := s.Scan(42); err == nil {
		t.Error("Scan(int) accepted")
	}
}

// A date typed into a form or a query (?as_of=) either parses and formats
// back to exactly the same text, or is refused with ErrInvalidDate and a
// message that quotes it; JSON and text decoding agree with ParseDate.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-03-14", "2028-02-29", "2026-02-29", "0001-01-01", "9999-12-31", "0000-01-01", "2026-13-01", "2026-00-10",
		"2026-1-14", "+026-03-14", "2026-03-1\x00", "２０２６-03-14", " 2026-03-14", "2026-03-14T00:00:00Z", "", "null", `"2026-03-14"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidDate) || !d.IsZero() || !strings.Contains(err.Error(), strconv.Quote(s)) {
				t.Fatalf("ParseDate(%q): unclear rejection %v", s, err)
			}
		} else if d.IsZero() || d.String() != s {
			t.Fatalf("ParseDate(%q) = %q", s, d)
		}
		var viaText Date
		if terr := viaText.UnmarshalText([]byte(s)); (terr == nil) != (err == nil || s == "") || (terr == nil && viaText != d) {
			t.Fatalf("UnmarshalText(%q) = %s, %v; ParseDate gave %s, %v", s, viaText, terr, d, err)
		}
		var viaJSON Date
		jerr := json.Unmarshal([]byte(strconv.Quote(s)), &viaJSON)
		if (jerr == nil) != (err == nil || s == "") || (jerr == nil && viaJSON != d) {
			t.Fatalf("json %q = %s, %v; ParseDate gave %s, %v", s, viaJSON, jerr, d, err)
		}
		if err == nil {
			b, _ := json.Marshal(d)
			if string(b) != strconv.Quote(s) {
				t.Fatalf("%q marshals to %s", s, b)
			}
		}
		// Raw JSON of any shape decodes or fails cleanly.
		var raw Date
		if err := raw.UnmarshalJSON([]byte(s)); err != nil && !errors.Is(err, ErrInvalidDate) {
			t.Fatalf("UnmarshalJSON(%q): %v", s, err)
		}
	})
}
