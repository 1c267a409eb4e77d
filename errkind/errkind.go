// Package errkind is Skillgate's one error vocabulary. Every error a user
// can cause carries a Kind (what the caller can do about it) and a message
// written for the person who sees it; optionally it names the form or JSON
// fields it is about, so a form can show each message beside its field.
// Domain packages (curriculum, assessments) and app/* declare their
// sentinels with New; the HTTP layer maps each Kind to a status in one
// table (app/server/errors.go) and never maps errors one by one.
//
// The name says what the package holds (errors sorted by kind) without
// shadowing the standard errors package or the errs variables that hold
// field messages in handlers.
//
// # Kinds and HTTP statuses
//
//	Kind             Status  Meaning
//	Malformed        400     the request cannot be read as sent: unparseable body or
//	                         query, wrong types, a missing or wrongly formatted field
//	Invalid          422     the request is well formed, but a value breaks a rule
//	Unauthenticated  401     no valid login, token or password
//	Forbidden        403     this person may not do this
//	NotFound         404     no such thing, or the caller may not see it
//	Gone             410     it was there but is no more (a preview already imported
//	                         or expired)
//	Conflict         409     the records as they stand do not allow it (yet or any
//	                         more), or someone else changed them meanwhile
//	TooLarge         413     the body or file is larger than accepted
//	Unsupported      415     the body is in a format this address does not take
//	RateLimited      429     too many requests; try again later
//	Unavailable      503     the database cannot serve now; retry later
//	Integrity        500     stored records do not match their signatures (logged)
//	Internal         500     anything else: a fault of ours (logged); the zero Kind
//
// An error without a Kind is Internal: its text never reaches the user.
package errkind

import (
	"errors"
	"fmt"
	"maps"
)

// Kind groups errors by what the caller can do about them.
type Kind uint8

// The kinds. The zero value is Internal, so an error nobody classified is
// treated as a fault, never shown.
const (
	Internal Kind = iota
	Malformed
	Invalid
	Unauthenticated
	Forbidden
	NotFound
	Gone
	Conflict
	TooLarge
	Unsupported
	RateLimited
	Unavailable
	Integrity
)

// Kinds lists every kind, for tables and tests.
var Kinds = []Kind{Internal, Malformed, Invalid, Unauthenticated, Forbidden, NotFound, Gone, Conflict, TooLarge, Unsupported, RateLimited, Unavailable, Integrity}

var kindNames = [...]string{
	Internal: "internal", Malformed: "malformed", Invalid: "invalid", Unauthenticated: "unauthenticated",
	Forbidden: "forbidden", NotFound: "not_found", Gone: "gone", Conflict: "conflict", TooLarge: "too_large",
	Unsupported: "unsupported", RateLimited: "rate_limited", Unavailable: "unavailable", Integrity: "integrity",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Error is an error with a kind and a message safe to show as is. Code, when
// set, is a stable machine-readable name (the API's error.code); Fields maps
// a field name to the message shown beside that field.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Fields  map[string]string

	// of is the sentinel this error is a specific case of: errors.Is(e, of)
	// holds although the message differs.
	of *Error
}

// New returns a sentinel: an error of kind k with message msg. Compare with
// errors.Is; errors made from it by With, Withf and WithField match it too.
func New(k Kind, msg string) *Error { return &Error{Kind: k, Message: msg} }

// WithFields returns an error of kind k with an overall message and one
// message per field (for example "Some fields need attention." and
// {"email": "Email is a required field."}).
func WithFields(k Kind, msg string, fields map[string]string) *Error {
	return &Error{Kind: k, Message: msg, Fields: fields}
}

// BadFields is a Malformed request with per-field messages: a field is
// missing or not in the form it must have (a date as YYYY-MM-DD). Pages and
// the API answer it alike.
func BadFields(fields map[string]string) *Error {
	return WithFields(Malformed, "Some fields need attention.", fields)
}

func (e *Error) Error() string { return e.Message }

// Is reports whether target is e's sentinel (the error e was made from).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && e.of != nil && e.of == t
}

func (e *Error) root() *Error {
	if e.of != nil {
		return e.of
	}
	return e
}

// With returns a specific case of e with its own message: same kind and
// code, and errors.Is(result, e) holds.
func (e *Error) With(msg string) *Error {
	return &Error{Kind: e.Kind, Code: e.Code, Message: msg, Fields: maps.Clone(e.Fields), of: e.root()}
}

// Withf is With with a format.
func (e *Error) Withf(format string, args ...any) *Error { return e.With(fmt.Sprintf(format, args...)) }

// WithField returns a specific case of e about one field: the message is
// shown beside that field (and as the error's message).
func (e *Error) WithField(field, msg string) *Error {
	r := e.With(msg)
	r.Fields = map[string]string{field: msg}
	return r
}

// As finds the *Error in err's chain, as errors.As does; domain error types
// that carry a kind of their own (assessments.Error) convert themselves
// through their As method. It returns nil when err has no kind.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// KindOf returns the kind of the first kinded error in err's chain, or
// Internal when there is none.
func KindOf(err error) Kind {
	if e := As(err); e != nil {
		return e.Kind
	}
	return Internal
}

// Message returns the user-facing message of err's kinded error, or "" when
// err has none (its text is then not for users).
func Message(err error) string {
	if e := As(err); e != nil {
		return e.Message
	}
	return ""
}
