// Package credentials stores the cards and certificates people hold (BLS,
// CMA, RMA, CCMA, state registrations), the evidence files HR uploads for
// them, and imports people and credentials in bulk from spreadsheets.
//
// Records are append-only: a renewal or correction adds a new record and the
// old one stays, so the question "was she certified on 15 March?" always has
// the answer it had then. The only change ever made to a record is its
// verification by HR, which is set once.
//
// Authorisation is not checked here: the HTTP layer must only show records
// and serve evidence files to people allowed to see the person they belong
// to (the person, their program director and preceptors, HR, admins).
package credentials

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/webhooks"
	"github.com/skillgate/skillgate/curriculum"

	"github.com/skillgate/skillgate/errkind"
)

// Limits on what a record may hold. They are generous for real cards and
// keep a pasted essay or a hostile import out of the database.
const (
	MaxTypeCode           = 32
	MaxNumber             = 64
	MaxIssuingBody        = 200
	MaxNotes              = 2000
	MaxVerificationMethod = 500
)

// Errors the store returns besides db.ErrNotFound (no such record, person
// or file) and db.ErrUnavailable.
var (
	// ErrInvalid is wrapped by every *FieldError: the input was refused.
	ErrInvalid = errkind.New(errkind.Invalid, "The credential record was refused; correct the fields marked.")
	// ErrAlreadyVerified: HR verified this record before; verification is
	// recorded once and never overwritten.
	ErrAlreadyVerified = errkind.New(errkind.Conflict, "This credential was already verified; its verification cannot be changed.")
)

// FieldError says which input was refused and why, in words for HR users.
type FieldError struct {
	Field   string // e.g. "expires_on"
	Message string
}

func (e *FieldError) Error() string { return e.Message }

// Unwrap lets errors.Is(err, ErrInvalid) recognise every FieldError.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// As presents e in the one error vocabulary: ErrInvalid about e.Field, so
// the HTTP layer shows the message beside that field.
func (e *FieldError) As(target any) bool {
	t, ok := target.(**errkind.Error)
	if ok {
		*t = ErrInvalid.WithField(e.Field, e.Message)
	}
	return ok
}

func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// typeCodePattern matches curriculum credential type codes (BLS, CCMA, WA-MA-C).
var typeCodePattern = regexp.MustCompile(`^[A-Z][A-Z0-9]{0,11}(-[A-Z0-9]{1,12}){0,4}$`)

// Plausible calendar years for credential dates: anything outside is a typo
// (0202 for 2022) that would otherwise silently make a card valid forever
// or expired since antiquity.
const (
	minYear = 1900
	maxYear = 2199
)

// Store reads and writes credential records and evidence files.
type Store struct {
	// DB is the database or, for a Store from WithTx, a transaction.
	DB bun.IDB
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Audit records every change in the audit trail, in the change's
	// transaction (nil: the real clock).
	Audit *audit.Log
	// Outbox receives credential.verified, in the verification's
	// transaction (nil: none).
	Outbox *webhooks.Outbox
}

// NewStore returns a Store on d with the real clock.
func NewStore(d bun.IDB) *Store {
	return &Store{DB: d, Now: func() time.Time { return time.Now().UTC() }}
}

// WithTx returns a Store whose every call runs in tx, so that its changes
// commit together with those of other stores.
func (s *Store) WithTx(tx bun.IDB) *Store {
	c := *s
	c.DB = tx
	return &c
}

func (s *Store) now() time.Time { return s.Now().UTC() }

type recordRow struct {
	bun.BaseModel      `bun:"table:credentials"`
	ID                 string          `bun:"id,pk"`
	PersonID           string          `bun:"person_id"`
	TypeCode           string          `bun:"type_code"`
	IssuingBody        string          `bun:"issuing_body"`
	Number             string          `bun:"number"`
	IssuedOn           curriculum.Date `bun:"issued_on"`
	ExpiresOn          curriculum.Date `bun:"expires_on"`
	ValidThroughMonth  bool            `bun:"valid_through_month"`
	RecordedAt         time.Time       `bun:"recorded_at"`
	RecordedBy         string          `bun:"recorded_by,nullzero"`
	VerifiedAt         *time.Time      `bun:"verified_at"`
	VerifiedBy         string          `bun:"verified_by,nullzero"`
	VerificationMethod string          `bun:"verification_method"`
	FileID             string          `bun:"file_id,nullzero"`
	Notes              string          `bun:"notes"`
}

