package curriculum

import (
	"database/sql/driver"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	// Clearance dates are computed in the organisation's time zone. Embedding
	// the zone database keeps DateOf correct in minimal containers that ship
	// without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/skillgate/skillgate/errkind"
)

// DefaultTimeZone is the organisation time zone used when none is configured.
const DefaultTimeZone = "America/New_York"

// Date is a calendar day without a time of day or a time zone: an expiry date,
// a hire date, the day a performance was observed. Clearance rules compare
// days, never instants, so a card that "expires 2026-10-31" is valid for the
// whole of that day wherever the clinic is.
//
// The zero Date means "no date" (see IsZero). Dates are comparable with ==.
type Date struct {
	// n counts days from 0001-01-01, which is 1, so that the zero value is
	// distinguishable from every real date and comparisons are integer ones.
	n int32
}

// unixEpochN is the value of n for 1970-01-01.
const unixEpochN = 719163

const (
	minYear = 1
	maxYear = 9999
)

// NewDate returns the date for year, month and day. Like time.Date it
// normalises out-of-range values (month 13 is January of the next year,
// day 0 is the last day of the previous month).
func NewDate(year int, month time.Month, day int) Date {
	t := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	return fromUTCMidnight(t)
}

func fromUTCMidnight(t time.Time) Date {
	days := t.Unix() / 86400
	if t.Unix() < 0 && t.Unix()%86400 != 0 {
		days-- // floor division for instants before 1970
	}
	return Date{n: int32(days + unixEpochN)}
}

// DateOf returns the calendar date of t in loc. A nil loc means the default
// organisation zone, America/New_York: 2026-03-08T04:30Z is still
// 2026-03-07 in New York.
func DateOf(t time.Time, loc *time.Location) Date {
	if loc == nil {
		loc = DefaultLocation()
	}
	y, m, d := t.In(loc).Date()
	return NewDate(y, m, d)
}

// DefaultLocation returns the organisation's zone: America/New_York unless
// SetDefaultLocation chose another.
func DefaultLocation() *time.Location {
	if l := orgLocation.Load(); l != nil {
		return l
	}
	return defaultLocation()
}

// SetDefaultLocation sets the organisation's zone, used by every program
// that does not name its own (Settings.TimeZone). The server calls it once
// at start-up from its configuration (SKILLGATE_TIMEZONE), so pages, the
// API and the engine count calendar days in the same zone.
func SetDefaultLocation(loc *time.Location) {
	if loc != nil {
		orgLocation.Store(loc)
	}
}

var orgLocation atomic.Pointer[time.Location]

var defaultLocation = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation(DefaultTimeZone)
	if err != nil {
		// Unreachable with time/tzdata embedded; fall back rather than panic.
		return time.UTC
	}
	return loc
})

// ErrInvalidDate is wrapped by every error ParseDate returns.
var ErrInvalidDate = errkind.New(errkind.Malformed, "invalid date")

// ParseDate parses a date written as YYYY-MM-DD, for example 2026-02-28.
// The error says what is wrong ("February 2026 has 28 days") and wraps
// ErrInvalidDate.
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, fmt.Errorf("%w %q: write it as YYYY-MM-DD, for example 2026-03-14", ErrInvalidDate, s)
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return Date{}, fmt.Errorf("%w %q: write it as YYYY-MM-DD using digits, for example 2026-03-14", ErrInvalidDate, s)
	}
	if y < minYear {
		return Date{}, fmt.Errorf("%w %q: year must be 0001 or later", ErrInvalidDate, s)
	}
	if m < 1 || m > 12 {
		return Date{}, fmt.Errorf("%w %q: month must be between 01 and 12", ErrInvalidDate, s)
	}
	if dim := daysIn(time.Month(m), y); d < 1 || d > dim {
		return Date{}, fmt.Errorf("%w %q: %s %d has %d days", ErrInvalidDate, s, time.Month(m), y, dim)
	}
	return NewDate(y, time.Month(m), d), nil
}

