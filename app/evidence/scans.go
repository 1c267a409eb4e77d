package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
)

// A transcription may carry the scanned paper page it was typed from: a
// PDF, PNG or JPEG of at most credentials.MaxFileSize, checked from its
// bytes and kept in the database with its SHA-256, as credential files are
// (app/credentials). It is written in the transcription's own
// transaction, so a record never exists without the scan it was sent
// with. Serve it only to staff of the enrollment's site (the caller's
// policy); every download is audited.

// Audit actions of scans, filed under the record they belong to.
const (
	ActionScanAttach   = "transcription.scan_attach"
	ActionScanDownload = "transcription.scan_download"
)

// Upload is a scanned page as sent with a transcription.
type Upload struct {
	Name string
	Data io.Reader
}

// Scan is a stored scanned page; Data is filled only by Store.Scan.
type Scan struct {
	ID           string    `json:"id"`
	RecordID     string    `json:"record_id"`
	SHA256       string    `json:"sha256"`
	ContentType  string    `json:"content_type"`
	Size         int64     `json:"size"`
	OriginalName string    `json:"name"`
	UploadedAt   time.Time `json:"uploaded_at"`
	Data         []byte    `json:"-"`
}

// DownloadName is the name to offer on download, with the extension of
// the real type.
func (sc *Scan) DownloadName() string {
	f := credentials.File{ContentType: sc.ContentType, OriginalName: sc.OriginalName}
	return f.DownloadName()
}

type scanRow struct {
	bun.BaseModel `bun:"table:transcription_scans"`
	ID            string    `bun:"id,pk"`
	EnrollmentID  string    `bun:"enrollment_id"`
	RecordKind    string    `bun:"record_kind"`
	RecordID      string    `bun:"record_id"`
	SHA256        string    `bun:"sha256"`
	ContentType   string    `bun:"content_type"`
	Size          int64     `bun:"size"`
	OriginalName  string    `bun:"original_name"`
	Data          []byte    `bun:"data"`
	UploadedAt    time.Time `bun:"uploaded_at"`
	UploadedBy    string    `bun:"uploaded_by"`
}

func (r *scanRow) scan() Scan {
	return Scan{ID: r.ID, RecordID: r.RecordID, SHA256: r.SHA256, ContentType: r.ContentType, Size: r.Size,
		OriginalName: r.OriginalName, UploadedAt: r.UploadedAt.UTC(), Data: r.Data}
}

// pendingScan is an upload read and checked, waiting for its record.
type pendingScan struct {
	name string
	data []byte
	ct   string
}

// readScan reads and checks an upload (nil: none): at most
// credentials.MaxFileSize, not empty, a PDF, PNG or JPEG by its bytes.
func readScan(up *Upload) (*pendingScan, error) {
	if up == nil || up.Data == nil {
		return nil, nil
	}
	data, err := io.ReadAll(io.LimitReader(up.Data, credentials.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read scanned page: %w", err)
	}
	switch {
	case len(data) > credentials.MaxFileSize:
		return nil, credentials.ErrFileTooLarge.WithField("scan", fmt.Sprintf("The scanned page is larger than %d MB; scan it at a lower resolution or save it as a smaller PDF.", credentials.MaxFileSize>>20))
	case len(data) == 0:
		return nil, credentials.ErrFileEmpty.WithField("scan", "The scanned page's file is empty.")
	}
	ct, err := credentials.DetectType(data)
	if err != nil {
		return nil, credentials.ErrFileType.WithField("scan", "Only PDF, PNG and JPEG files can be attached, and this file is none of them (whatever its name says); scan the page as a PDF or take a photo.")
	}
	return &pendingScan{name: up.Name, data: data, ct: ct}, nil
}

// withScan returns a Store whose next record write also stores scan (nil:
// none) in its transaction.
func (s *Store) withScan(scan *pendingScan) *Store {
	if scan == nil {
		return s
	}
	c := *s
	c.scan = scan
	return &c
}

// attachScan stores the pending scan, if any, for the record (kind is its
// audit entity type), with its audit entry, in tx.
func (s *Store) attachScan(ctx context.Context, tx bun.IDB, enrollmentID, kind, recordID, by string) error {
	if s.scan == nil {
		return nil
	}
	sum := sha256.Sum256(s.scan.data)
	row := scanRow{ID: newID(), EnrollmentID: enrollmentID, RecordKind: kind, RecordID: recordID, SHA256: hex.EncodeToString(sum[:]),
		ContentType: s.scan.ct, Size: int64(len(s.scan.data)), OriginalName: credentials.CleanName(s.scan.name), Data: s.scan.data,
		UploadedAt: s.Now().UTC(), UploadedBy: by}
	if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
		return err
	}
	return s.record(ctx, tx, ActionScanAttach, kind, recordID, nil, map[string]any{"scan_id": row.ID, "sha256": row.SHA256,
		"content_type": row.ContentType, "size": row.Size, "name": row.OriginalName})
}

// Scans returns the scans (without their bytes) of the enrollments'
// records, by record id.
func (s *Store) Scans(ctx context.Context, enrollmentIDs []string) (map[string]Scan, error) {
	out := map[string]Scan{}
	if len(enrollmentIDs) == 0 {
		return out, nil
	}
	var rows []scanRow
	if err := s.DB.NewSelect().Model(&rows).ExcludeColumn("data").Where("enrollment_id IN (?)", db.IDs(enrollmentIDs)).Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	for i := range rows {
		out[rows[i].RecordID] = rows[i].scan()
	}
	return out, nil
}

// DownloadScan returns the scan of a record of the enrollment, with its
// bytes, and audits the download by who (db.ErrNotFound: no such scan in
// that enrollment).
func (s *Store) DownloadScan(ctx context.Context, enrollmentID, recordID, by string) (*Scan, error) {
	var row scanRow
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewSelect().Model(&row).Where("enrollment_id = ? AND record_id = ?", enrollmentID, recordID).Scan(ctx); err != nil {
			return err
		}
		return s.record(ctx, tx, ActionScanDownload, row.RecordKind, recordID, nil, map[string]any{"scan_id": row.ID, "sha256": row.SHA256, "by": by})
	})
	if err != nil {
		return nil, fmt.Errorf("scan of %s: %w", recordID, db.Translate(err))
	}
	sc := row.scan()
	return &sc, nil
}