// Record is one card or certificate as entered.
type Record struct {
	ID       string
	PersonID string
	// TypeCode is a curriculum credential type code, e.g. BLS.
	TypeCode    string
	IssuingBody string // e.g. American Heart Association
	Number      string // card or certificate number; may be empty
	IssuedOn    curriculum.Date
	// ExpiresOn is the last valid day; zero when the card shows none (the
	// type's validity then applies).
	ExpiresOn curriculum.Date
	// ValidThroughMonth: the card says "valid through MM/YYYY"; ExpiresOn is
	// that month's last day.
	ValidThroughMonth bool
	RecordedAt        time.Time
	RecordedBy        string // user id; empty for system imports without a user
	// VerifiedAt is when HR checked the credential at its source; nil if not yet.
	VerifiedAt         *time.Time
	VerifiedBy         string
	VerificationMethod string // e.g. "checked the AHA eCard site"
	FileID             string // evidence file, if any
	Notes              string
}

// Verified reports whether HR has verified the record.
func (r *Record) Verified() bool { return r.VerifiedAt != nil }

func (r *recordRow) record() Record {
	return Record{
		ID: r.ID, PersonID: r.PersonID, TypeCode: r.TypeCode, IssuingBody: r.IssuingBody,
		Number: r.Number, IssuedOn: r.IssuedOn, ExpiresOn: r.ExpiresOn,
		ValidThroughMonth: r.ValidThroughMonth, RecordedAt: r.RecordedAt.UTC(), RecordedBy: r.RecordedBy,
		VerifiedAt: utcPtr(r.VerifiedAt), VerifiedBy: r.VerifiedBy, VerificationMethod: r.VerificationMethod,
		FileID: r.FileID, Notes: r.Notes,
	}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// NewRecord is what it takes to add a credential record.
type NewRecord struct {
	PersonID    string
	TypeCode    string
	IssuingBody string
	Number      string
	IssuedOn    curriculum.Date
	// ExpiresOn is optional. With ValidThroughMonth set it may be any day of
	// the month printed on the card; the last day of that month is stored.
	ExpiresOn         curriculum.Date
	ValidThroughMonth bool
	FileID            string
	Notes             string
	// RecordedBy is the user entering the record.
	RecordedBy string
}

// normalize trims the text fields, upper-cases the type code and moves a
// valid-through-month expiry to the month's end, then checks the result
// (the person only with requirePerson: an import row names the person by
// employee id and gets the id later).
func (n *NewRecord) normalize(requirePerson bool) error {
	n.PersonID = strings.TrimSpace(n.PersonID)
	n.TypeCode = strings.ToUpper(strings.TrimSpace(n.TypeCode))
	n.IssuingBody = strings.TrimSpace(n.IssuingBody)
	n.Number = strings.TrimSpace(n.Number)
	n.Notes = strings.TrimSpace(n.Notes)
	if n.ValidThroughMonth {
		n.ExpiresOn = n.ExpiresOn.EndOfMonth()
	}
	switch {
	case requirePerson && n.PersonID == "":
		return invalid("person_id", "choose the person this credential belongs to")
	case n.TypeCode == "":
		return invalid("credential_type", "the credential type is missing (for example BLS or CMA)")
	case len(n.TypeCode) > MaxTypeCode || !typeCodePattern.MatchString(n.TypeCode):
		return invalid("credential_type", "%q is not a credential type code: use capital letters, digits and hyphens, like BLS or WA-MA-C", clip(n.TypeCode))
	case utf8.RuneCountInString(n.IssuingBody) > MaxIssuingBody:
		return invalid("issuing_body", "the issuing body is too long (at most %d characters)", MaxIssuingBody)
	case utf8.RuneCountInString(n.Number) > MaxNumber:
		return invalid("number", "the credential number is too long (at most %d characters)", MaxNumber)
	case utf8.RuneCountInString(n.Notes) > MaxNotes:
		return invalid("notes", "the notes are too long (at most %d characters)", MaxNotes)
	case n.IssuedOn.IsZero():
		return invalid("issued_on", "the issue date is missing")
	case !plausible(n.IssuedOn):
		return invalid("issued_on", "the issue date %s is not plausible (years %d–%d)", n.IssuedOn, minYear, maxYear)
	case n.ValidThroughMonth && n.ExpiresOn.IsZero():
		return invalid("expires_on", "a card valid through a month needs that month")
	case !n.ExpiresOn.IsZero() && !plausible(n.ExpiresOn):
		return invalid("expires_on", "the expiry date %s is not plausible (years %d–%d)", n.ExpiresOn, minYear, maxYear)
	case !n.ExpiresOn.IsZero() && n.ExpiresOn.Before(n.IssuedOn):
		return invalid("expires_on", "the expiry date %s is before the issue date %s", n.ExpiresOn, n.IssuedOn)
	}
	for _, f := range []struct{ name, v string }{{"issuing_body", n.IssuingBody}, {"number", n.Number}, {"notes", n.Notes}} {
		if msg := badText(f.v, f.name == "notes"); msg != "" {
			return invalid(f.name, "the %s %s", strings.ReplaceAll(f.name, "_", " "), msg)
		}
	}
	return nil
}

// badText says what is wrong with text for storage, or "": invalid UTF-8,
// or control characters (PostgreSQL refuses NUL; the others are invisible
// in pages and exports). Line breaks are allowed where multiline is.
func badText(s string, multiline bool) string {
	if !utf8.ValidString(s) {
		return "contains characters that are not valid text (save the file as UTF-8)"
	}
	for _, r := range s {
		if r == '\n' || r == '\r' || r == '\t' {
			if multiline || r == '\t' {
				continue
			}
			return "must be on one line"
		}
		if unicode.IsControl(r) {
			return "contains invisible control characters"
		}
	}
	return ""
}

func plausible(d curriculum.Date) bool { y := d.Year(); return y >= minYear && y <= maxYear }

// clip shortens s for quoting in a message.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	r := []rune(s)
	return string(r[:40]) + "…"
}