// MustParseDate is ParseDate for constants in tests and shipped data; it
// panics on a malformed date.
func MustParseDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func digits(s string) (int, bool) {
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// IsZero reports whether d is the zero Date ("no date").
func (d Date) IsZero() bool { return d.n == 0 }

// Time returns midnight at the start of d in loc (nil means UTC).
func (d Date) Time(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	y, m, day := d.YMD()
	return time.Date(y, m, day, 0, 0, 0, 0, loc)
}

// YMD returns the year, month and day of d.
func (d Date) YMD() (year int, month time.Month, day int) {
	t := time.Unix(int64(d.n-unixEpochN)*86400, 0).UTC()
	return t.Date()
}

// Year returns the year of d.
func (d Date) Year() int { y, _, _ := d.YMD(); return y }

// Month returns the month of d.
func (d Date) Month() time.Month { _, m, _ := d.YMD(); return m }

// Day returns the day of the month of d.
func (d Date) Day() int { _, _, day := d.YMD(); return day }

// String returns d as YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	var buf [10]byte
	return string(d.appendTo(buf[:0]))
}

func (d Date) appendTo(b []byte) []byte {
	y, m, day := d.YMD()
	b = append(b, byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	b = append(b, byte('0'+int(m)/10), byte('0'+int(m)%10), '-')
	return append(b, byte('0'+day/10), byte('0'+day%10))
}

// AddDays returns the date n days after d (before d if n is negative).
func (d Date) AddDays(n int) Date {
	if d.IsZero() {
		return d
	}
	return Date{n: d.n + int32(n)}
}

// AddMonths returns the same day n months later. When that month is shorter,
// the result is clamped to its last day rather than spilling over:
// 2026-01-31 + 1 month = 2026-02-28, 2028-01-31 + 1 month = 2028-02-29,
// 2028-02-29 + 12 months = 2029-02-28. This is how people read "valid for
// 24 months" and "due 6 months after sign-off".
func (d Date) AddMonths(n int) Date {
	if d.IsZero() {
		return d
	}
	y, m, day := d.YMD()
	total := int(m) - 1 + n
	y += total / 12
	mm := total % 12
	if mm < 0 {
		mm += 12
		y--
	}
	month := time.Month(mm + 1)
	if dim := daysIn(month, y); day > dim {
		day = dim
	}
	return NewDate(y, month, day)
}

// EndOfMonth returns the last day of d's month (2028-02-10 → 2028-02-29).
func (d Date) EndOfMonth() Date {
	if d.IsZero() {
		return d
	}
	y, m, _ := d.YMD()
	return NewDate(y, m+1, 0)
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.n < e.n }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.n > e.n }

// Equal reports whether d and e are the same day.
func (d Date) Equal(e Date) bool { return d.n == e.n }

// Compare returns -1 if d is before e, 0 if they are the same day, +1 if d is
// after e. It suits slices.SortFunc.
func (d Date) Compare(e Date) int {
	switch {
	case d.n < e.n:
		return -1
	case d.n > e.n:
		return 1
	}
	return 0
}

// DaysUntil returns the number of days from d to e: positive when e is later,
// 0 on the same day, negative when e is earlier.
func (d Date) DaysUntil(e Date) int { return int(e.n - d.n) }

// minDate returns the earlier of two dates, ignoring zero dates.
func minDate(a, b Date) Date {
	if a.IsZero() {
		return b
	}
	if b.IsZero() || a.n <= b.n {
		return a
	}
	return b
}

// MarshalText implements encoding.TextMarshaler (YYYY-MM-DD; empty for zero).
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return []byte{}, nil
	}
	return d.appendTo(make([]byte, 0, 10)), nil
}

// UnmarshalText implements encoding.TextUnmarshaler. Empty text is the zero
// Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON encodes d as "YYYY-MM-DD", and the zero Date as null.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	b := make([]byte, 0, 12)
	b = append(b, '"')
	b = d.appendTo(b)
	return append(b, '"'), nil
}

// UnmarshalJSON accepts "YYYY-MM-DD", "" and null.
func (d *Date) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*d = Date{}
		return nil
	}
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return fmt.Errorf("%w: expected a string like \"2026-03-14\", got %s", ErrInvalidDate, s)
	}
	return d.UnmarshalText(b[1 : len(b)-1])
}

// Value implements driver.Valuer: a date is stored as TEXT 'YYYY-MM-DD' so
// that it sorts and compares correctly in both SQLite and PostgreSQL; the
// zero Date is NULL.
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// Scan implements sql.Scanner. It accepts NULL, TEXT 'YYYY-MM-DD', and a
// time.Time (PostgreSQL DATE columns), whose calendar date in its own zone
// is used.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
		return nil
	case string:
		return d.UnmarshalText([]byte(v))
	case []byte:
		return d.UnmarshalText(v)
	case time.Time:
		y, m, day := v.Date()
		*d = NewDate(y, m, day)
		return nil
	default:
		return fmt.Errorf("%w: cannot scan %T into a date", ErrInvalidDate, src)
	}
}
