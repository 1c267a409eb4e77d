// Package programs stores apprenticeship programs and their versions. A
// version's content is a curriculum.Version kept as one JSON document; a
// published version is never updated, and its compiled rules are cached
// for the life of the process (safe because it cannot change).
package programs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/curriculum"

	"github.com/skillgate/skillgate/errkind"
)

// Errors the store returns besides db.ErrNotFound.
var (
	// ErrDraftExists: the program already has a draft; edit that one.
	ErrDraftExists = errkind.New(errkind.Conflict, "This program already has a draft version; edit or discard it before starting another.")
	// ErrStale: someone else saved the draft after it was loaded.
	ErrStale = errkind.New(errkind.Conflict, "Someone else changed this draft after you opened it; reload it and make your change again.")
	// ErrNoPublished: a new draft needs a published version to start from.
	ErrNoPublished = errkind.New(errkind.Conflict, "This program has no published version to start a draft from.")
)

// Store reads and writes programs.
type Store struct {
	DB  bun.IDB
	Now func() time.Time
	// NewID makes ids for new programs and versions; nil means UUIDv7.
	// (seed --scale sets it to make reproducible data.)
	NewID func() string
	// Audit records every change in the audit trail, in the change's
	// transaction (nil: the real clock).
	Audit *audit.Log

	rules *sync.Map // version id -> *curriculum.Rules, published versions only
}

func (s *Store) newID() string {
	if s.NewID != nil {
		return s.NewID()
	}
	return uuid.Must(uuid.NewV7()).String()
}

// NewStore returns a Store on d.
func NewStore(d bun.IDB) *Store {
	return &Store{DB: d, Now: func() time.Time { return time.Now().UTC() }, rules: &sync.Map{}}
}

// WithTx returns a Store whose calls run in tx (sharing the rules cache).
func (s *Store) WithTx(tx bun.IDB) *Store {
	c := *s
	c.DB = tx
	return &c
}

type programRow struct {
	bun.BaseModel `bun:"table:programs"`
	ID            string    `bun:"id,pk"`
	Code          string    `bun:"code"`
	Title         string    `bun:"title"`
	CreatedAt     time.Time `bun:"created_at"`
}

type versionRow struct {
	bun.BaseModel `bun:"table:program_versions"`
	ID            string     `bun:"id,pk"`
	ProgramID     string     `bun:"program_id"`
	Number        int        `bun:"number"`
	Status        string     `bun:"status"`
	Content       string     `bun:"content"`
	ContentSHA256 string     `bun:"content_sha256"`
	LockVersion   int        `bun:"lock_version"`
	CreatedAt     time.Time  `bun:"created_at"`
	CreatedBy     *string    `bun:"created_by"`
	UpdatedAt     time.Time  `bun:"updated_at"`
	PublishedAt   *time.Time `bun:"published_at"`
	PublishedBy   *string    `bun:"published_by"`
}

// Program is a program with its versions, newest first.
type Program struct {
	ID        string
	Code      string
	Title     string
	CreatedAt time.Time
	Versions  []VersionInfo
}

// Latest returns the newest published version, or nil.
func (p *Program) Latest() *VersionInfo {
	for i := range p.Versions {
		if p.Versions[i].Status == curriculum.Published {
			return &p.Versions[i]
		}
	}
	return nil
}

// PublishedBefore returns the newest published version numbered below n,
// or nil: what version n is compared with.
func (p *Program) PublishedBefore(n int) *VersionInfo {
	var best *VersionInfo
	for i := range p.Versions {
		if v := &p.Versions[i]; v.Status == curriculum.Published && v.Number < n && (best == nil || v.Number > best.Number) {
			best = v
		}
	}
	return best
}

// Draft returns the draft version, or nil.
func (p *Program) Draft() *VersionInfo {
	for i := range p.Versions {
		if p.Versions[i].Status == curriculum.Draft {
			return &p.Versions[i]
		}
	}
	return nil
}

// VersionInfo describes a stored version without its content.
type VersionInfo struct {
	ID          string
	ProgramID   string
	Number      int
	Status      curriculum.VersionStatus
	CreatedAt   time.Time
	UpdatedAt   time.Time
	PublishedAt *time.Time
	PublishedBy string
	LockVersion int
	// ContentSHA256 is the hash of the stored JSON content.
	ContentSHA256 string
}