func (s *Store) newRow(n NewRecord, now time.Time) recordRow {
	return recordRow{
		ID: accounts.NewID(), PersonID: n.PersonID, TypeCode: n.TypeCode, IssuingBody: n.IssuingBody,
		Number: n.Number, IssuedOn: n.IssuedOn, ExpiresOn: n.ExpiresOn, ValidThroughMonth: n.ValidThroughMonth,
		RecordedAt: now, RecordedBy: n.RecordedBy, FileID: n.FileID, Notes: n.Notes,
	}
}

// Add validates and stores a new record. It returns a *FieldError (wrapping
// ErrInvalid) for bad input and db.ErrNotFound when the person or the file
// does not exist.
func (s *Store) Add(ctx context.Context, n NewRecord) (*Record, error) {
	if err := n.normalize(true); err != nil {
		return nil, fmt.Errorf("add credential: %w", err)
	}
	row := s.newRow(n, s.now())
	rec := row.record()
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return s.Outbox.Changing(ctx, tx, []string{n.PersonID}, func(ctx context.Context) error {
			if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
				return err
			}
			return s.record(ctx, tx, ActionAdd, "credential", row.ID, nil, rec)
		})
	})
	if err != nil {
		return nil, fmt.Errorf("add %s credential for %s: %w", n.TypeCode, n.PersonID, translate(err))
	}
	return &rec, nil
}

// Upload is an evidence file as received from a form: the uploader's
// file name and the content.
type Upload struct {
	Name    string
	Content io.Reader
}

// AddWithFile stores file (when not nil) as the record's evidence file and
// the record in one transaction: both or neither. Errors are those of
// SaveFile and Add; the file is uploaded by n.RecordedBy.
func (s *Store) AddWithFile(ctx context.Context, n NewRecord, file *Upload) (*Record, error) {
	var rec *Record
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		st := s.WithTx(tx)
		if file != nil {
			saved, err := st.SaveFile(ctx, file.Name, file.Content, n.RecordedBy)
			if err != nil {
				return err
			}
			n.FileID = saved.ID
		}
		var err error
		rec, err = st.Add(ctx, n)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// ByID returns one record.
func (s *Store) ByID(ctx context.Context, id string) (*Record, error) {
	var row recordRow
	if err := s.DB.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("credential %s: %w", id, db.Translate(err))
	}
	rec := row.record()
	return &rec, nil
}

