package password

//lint:file-ignore ST1005 this file's error texts are shown to people unchanged, as sentences.

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/skillgate/skillgate/errkind"
)

// Length limits, in Unicode code points after NFKC normalization.
const (
	// MinLength is the NIST SP 800-63B rev. 4 minimum for a password that
	// is the only authentication factor.
	MinLength = 15
	// MaxLength is well above the 64 characters NIST requires verifiers to
	// allow; it exists so a request cannot submit megabytes as a password.
	MaxLength = 256
)

// minContextLen is the shortest context word Check looks for. Shorter ones
// ("Al", "Li", "Ng") occur by chance inside many good passphrases, and
// rejecting those would only frustrate people.
const minContextLen = 4

// Policy errors returned by Check. Their messages are written for the person
// choosing the password and can be shown to them unchanged, which is why they
// break the Go convention of lower-case error strings without punctuation.
// Compare with errors.Is.
var (
	ErrTooShort = errkind.New(errkind.Invalid, "Use at least 15 characters. A short phrase of several words works well.")
	ErrTooLong  = errkind.New(errkind.Invalid, "Use at most 256 characters.")
	ErrCommon   = errkind.New(errkind.Invalid, "This password is on a list of commonly used passwords. Choose another.")
	ErrContext  = errkind.New(errkind.Invalid, "This password contains your name, your email address or another word tied to your account. Choose another.")
	ErrRepeated = errkind.New(errkind.Invalid, "This password is mostly the same few characters repeated (like “aaaa” or “abab”). Choose a phrase of several words instead.")
	ErrSequence = errkind.New(errkind.Invalid, "This password is mostly a sequence of letters or digits (like “abcd” or “12345”). Choose a phrase of several words instead.")
	ErrKeyboard = errkind.New(errkind.Invalid, "This password is mostly a walk along the keyboard (like “qwerty” or “asdfgh”). Choose a phrase of several words instead.")
	ErrProduct  = errkind.New(errkind.Invalid, "This password contains the name of this application, which is among the first things an attacker tries. Choose another.")
	ErrDemo     = errkind.New(errkind.Invalid, "This is a published password (the demo's or the test data's) that anyone can look up. Choose another.")
)

// product are words an attacker tries first against any Skillgate: its
// own name. Like context words they may not appear anywhere in a password.
var product = []string{"skillgate"}

// published are passwords printed in Skillgate's own documentation and
// code (the demo organisation, the scale test data); compared after the
// same normalisation as the blocklist. app/demo and the scale tool check
// that theirs are here.
var published = []string{"skillgate-demo-2026", "skillgate-scale-2026"}

// Check reports whether plain may be used as a new password, returning nil
// or one of ErrTooShort, ErrTooLong, ErrCommon, ErrContext, ErrDemo,
// ErrProduct, ErrRepeated, ErrSequence and ErrKeyboard.
//
// Following NIST SP 800-63B rev. 4 it imposes no composition rules (such
// rules make passwords harder to remember without making them harder to
// guess). Instead it requires MinLength to MaxLength code points after NFKC
// normalization, rejects passwords that appear in a list of about 49,000
// commonly used ones regardless of letter case, and rejects passwords that
// contain any of the context words. It also rejects the passwords
// published in Skillgate's documentation, any password containing
// Skillgate's name, and passwords made mostly of predictable runs (the same
// characters repeated, alphabet or digit sequences, keyboard walks): NIST
// lists "repetitive or sequential characters" among what a blocklist must
// hold, and a 15-character minimum is worth little if
// "aaaaaaaaaaaaaaa" meets it.
//
// context holds values tied to the account that an attacker targeting it
// would try first: the user's email address, name, username, the site name.
// Each is compared without regard to case, spaces or punctuation, so "Jane
// Doe" catches "JaneDoe at the front desk". For an email address its local
// part ("jane.doe" of "jane.doe@clinic.example") is checked as well. Values shorter than four
// letters and digits are ignored. Empty values are fine, so optional fields
// can be passed as they are.
func Check(plain string, context ...string) error {
	p := norm.NFKC.String(plain)
	n := utf8.RuneCountInString(p)
	switch {
	case n < MinLength:
		return ErrTooShort
	case n > MaxLength:
		return ErrTooLong
	}
	lower := strings.ToLower(p)
	if isCommon(lower) {
		return ErrCommon
	}
	if containsContext(lower, context) {
		return ErrContext
	}
	for _, d := range published {
		if lower == d {
			return ErrDemo
		}
	}
	if containsContext(lower, product) {
		return ErrProduct
	}
	return predictable(strings.Join(strings.Fields(lower), ""))
}

// containsContext reports whether the NFKC-normalized, lower-cased password
// contains any of the context words or, for email addresses, their local
// part.
func containsContext(lower string, context []string) bool {
	pw := compact(lower)
	for _, c := range context {
		words := []string{c}
		if local, _, ok := strings.Cut(c, "@"); ok {
			words = append(words, local)
		}
		for _, w := range words {
			w = compact(strings.ToLower(norm.NFKC.String(w)))
			if utf8.RuneCountInString(w) >= minContextLen && strings.Contains(pw, w) {
				return true
			}
		}
	}
	return false
}

// compact keeps only letters and digits, so that separators chosen by the
// user ("jane.doe", "Jane Doe", "jane_doe") do not hide a match.
func compact(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}