// StoredVersion is a version with its content.
type StoredVersion struct {
	VersionInfo
	Version *curriculum.Version
}

func info(r *versionRow) VersionInfo {
	v := VersionInfo{ID: r.ID, ProgramID: r.ProgramID, Number: r.Number, Status: curriculum.VersionStatus(r.Status),
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, PublishedAt: r.PublishedAt, LockVersion: r.LockVersion, ContentSHA256: r.ContentSHA256}
	if r.PublishedBy != nil {
		v.PublishedBy = *r.PublishedBy
	}
	return v
}

func encode(v *curriculum.Version) (string, string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", "", fmt.Errorf("encode program version: %w", err)
	}
	sum := sha256.Sum256(b)
	return string(b), hex.EncodeToString(sum[:]), nil
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Create stores v as the first version of a new program (a draft, or
// published if v is). The program code must be new.
func (s *Store) Create(ctx context.Context, v *curriculum.Version, by string) (*StoredVersion, error) {
	return s.create(ctx, v, by, ActionProgramCreate)
}

func (s *Store) create(ctx context.Context, v *curriculum.Version, by, action string) (*StoredVersion, error) {
	now := s.Now().UTC()
	p := &programRow{ID: s.newID(), Code: v.Program.Code, Title: v.Program.Title, CreatedAt: now}
	v = v.Clone()
	v.Number = 1
	var out *StoredVersion
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(p).Exec(ctx); err != nil {
			return db.Translate(err)
		}
		var err error
		if out, err = s.WithTx(tx).insertVersion(ctx, p.ID, v, by, now); err != nil {
			return err
		}
		return s.record(ctx, tx, action, &out.VersionInfo, nil, versionSummary(out))
	})
	if err != nil {
		return nil, fmt.Errorf("create program %s: %w", v.Program.Code, err)
	}
	return out, nil
}

func (s *Store) insertVersion(ctx context.Context, programID string, v *curriculum.Version, by string, now time.Time) (*StoredVersion, error) {
	content, sum, err := encode(v)
	if err != nil {
		return nil, err
	}
	r := &versionRow{ID: s.newID(), ProgramID: programID, Number: v.Number, Status: string(v.Status),
		Content: content, ContentSHA256: sum, CreatedAt: now, CreatedBy: nullable(by), UpdatedAt: now}
	if v.IsPublished() {
		at := v.PublishedAt
		r.PublishedAt, r.PublishedBy = &at, nullable(by)
	}
	if _, err := s.DB.NewInsert().Model(r).Exec(ctx); err != nil {
		if db.IsUniqueViolation(err) {
			return nil, ErrDraftExists
		}
		return nil, db.Translate(err)
	}
	return &StoredVersion{VersionInfo: info(r), Version: v}, nil
}

// List returns every program with its versions, by title.
func (s *Store) List(ctx context.Context) ([]*Program, error) {
	var ps []programRow
	if err := s.DB.NewSelect().Model(&ps).Order("title", "code").Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	var vs []versionRow
	if err := s.DB.NewSelect().Model(&vs).ExcludeColumn("content").Order("program_id", "number DESC").Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	byID := map[string]*Program{}
	out := make([]*Program, len(ps))
	for i, p := range ps {
		out[i] = &Program{ID: p.ID, Code: p.Code, Title: p.Title, CreatedAt: p.CreatedAt}
		byID[p.ID] = out[i]
	}
	for i := range vs {
		if p := byID[vs[i].ProgramID]; p != nil {
			p.Versions = append(p.Versions, info(&vs[i]))
		}
	}
	return out, nil
}

// Program returns one program with its versions.
func (s *Store) Program(ctx context.Context, id string) (*Program, error) {
	var p programRow
	if err := s.DB.NewSelect().Model(&p).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	var vs []versionRow
	if err := s.DB.NewSelect().Model(&vs).ExcludeColumn("content").Where("program_id = ?", id).Order("number DESC").Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	out := &Program{ID: p.ID, Code: p.Code, Title: p.Title, CreatedAt: p.CreatedAt}
	for i := range vs {
		out.Versions = append(out.Versions, info(&vs[i]))
	}
	return out, nil
}

