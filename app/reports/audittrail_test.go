package reports

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// A CSV cell a spreadsheet would run as a formula stays text; others are
// untouched.
func TestCSVSafe(t *testing.T) {
	for in, want := range map[string]string{
		`=HYPERLINK("http://x")`: `'=HYPERLINK("http://x")`, "+1": "'+1", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)",
		"\t=1": "'\t=1", "\r=1": "'\r=1", "Ann": "Ann", "2026-11-23T10:00:00Z": "2026-11-23T10:00:00Z", "": "", "a=b": "a=b",
	} {
		if got := csvSafe(in); got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// A value longer than a cell is cut with a note saying so and still fits;
// a value on the page is cut at pageValueLimit characters.
func TestAuditValuesAreCutVisibly(t *testing.T) {
	long := strings.Repeat("é", MaxCellText)
	got := clipCell(long)
	if n := utf8.RuneCountInString(got); n > MaxCellText || !strings.HasSuffix(got, "the full value is in Skillgate]") {
		t.Fatalf("clipped to %d characters, ending %q", n, got[len(got)-40:])
	}
	if short := strings.Repeat("x", 100); clipCell(short) != short {
		t.Fatal("a short value was changed")
	}
	got = cut(strings.Repeat("y", 2*pageValueLimit), pageValueLimit)
	if !strings.HasSuffix(got, "the .xlsx and .csv downloads hold the full value)") || utf8.RuneCountInString(got) > pageValueLimit+100 {
		t.Fatalf("a long value on the page is %d characters", utf8.RuneCountInString(got))
	}
}

// Field names read as words: no PersonID or FileID on the page.
func TestHumanizeFieldNames(t *testing.T) {
	for in, want := range map[string]string{
		"PersonID": "Person", "person_id": "Person", "FileID": "Evidence file", "ValidThroughMonth": "Valid through the end of the month",
		"verified_by": "Verified by", "site_ids": "Sites", "checklist_version": "Checklist version", "IssuedOn": "Issued on",
		"RecordedAt": "Recorded at", "observer_ids": "Observers", "login.failed": "Login failed", "ID": "Record",
	} {
		if got := humanize(in); got != want {
			t.Errorf("humanize(%q) = %q, want %q", in, got, want)
		}
	}
}
