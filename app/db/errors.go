package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/uptrace/bun/driver/pgdriver"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/skillgate/skillgate/errkind"
)

// Errors the rest of the application handles, whichever engine is in use.
var (
	// ErrNotFound: the row does not exist (or the caller may not see it).
	ErrNotFound = errkind.New(errkind.NotFound, "There is nothing at this address. It may have been moved, or the link may be mistyped.")
	// ErrConflict: a unique constraint refused the write.
	ErrConflict = errkind.New(errkind.Conflict, "This was changed by someone else at the same moment, or it already exists, so nothing was saved. Reload the page and try again.")
	// ErrUnavailable: the database could not be reached or is overloaded;
	// the request may succeed if retried later.
	ErrUnavailable = errkind.New(errkind.Unavailable, "Skillgate cannot reach its database right now, so nothing was saved. Try again in a minute.")
	// ErrReference: a foreign key refused the write: it names a row (a
	// person, a site, …) that does not exist. Input a user sent, not a
	// fault of the server.
	ErrReference = errkind.New(errkind.Invalid, "Something this request names does not exist (an id that is unknown or was removed), so nothing was saved. Check the ids you sent.")
)

// Translate maps a driver error onto ErrNotFound, ErrConflict,
// ErrReference or ErrUnavailable (wrapping the original), and returns
// others unchanged.
func Translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrConflict), errors.Is(err, ErrUnavailable), errors.Is(err, ErrReference):
		return err
	case errors.Is(err, sql.ErrNoRows):
		return ErrNotFound
	case IsUniqueViolation(err):
		return errors.Join(ErrConflict, err)
	case IsForeignKeyViolation(err):
		return errors.Join(ErrReference, err)
	case IsUnavailable(err):
		return errors.Join(ErrUnavailable, err)
	}
	return err
}

// IsUniqueViolation reports whether err is a unique or primary-key violation.
func IsUniqueViolation(err error) bool {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		return pgErr.Field('C') == "23505"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		c := sqErr.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsForeignKeyViolation reports whether err is a foreign-key violation.
func IsForeignKeyViolation(err error) bool {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		return pgErr.Field('C') == "23503"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// IsUnavailable reports whether err means the database cannot serve now:
// connection refused or dropped, server shutting down, too many clients,
// a lock held too long, a deadline passed, or a transaction PostgreSQL
// chose to end because it deadlocked with another or could not be
// serialised: nothing of it was written, and the same request can succeed
// if sent again.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) || errors.Is(err, sql.ErrConnDone) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		code := pgErr.Field('C')
		return strings.HasPrefix(code, "08") || code == "57P01" || code == "57P02" || code == "57P03" || code == "53300" ||
			code == "40001" || code == "40P01" || code == "55P03"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		c := sqErr.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}