// ForPerson lists a person's records, newest first, history included
// (renewed and superseded cards stay on file).
func (s *Store) ForPerson(ctx context.Context, personID string) ([]Record, error) {
	var rows []recordRow
	if err := s.DB.NewSelect().Model(&rows).Where("person_id = ?", personID).
		OrderExpr("recorded_at DESC, id DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("credentials of %s: %w", personID, db.Translate(err))
	}
	out := make([]Record, len(rows))
	for i := range rows {
		out[i] = rows[i].record()
	}
	return out, nil
}

// ForPeople returns the records of many people with one query, whatever
// their number (for dashboards and the clearance engine), keyed by person
// id, each list newest first. People without records are absent from the
// map.
func (s *Store) ForPeople(ctx context.Context, ids []string) (map[string][]Record, error) {
	out := map[string][]Record{}
	if len(ids) == 0 {
		return out, nil
	}
	q := s.DB.NewSelect().Model((*recordRow)(nil)).Column(recordColumns...).Where("person_id IN (?)", db.IDs(ids))
	rows, err := q.OrderExpr("person_id, recorded_at DESC, id DESC").Rows(ctx)
	if err != nil {
		return nil, fmt.Errorf("credentials of %d people: %w", len(ids), db.Translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("credentials of %d people: %w", len(ids), err)
		}
		out[r.PersonID] = append(out[r.PersonID], r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("credentials of %d people: %w", len(ids), db.Translate(err))
	}
	return out, nil
}

// recordColumns are recordRow's columns in the order scanRecord reads them.
var recordColumns = []string{"id", "person_id", "type_code", "issuing_body", "number", "issued_on", "expires_on", "valid_through_month",
	"recorded_at", "recorded_by", "verified_at", "verified_by", "verification_method", "file_id", "notes"}

// scanRecord reads one row of recordColumns with database/sql's own
// scanning: ForPeople reads every credential of an organisation for the
// certifications export and the dashboards (100,000 rows here), where
// bun's reflection per row and column cost more than the rest of the read.
func scanRecord(rows *sql.Rows) (Record, error) {
	var r Record
	var recordedBy, verifiedBy, fileID sql.NullString
	var recordedAt, verifiedAt db.Time
	if err := rows.Scan(&r.ID, &r.PersonID, &r.TypeCode, &r.IssuingBody, &r.Number, &r.IssuedOn, &r.ExpiresOn, &r.ValidThroughMonth,
		&recordedAt, &recordedBy, &verifiedAt, &verifiedBy, &r.VerificationMethod, &fileID, &r.Notes); err != nil {
		return Record{}, err
	}
	r.RecordedAt, r.RecordedBy, r.VerifiedBy, r.FileID = recordedAt.Time.UTC(), recordedBy.String, verifiedBy.String, fileID.String
	if verifiedAt.Valid {
		t := verifiedAt.Time.UTC()
		r.VerifiedAt = &t
	}
	return r, nil
}

// ExpiringBetween lists records whose printed expiry date falls between
// from and through (inclusive), soonest first. It is a raw scan for
// reminders; whether a person is still covered (a renewal on file) is for
// curriculum's CredentialStatus to say.
func (s *Store) ExpiringBetween(ctx context.Context, from, through curriculum.Date) ([]Record, error) {
	var rows []recordRow
	if err := s.DB.NewSelect().Model(&rows).
		Where("expires_on IS NOT NULL AND expires_on >= ? AND expires_on <= ?", from, through).
		OrderExpr("expires_on, person_id, id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("credentials expiring %s to %s: %w", from, through, db.Translate(err))
	}
	out := make([]Record, len(rows))
	for i := range rows {
		out[i] = rows[i].record()
	}
	return out, nil
}

// Verify records that HR checked the credential at its source: who, when
// and how (e.g. "checked the AHA eCard site"). A record is verified once;
// a second call returns ErrAlreadyVerified and changes nothing.
func (s *Store) Verify(ctx context.Context, id, by, method string) (*Record, error) {
	method = strings.TrimSpace(method)
	switch {
	case strings.TrimSpace(by) == "":
		return nil, fmt.Errorf("verify credential %s: %w", id, invalid("verified_by", "the person verifying is missing"))
	case method == "":
		return nil, fmt.Errorf("verify credential %s: %w", id, invalid("verification_method", "say how the credential was verified, for example \"checked the AHA eCard site\""))
	case utf8.RuneCountInString(method) > MaxVerificationMethod:
		return nil, fmt.Errorf("verify credential %s: %w", id, invalid("verification_method", "the verification method is too long (at most %d characters)", MaxVerificationMethod))
	}
	// The IS NULL condition makes "set once" hold even when two HR users
	// verify the same record at the same moment.
	now := s.now()
	var n int64
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var person string
		if err := tx.NewSelect().Model((*recordRow)(nil)).Column("person_id").Where("id = ?", id).Scan(ctx, &person); err != nil {
			return err
		}
		// A program may count only verified credentials.
		return s.Outbox.Changing(ctx, tx, []string{person}, func(ctx context.Context) error {
			res, err := tx.NewUpdate().Model((*recordRow)(nil)).
				Set("verified_at = ?", now).Set("verified_by = ?", by).Set("verification_method = ?", method).
				Where("id = ? AND verified_at IS NULL", id).Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ = res.RowsAffected(); n == 0 {
				return nil
			}
			if err := s.record(ctx, tx, ActionVerify, "credential", id, map[string]any{"verified_at": nil},
				map[string]any{"verified_at": now, "verified_by": by, "verification_method": method}); err != nil {
				return err
			}
			return s.emitVerified(ctx, tx, id)
		})
	})
	if err != nil {
		return nil, fmt.Errorf("verify credential %s: %w", id, translate(err))
	}
	if n == 0 {
		rec, err := s.ByID(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		if rec.Verified() {
			return nil, fmt.Errorf("verify credential %s: %w", id, ErrAlreadyVerified)
		}
		return nil, fmt.Errorf("verify credential %s: nothing was updated", id)
	}
	return s.ByID(ctx, id)
}