// ProgramByCode returns the program with the given code.
func (s *Store) ProgramByCode(ctx context.Context, code string) (*Program, error) {
	var id string
	if err := s.DB.NewSelect().Model((*programRow)(nil)).Column("id").Where("code = ?", code).Scan(ctx, &id); err != nil {
		return nil, db.Translate(err)
	}
	return s.Program(ctx, id)
}

// Version returns a program's version by number.
func (s *Store) Version(ctx context.Context, programID string, number int) (*StoredVersion, error) {
	return s.oneVersion(ctx, "program_id = ? AND number = ?", programID, number)
}

// VersionByID returns a version by its id.
func (s *Store) VersionByID(ctx context.Context, id string) (*StoredVersion, error) {
	return s.oneVersion(ctx, "id = ?", id)
}

func (s *Store) oneVersion(ctx context.Context, where string, args ...any) (*StoredVersion, error) {
	var r versionRow
	if err := s.DB.NewSelect().Model(&r).Where(where, args...).Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	var v curriculum.Version
	if err := json.Unmarshal([]byte(r.Content), &v); err != nil {
		return nil, fmt.Errorf("program version %s: stored content is unreadable: %w", r.ID, err)
	}
	return &StoredVersion{VersionInfo: info(&r), Version: &v}, nil
}

// StartDraft creates the next version of a program as a draft copy of its
// newest published version.
func (s *Store) StartDraft(ctx context.Context, programID, by string) (*StoredVersion, error) {
	p, err := s.Program(ctx, programID)
	if err != nil {
		return nil, err
	}
	if p.Draft() != nil {
		return nil, ErrDraftExists
	}
	latest := p.Latest()
	if latest == nil {
		return nil, ErrNoPublished
	}
	base, err := s.VersionByID(ctx, latest.ID)
	if err != nil {
		return nil, err
	}
	draft := base.Version.NewDraft()
	draft.Number = p.Versions[0].Number + 1
	return s.insertVersionAudited(ctx, programID, draft, by, ActionDraftStart, map[string]any{"from_version": latest.Number})
}

// insertVersionAudited inserts a version and its audit entry together.
func (s *Store) insertVersionAudited(ctx context.Context, programID string, v *curriculum.Version, by, action string, extra map[string]any) (*StoredVersion, error) {
	var out *StoredVersion
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if out, err = s.WithTx(tx).insertVersion(ctx, programID, v, by, s.Now().UTC()); err != nil {
			return err
		}
		after := versionSummary(out)
		for k, x := range extra {
			after[k] = x
		}
		return s.record(ctx, tx, action, &out.VersionInfo, nil, after)
	})
	return out, err
}

// ImportDraft stores v as the program's next draft (creating the program
// when its code is new). It refuses when the program already has a draft.
func (s *Store) ImportDraft(ctx context.Context, v *curriculum.Version, by string) (*StoredVersion, error) {
	v = v.Clone()
	v.Status, v.PublishedAt = curriculum.Draft, time.Time{}
	p, err := s.ProgramByCode(ctx, v.Program.Code)
	if errors.Is(err, db.ErrNotFound) {
		return s.create(ctx, v, by, ActionProgramImport)
	}
	if err != nil {
		return nil, err
	}
	if p.Draft() != nil {
		return nil, ErrDraftExists
	}
	v.Number = p.Versions[0].Number + 1
	return s.insertVersionAudited(ctx, p.ID, v, by, ActionProgramImport, nil)
}

