package credentials

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/skillgate/skillgate/curriculum"

	"github.com/skillgate/skillgate/errkind"
)

// ErrBadDate is wrapped by every error ParseDate returns.
var ErrBadDate = errkind.New(errkind.Malformed, "invalid date")

var (
	isoDate   = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?Z?)?$`)
	usDate    = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d+)$`)
	monthYear = regexp.MustCompile(`^(\d{1,2})/(\d+)$`)
	number    = regexp.MustCompile(`^\d{1,7}(?:\.\d+)?$`)
)

// serialMode says whether a plain number in a date cell is an Excel date
// serial, and from which epoch.
type serialMode int

const (
	noSerials  serialMode = iota // CSV: a number is not a date
	serial1900                   // .xlsx, Windows default epoch
	serial1904                   // .xlsx saved with the 1904 date system (old Mac Excel)
)

// ParseDate reads a date as written in an import file. Accepted:
//
//   - YYYY-MM-DD (ISO), e.g. 2026-03-14, optionally with a midnight time;
//   - MM/DD/YYYY (US order, one or two digits for month and day), e.g. 3/14/2026;
//   - MM/YYYY, e.g. 10/2026, for cards "valid through" a month: the result is
//     the month's last day and monthOnly is true;
//   - with fromXLSX, a plain number: an Excel date serial (what a date cell
//     holds; any time of day is dropped).
//
// Anything ambiguous or impossible is an error, never a guess: two-digit
// years, day-first dates such as 13/01/2026, 02/30/2026, years outside
// 1900–2199. An empty string returns the zero Date and no error; the caller
// decides whether the date is required. Errors wrap ErrBadDate and are
// written for the person who filled in the sheet.
func ParseDate(s string, fromXLSX bool) (d curriculum.Date, monthOnly bool, err error) {
	mode := noSerials
	if fromXLSX {
		mode = serial1900
	}
	return parseDate(s, mode)
}

func parseDate(s string, mode serialMode) (curriculum.Date, bool, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return curriculum.Date{}, false, nil
	}
	shown := clip(s)
	bad := func(format string, args ...any) (curriculum.Date, bool, error) {
		return curriculum.Date{}, false, fmt.Errorf("%w %q: %s", ErrBadDate, shown, fmt.Sprintf(format, args...))
	}
	if m := isoDate.FindStringSubmatch(s); m != nil {
		return ymd(shown, atoi(m[1]), atoi(m[2]), atoi(m[3]), false)
	}
	if m := usDate.FindStringSubmatch(s); m != nil {
		mo, dd, yr := atoi(m[1]), atoi(m[2]), m[3]
		if len(yr) != 4 {
			return bad("write the year with four digits, as MM/DD/YYYY (for example 03/14/2026)")
		}
		if mo > 12 && dd <= 12 {
			return bad("this looks like day/month order; write dates month first (MM/DD/YYYY) or as YYYY-MM-DD")
		}
		return ymd(shown, atoi(yr), mo, dd, false)
	}
	if m := monthYear.FindStringSubmatch(s); m != nil {
		mo, yr := atoi(m[1]), m[2]
		if len(yr) != 4 {
			return bad("write a month as MM/YYYY with a four-digit year (for example 10/2026), or a full date as MM/DD/YYYY")
		}
		return ymd(shown, atoi(yr), mo, 1, true)
	}
	if number.MatchString(s) {
		if mode == noSerials {
			return bad("a number is not a date here; write dates as YYYY-MM-DD or MM/DD/YYYY")
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 1 {
			return bad("this is not a date")
		}
		return fromSerial(shown, int(math.Floor(f)), mode)
	}
	switch {
	case strings.ContainsAny(s, "-/.") && len(s) <= 10:
		return bad("write dates as YYYY-MM-DD or MM/DD/YYYY (for example 2026-03-14 or 03/14/2026)")
	}
	return bad("this is not a date; write it as YYYY-MM-DD or MM/DD/YYYY (for example 2026-03-14 or 03/14/2026)")
}

// ymd checks a calendar date and its year's plausibility; with monthOnly
// it returns the month's last day.
func ymd(shown string, y, m, d int, monthOnly bool) (curriculum.Date, bool, error) {
	if m < 1 || m > 12 {
		return curriculum.Date{}, false, fmt.Errorf("%w %q: the month must be between 1 and 12", ErrBadDate, shown)
	}
	if y < minYear || y > maxYear {
		return curriculum.Date{}, false, fmt.Errorf("%w %q: the year must be between %d and %d", ErrBadDate, shown, minYear, maxYear)
	}
	if dim := time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day(); d < 1 || d > dim {
		return curriculum.Date{}, false, fmt.Errorf("%w %q: %s %d has %d days", ErrBadDate, shown, time.Month(m), y, dim)
	}
	date := curriculum.NewDate(y, time.Month(m), d)
	if monthOnly {
		date = date.EndOfMonth()
	}
	return date, monthOnly, nil
}

// fromSerial converts an Excel date serial. In the 1900 system day 1 is
// 1900-01-01 and day 60 is the 29 February 1900 that never was (a Lotus
// 1-2-3 bug Excel kept), so later serials count from 1899-12-30.
func fromSerial(shown string, n int, mode serialMode) (curriculum.Date, bool, error) {
	var d curriculum.Date
	switch {
	case mode == serial1904:
		d = curriculum.NewDate(1904, time.January, 1).AddDays(n)
	case n == 60:
		return curriculum.Date{}, false, fmt.Errorf("%w %q: Excel's 29 February 1900 never existed", ErrBadDate, shown)
	case n < 60:
		d = curriculum.NewDate(1899, time.December, 31).AddDays(n)
	default:
		d = curriculum.NewDate(1899, time.December, 30).AddDays(n)
	}
	if !plausible(d) {
		return curriculum.Date{}, false, fmt.Errorf("%w %q: as an Excel date this is %s, outside %d–%d; check the cell", ErrBadDate, shown, d, minYear, maxYear)
	}
	return d, false, nil
}

// atoi converts a string the patterns above have checked to be digits.
func atoi(s string) int {
	if len(s) > 9 {
		return math.MaxInt32
	}
	n, _ := strconv.Atoi(s)
	return n
}