// emitVerified writes credential.verified for the record id, with the
// person's sites, in tx.
func (s *Store) emitVerified(ctx context.Context, tx bun.IDB, id string) error {
	if s.Outbox == nil {
		return nil
	}
	var row recordRow
	if err := tx.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
		return err
	}
	r := row.record()
	sites, err := accounts.SiteIDsOf(ctx, tx, r.PersonID)
	if err != nil {
		return err
	}
	return s.Outbox.Emit(ctx, tx, webhooks.Event{Type: webhooks.CredentialVerified, SiteIDs: sites, Data: webhooks.CredentialData{
		CredentialID: r.ID, PersonID: r.PersonID, Type: r.TypeCode, ExpiresOn: r.ExpiresOn.String(), VerifiedAt: r.VerifiedAt, VerifiedBy: r.VerifiedBy}})
}

// Curriculum converts a record for the clearance engine. RecordedOn and
// VerifiedOn are the calendar days of RecordedAt and VerifiedAt in the
// organisation's zone loc (nil means curriculum's default zone), so an
// evaluation "as of" a day sees what was on file, and verified, that day
// there.
func (r *Record) Curriculum(loc *time.Location) curriculum.CredentialRecord {
	c := curriculum.CredentialRecord{
		ID: r.ID, Type: r.TypeCode, Number: r.Number, IssuedOn: r.IssuedOn, ExpiresOn: r.ExpiresOn,
		RecordedOn: curriculum.DateOf(r.RecordedAt, loc),
	}
	if r.VerifiedAt != nil {
		c.Verified, c.VerifiedOn = true, curriculum.DateOf(*r.VerifiedAt, loc)
	}
	return c
}

// KnownAt returns the records as they stood at t: those recorded at or
// before it, a verification made after it not yet made (zero t: all of
// them, as they are).
func KnownAt(recs []Record, t time.Time) []Record {
	if t.IsZero() {
		return recs
	}
	var out []Record
	for _, r := range recs {
		if r.RecordedAt.After(t) {
			continue
		}
		if r.VerifiedAt != nil && r.VerifiedAt.After(t) {
			r.VerifiedAt, r.VerifiedBy, r.VerificationMethod = nil, "", ""
		}
		out = append(out, r)
	}
	return out
}

// CurriculumRecords converts records for the clearance engine (see
// Record.Curriculum).
func CurriculumRecords(recs []Record, loc *time.Location) []curriculum.CredentialRecord {
	out := make([]curriculum.CredentialRecord, len(recs))
	for i := range recs {
		out[i] = recs[i].Curriculum(loc)
	}
	return out
}

// translate is db.Translate plus foreign-key violations, which here mean
// the person (or the file, or the recording user) does not exist.
func translate(err error) error {
	if db.IsForeignKeyViolation(err) {
		return errors.Join(db.ErrNotFound, errors.New("the person or the attached file does not exist"), err)
	}
	return db.Translate(err)
}