// SaveDraft replaces a draft's content. lockVersion must be the one the
// editor loaded; otherwise ErrStale and nothing changes. Published
// versions are refused with curriculum.ErrPublished.
func (s *Store) SaveDraft(ctx context.Context, id string, lockVersion int, v *curriculum.Version) (*StoredVersion, error) {
	cur, err := s.VersionByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if cur.Status != curriculum.Draft {
		return nil, curriculum.ErrPublished
	}
	v = v.Clone()
	v.Number, v.Status, v.PublishedAt = cur.Number, curriculum.Draft, time.Time{}
	content, sum, err := encode(v)
	if err != nil {
		return nil, err
	}
	old, _, err := encode(cur.Version)
	if err != nil {
		return nil, err
	}
	before, after, err := audit.Changes([]byte(old), []byte(content))
	if err != nil {
		return nil, err
	}
	err = s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*versionRow)(nil)).
			Set("content = ?", content).Set("content_sha256 = ?", sum).Set("updated_at = ?", s.Now().UTC()).
			Set("lock_version = lock_version + 1").
			Where("id = ? AND status = 'draft' AND lock_version = ?", id, lockVersion).Exec(ctx)
		if err != nil {
			return db.Translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrStale
		}
		return s.record(ctx, tx, ActionDraftSave, &cur.VersionInfo,
			map[string]any{"content_sha256": cur.ContentSHA256, "lock_version": lockVersion, "changes": before},
			map[string]any{"content_sha256": sum, "lock_version": lockVersion + 1, "changes": after})
	})
	if err != nil {
		return nil, err
	}
	return s.VersionByID(ctx, id)
}

// Publish validates a draft and publishes it. Validation problems come
// back as *curriculum.ValidationError and leave the draft as it was.
func (s *Store) Publish(ctx context.Context, id string, lockVersion int, by string) (*StoredVersion, error) {
	cur, err := s.VersionByID(ctx, id)
	if err != nil {
		return nil, err
	}
	v := cur.Version
	if err := v.Publish(s.Now()); err != nil {
		return nil, err
	}
	content, sum, err := encode(v)
	if err != nil {
		return nil, err
	}
	at := v.PublishedAt
	err = s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*versionRow)(nil)).
			Set("content = ?", content).Set("content_sha256 = ?", sum).Set("status = 'published'").
			Set("published_at = ?", at).Set("published_by = ?", nullable(by)).Set("updated_at = ?", at).
			Set("lock_version = lock_version + 1").
			Where("id = ? AND status = 'draft' AND lock_version = ?", id, lockVersion).Exec(ctx)
		if err != nil {
			return db.Translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrStale
		}
		// The program's listed title follows its newest published version.
		if _, err := tx.NewUpdate().Model((*programRow)(nil)).Set("title = ?", v.Program.Title).Where("id = ?", cur.ProgramID).Exec(ctx); err != nil {
			return db.Translate(err)
		}
		return s.record(ctx, tx, ActionPublish, &cur.VersionInfo,
			map[string]any{"status": curriculum.Draft, "content_sha256": cur.ContentSHA256},
			map[string]any{"status": curriculum.Published, "content_sha256": sum, "published_at": at, "title": v.Program.Title})
	})
	if err != nil {
		return nil, err
	}
	return s.VersionByID(ctx, id)
}

// DiscardDraft deletes a draft (published versions are kept forever).
func (s *Store) DiscardDraft(ctx context.Context, id string) error {
	cur, err := s.VersionByID(ctx, id)
	if err != nil {
		return err
	}
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*versionRow)(nil)).Where("id = ? AND status = 'draft'", id).Exec(ctx)
		if err != nil {
			return db.Translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return db.ErrNotFound
		}
		// The discarded content is kept here: the version row is gone.
		content, _, err := encode(cur.Version)
		if err != nil {
			return err
		}
		return s.record(ctx, tx, ActionDiscard, &cur.VersionInfo,
			map[string]any{"status": curriculum.Draft, "content_sha256": cur.ContentSHA256, "content": json.RawMessage(content)}, nil)
	})
}

// Rules returns the compiled clearance rules of a version, cached for
// published versions (which never change).
func (s *Store) Rules(ctx context.Context, versionID string) (*curriculum.Rules, error) {
	if r, ok := s.rules.Load(versionID); ok {
		return r.(*curriculum.Rules), nil
	}
	sv, err := s.VersionByID(ctx, versionID)
	if err != nil {
		return nil, err
	}
	r, err := curriculum.Compile(sv.Version)
	if err != nil {
		return nil, fmt.Errorf("compile program version %s: %w", versionID, err)
	}
	if sv.Status == curriculum.Published {
		s.rules.Store(versionID, r)
	}
	return r, nil
}
