package credentials

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/db"

	"github.com/skillgate/skillgate/errkind"
)

// MaxFileSize is the largest evidence file accepted: a phone photo or a
// scanned certificate fits easily; the file is kept in the database.
const MaxFileSize = 5 << 20

// The content types evidence files may have.
const (
	TypePDF  = "application/pdf"
	TypePNG  = "image/png"
	TypeJPEG = "image/jpeg"
)

// Errors SaveFile returns.
var (
	// ErrFileTooLarge: over MaxFileSize.
	ErrFileTooLarge = errkind.New(errkind.TooLarge, fmt.Sprintf("The file is larger than %d MB; scan or photograph the card at a lower resolution, or save it as a smaller PDF.", MaxFileSize>>20))
	// ErrFileType: the bytes are not a PDF, PNG or JPEG, whatever the name says.
	ErrFileType = errkind.New(errkind.Invalid, "Only PDF, PNG and JPEG files can be attached, and this file is none of them (whatever its name says); save or scan the card as a PDF or take a photo.")
	// ErrFileEmpty: nothing was uploaded.
	ErrFileEmpty = errkind.New(errkind.Invalid, "The file is empty.")
)

// File is an evidence file. Serve it only to people allowed to see the
// person whose credential it belongs to; this package does not check that.
type File struct {
	ID     string
	SHA256 string // hex
	// ContentType is detected from the bytes (TypePDF, TypePNG or TypeJPEG).
	ContentType  string
	Size         int64
	OriginalName string
	UploadedAt   time.Time
	UploadedBy   string
	// Data is the content; File fills it, SaveFile leaves it nil.
	Data []byte
}

type fileRow struct {
	bun.BaseModel `bun:"table:credential_files"`
	ID            string    `bun:"id,pk"`
	SHA256        string    `bun:"sha256"`
	ContentType   string    `bun:"content_type"`
	Size          int64     `bun:"size"`
	OriginalName  string    `bun:"original_name"`
	Data          []byte    `bun:"data"`
	UploadedAt    time.Time `bun:"uploaded_at"`
	UploadedBy    string    `bun:"uploaded_by,nullzero"`
}

// DetectType returns the content type of b from its first bytes (magic
// numbers), or ErrFileType. File names and the browser's claimed type are
// not trusted: an HTML page renamed card.pdf must not be served back as if
// it were a PDF.
func DetectType(b []byte) (string, error) {
	switch {
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return TypePDF, nil
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return TypePNG, nil
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return TypeJPEG, nil
	}
	return "", ErrFileType
}

// SaveFile reads an uploaded evidence file (at most MaxFileSize), checks
// its type from its content, and stores it with its SHA-256. name is the
// uploader's file name, kept only for display and download.
func (s *Store) SaveFile(ctx context.Context, name string, r io.Reader, by string) (*File, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read uploaded file: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("save file %q: %w", cleanName(name), ErrFileTooLarge)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("save file %q: %w", cleanName(name), ErrFileEmpty)
	}
	ct, err := DetectType(data)
	if err != nil {
		return nil, fmt.Errorf("save file %q: %w", cleanName(name), err)
	}
	sum := sha256.Sum256(data)
	row := fileRow{
		ID: accounts.NewID(), SHA256: hex.EncodeToString(sum[:]), ContentType: ct, Size: int64(len(data)),
		OriginalName: cleanName(name), Data: data, UploadedAt: s.now(), UploadedBy: by,
	}
	err = s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return err
		}
		// The file's SHA-256 identifies its bytes; they are not copied here.
		return s.record(ctx, tx, ActionFileUpload, "credential_file", row.ID, nil, map[string]any{"sha256": row.SHA256,
			"content_type": row.ContentType, "size": row.Size, "name": row.OriginalName})
	})
	if err != nil {
		return nil, fmt.Errorf("save file %q: %w", row.OriginalName, translate(err))
	}
	f := row.file()
	f.Data = nil
	return f, nil
}

// File returns an evidence file's metadata and bytes.
func (s *Store) File(ctx context.Context, id string) (*File, error) {
	var row fileRow
	if err := s.DB.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("file %s: %w", id, db.Translate(err))
	}
	return row.file(), nil
}

func (r *fileRow) file() *File {
	return &File{
		ID: r.ID, SHA256: r.SHA256, ContentType: r.ContentType, Size: r.Size, OriginalName: r.OriginalName,
		UploadedAt: r.UploadedAt.UTC(), UploadedBy: r.UploadedBy, Data: r.Data,
	}
}

// DownloadName is the name to offer on download: the original name with
// the extension of the real type, so a PNG uploaded as card.pdf downloads
// as card.png and opens in the right program.
func (f *File) DownloadName() string {
	ext := map[string]string{TypePDF: ".pdf", TypePNG: ".png", TypeJPEG: ".jpg"}[f.ContentType]
	base := ""
	if strings.TrimSpace(f.OriginalName) != "" {
		base = cleanName(f.OriginalName)
	}
	if e := path.Ext(base); e != "" {
		base = strings.TrimSuffix(base, e)
	}
	// Shorten the base, not the extension, to keep within cleanName's
	// limit, which ContentDisposition applies to the whole name.
	if r := []rune(base); len(r) > maxNameRunes-len(ext) {
		base = strings.TrimSpace(string(r[:maxNameRunes-len(ext)]))
	}
	if base == "" {
		base = "credential"
	}
	return base + ext
}

// ContentDisposition returns a safe Content-Disposition header value that
// makes browsers download (never display) the file: an ASCII-only
// filename for old clients and the exact UTF-8 name as RFC 5987
// filename*. Quotes, backslashes, control characters and path separators
// cannot reach the header.
func ContentDisposition(name string) string {
	name = cleanName(name)
	var ascii strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r > 0x7e, r == '"', r == '\\', r == '/', r == ';', r == '%':
			ascii.WriteByte('_')
		default:
			ascii.WriteRune(r)
		}
	}
	var enc strings.Builder
	for _, b := range []byte(name) {
		if isAttrChar(b) {
			enc.WriteByte(b)
		} else {
			fmt.Fprintf(&enc, "%%%02X", b)
		}
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + enc.String()
}

// isAttrChar reports RFC 5987 attr-char: characters allowed unencoded.
func isAttrChar(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}

// CleanName is the display name kept for an uploaded file's name (see
// cleanName), for other stores of uploaded files.
func CleanName(name string) string { return cleanName(name) }

// maxNameRunes is the longest file name kept.
const maxNameRunes = 200

// cleanName reduces an uploaded file name to a display name: the last path
// element (browsers on Windows may send C:\...\card.pdf), valid UTF-8,
// without control characters, at most 200 characters; "file" if nothing
// is left.
func cleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToValidUTF8(name, "")
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > maxNameRunes {
		name = string([]rune(name)[:maxNameRunes])
	}
	if name == "" || name == "." || name == ".." {
		return "file"
	}
	return name
}
