package documents

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
)

// Kinds of issued document. Adding one takes a value and its PDF here (as
// Certificate and CertificatePDF), a handler that issues it through
// Store.Issue with its subject (what a later one supersedes), and a case in
// the server's verification page saying whether it still stands.
// KindCompletion is the apprenticeship's completion certificate, whose
// subject is the completion signature.
const (
	KindRecord      = "record"
	KindCertificate = "certificate"
	KindCompletion  = "completion"
)

// ActionIssue is the audit action of issuing a document.
const ActionIssue = "document.issue"

// Issued is one issued document (table issued_documents, owned here).
type Issued struct {
	bun.BaseModel `bun:"table:issued_documents"`

	ID       string `bun:"id,pk"`
	CodeHash string `bun:"code_hash"`
	Kind     string `bun:"kind"`
	// SubjectID is what a later document of the same kind supersedes it
	// for: the person (record) or the sign-off (certificate).
	SubjectID string `bun:"subject_id"`
	PersonID  string `bun:"person_id"`
	AsOf      string `bun:"as_of"`
	// SHA256 is the hash of the PDF file as issued; ContentSHA256 that of
	// Content (printed on every page), the JSON of what it shows.
	SHA256        string    `bun:"sha256"`
	ContentSHA256 string    `bun:"content_sha256"`
	Content       string    `bun:"content"`
	IssuedAt      time.Time `bun:"issued_at"`
	IssuedBy      string    `bun:"issued_by"`
}

// Store keeps issued documents.
type Store struct {
	DB    *db.DB
	Audit *audit.Log
	Now   func() time.Time
}

// codeBytes is the code's entropy: 128 bits, so codes cannot be guessed
// (the verification page is also rate limited).
const codeBytes = 16

var codeEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewCode returns a fresh verification code: 26 lowercase base32
// characters (128 random bits), short enough to type from paper.
func NewCode() string {
	b := make([]byte, codeBytes)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return strings.ToLower(codeEncoding.EncodeToString(b))
}

// hashCode is what is stored for a code: its SHA-256, hex.
func hashCode(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// FileHash is the SHA-256 of a file, hex.
func FileHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Issue records documents issued together (their codes, what they are of
// and their hashes) with one audit entry each, in one transaction; the
// caller serves the files only once it succeeds, so no document carries a
// code that does not verify. Each Issued needs Kind, SubjectID, PersonID,
// Content and SHA256 set, and its code passed in codes (same order).
func (s *Store) Issue(ctx context.Context, docs []*Issued, codes []string) error {
	if len(docs) != len(codes) {
		return errors.New("documents: one code per document")
	}
	now := s.Now().UTC().Truncate(time.Microsecond)
	by := audit.Unattributed
	if a, ok := audit.ActorFrom(ctx); ok {
		by = a.ID
	}
	entries := make([]audit.Entry, len(docs))
	for i, d := range docs {
		d.ID, d.CodeHash, d.IssuedAt, d.IssuedBy = uuid.Must(uuid.NewV7()).String(), hashCode(codes[i]), now, by
		d.ContentSHA256 = Fingerprint([]byte(d.Content))
		entries[i] = audit.Entry{Action: ActionIssue, EntityType: "document", EntityID: d.ID,
			After: map[string]any{"kind": d.Kind, "subject_id": d.SubjectID, "person_id": d.PersonID, "as_of": d.AsOf,
				"sha256": d.SHA256, "content_sha256": d.ContentSHA256}}
	}
	if len(docs) == 0 {
		return nil
	}
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&docs).Exec(ctx); err != nil {
			return fmt.Errorf("issue documents: %w", db.Translate(err))
		}
		return s.Audit.AppendAll(ctx, tx, entries)
	})
}

// ErrUnknownCode: no document was issued with the code (or it is not one).
var ErrUnknownCode = errors.New("documents: unknown code")

// Lookup returns the document issued with code and, if a later document
// of the same kind and subject was issued, that one (nil otherwise).
func (s *Store) Lookup(ctx context.Context, code string) (doc, newer *Issued, err error) {
	code = strings.ToLower(strings.TrimSpace(code))
	if len(code) != codeEncoding.EncodedLen(codeBytes) {
		return nil, nil, ErrUnknownCode
	}
	doc = new(Issued)
	err = s.DB.NewSelect().Model(doc).Where("code_hash = ?", hashCode(code)).Scan(ctx)
	if errors.Is(db.Translate(err), db.ErrNotFound) {
		return nil, nil, ErrUnknownCode
	}
	if err != nil {
		return nil, nil, db.Translate(err)
	}
	var later []Issued
	if err := s.DB.NewSelect().Model(&later).Column("id", "issued_at").Where("kind = ? AND subject_id = ?", doc.Kind, doc.SubjectID).
		// Ids are UUIDv7, in issuing order: they break a tie in issued_at.
		Where("(issued_at > ? OR (issued_at = ? AND id > ?))", doc.IssuedAt, doc.IssuedAt, doc.ID).
		OrderExpr("issued_at DESC, id DESC").Limit(1).Scan(ctx); err != nil {
		return nil, nil, db.Translate(err)
	}
	if len(later) > 0 {
		newer = &later[0]
	}
	return doc, newer, nil
}
