package assessments

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/skillgate/skillgate/curriculum"
)

// Text limits, in characters. Comments are for the apprentice and the
// auditor, not for narratives; reasons are a sentence or two.
const (
	MaxCommentLen = 2000
	MaxReasonLen  = 1000
	MaxNameLen    = 200
)

// checkText validates free text: valid UTF-8, no control characters other
// than newlines and tabs (they break exports and printouts), at most max
// characters.
func checkText(s, field, what string, max int) error {
	if !utf8.ValidString(s) {
		return fail(ErrInvalidText, field, "The %s contains characters that cannot be stored; retype it.", what)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return fail(ErrInvalidText, field, "The %s contains invisible control characters; retype it.", what)
		}
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fail(ErrTextTooLong, field, "The %s is %d characters long; the limit is %d.", what, n, max)
	}
	return nil
}

// checkReason validates a required reason (a correction, a rejection, a
// revocation): present once blanks are trimmed, and within limits.
func checkReason(s, field, what string) error {
	if strings.TrimSpace(s) == "" {
		return fail(ErrReasonRequired, field, "Give a reason for the %s; it stays on the record for auditors.", what)
	}
	return checkText(s, field, "reason", MaxReasonLen)
}

// checkDay validates the day something happened: present, not after today
// in the organisation's time zone, and not before the enrollment started.
func checkDay(e *Enrollment, d curriculum.Date, now time.Time, field, what string) error {
	if d.IsZero() {
		return fail(ErrMissingField, field, "Enter the date of the %s.", what)
	}
	if today := e.Version.Day(now); d.After(today) {
		return fail(ErrFutureDate, field, "The %s date %s is in the future (today is %s).", what, d, today)
	}
	if d.Before(e.StartDate) {
		return fail(ErrBeforeStart, field, "The %s date %s is before the apprenticeship started on %s.", what, d, e.StartDate)
	}
	return nil
}

// checkVariant validates variant against the competency's performance
// requirements: required (and one of them) when the competency has
// variants, empty otherwise.
func checkVariant(c *curriculum.Competency, variant, field string) error {
	if len(c.Performances) == 0 {
		return fail(ErrNothingToPerform, "competency", "%s is assessed by knowledge test and sign-off; it has no observed performances to record.", c.Title)
	}
	var names []string
	for _, pr := range c.Performances {
		if pr.Variant == "" {
			if variant != "" {
				return fail(ErrInvalidVariant, field, "%s has no variants; leave the variant empty.", c.Title)
			}
			return nil
		}
		if pr.Variant == variant {
			return nil
		}
		names = append(names, variantLabel(pr))
	}
	if variant == "" {
		return fail(ErrInvalidVariant, field, "Choose which kind of %s was performed: %s.", c.Title, strings.Join(names, ", "))
	}
	return fail(ErrInvalidVariant, field, "%q is not a variant of %s; choose one of: %s.", variant, c.Title, strings.Join(names, ", "))
}

func variantLabel(pr curriculum.PerformanceRequirement) string {
	if pr.Title != "" {
		return pr.Title + " (" + pr.Variant + ")"
	}
	return pr.Variant
}

// utc returns t in UTC without its monotonic reading, at microsecond
// precision: PostgreSQL keeps microseconds, so a time that is stored and
// read back compares (and hashes) equal to the one computed here.
func utc(t time.Time) time.Time { return t.UTC().Round(0).Truncate(time.Microsecond) }

func lower(s string) string { return strings.ToLower(s) }
