package credentials_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

func pngBytes(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSaveFileChecksContent(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := context.Background()
		s, _ := newStore(d)
		hr := person(t, d, "hr@example.org")

		// A PNG named .pdf is accepted as what it is.
		img := pngBytes(t)
		f, err := s.SaveFile(ctx, `C:\Users\hr\card.pdf`, bytes.NewReader(img), hr.ID)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(img)
		if f.ContentType != credentials.TypePNG || f.Size != int64(len(img)) || f.SHA256 != hex.EncodeToString(sum[:]) || f.OriginalName != "card.pdf" {
			t.Fatalf("saved = %+v", f)
		}
		got, err := s.File(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Data, img) || got.ContentType != credentials.TypePNG || got.UploadedBy != hr.ID {
			t.Fatalf("read back = %+v", got)
		}
		if got.DownloadName() != "card.png" {
			t.Fatalf("download name %q", got.DownloadName())
		}

		pdf := []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
		if f, err := s.SaveFile(ctx, "bls.pdf", bytes.NewReader(pdf), hr.ID); err != nil || f.ContentType != credentials.TypePDF {
			t.Fatalf("pdf: %+v %v", f, err)
		}
		jpg := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{1}, 100)...)
		if f, err := s.SaveFile(ctx, "photo.jpeg", bytes.NewReader(jpg), hr.ID); err != nil || f.ContentType != credentials.TypeJPEG {
			t.Fatalf("jpeg: %+v %v", f, err)
		}

		// An HTML page renamed .pdf is refused, as are empty and oversize files.
		html := []byte("<!doctype html><script>alert(1)</script>")
		if _, err := s.SaveFile(ctx, "card.pdf", bytes.NewReader(html), hr.ID); !errors.Is(err, credentials.ErrFileType) {
			t.Fatalf("html: %v", err)
		}
		if _, err := s.SaveFile(ctx, "x.pdf", bytes.NewReader(nil), hr.ID); !errors.Is(err, credentials.ErrFileEmpty) {
			t.Fatalf("empty: %v", err)
		}
		big := append([]byte("%PDF-1.4\n"), make([]byte, credentials.MaxFileSize)...)
		if _, err := s.SaveFile(ctx, "big.pdf", bytes.NewReader(big), hr.ID); !errors.Is(err, credentials.ErrFileTooLarge) {
			t.Fatalf("oversize: %v", err)
		}
		exact := append([]byte("%PDF-1.4\n"), make([]byte, credentials.MaxFileSize-9)...)
		if _, err := s.SaveFile(ctx, "exact.pdf", bytes.NewReader(exact), hr.ID); err != nil {
			t.Fatalf("exactly the limit: %v", err)
		}
		if _, err := s.File(ctx, "nope"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("missing file: %v", err)
		}
	})
}

func TestContentDisposition(t *testing.T) {
	cases := map[string]string{
		"card.pdf":                 `attachment; filename="card.pdf"; filename*=UTF-8''card.pdf`,
		`Zoë "BLS" card.pdf`:       `attachment; filename="Zo_ _BLS_ card.pdf"; filename*=UTF-8''Zo%C3%AB%20%22BLS%22%20card.pdf`,
		"../../etc/passwd":         `attachment; filename="passwd"; filename*=UTF-8''passwd`,
		"a\r\nSet-Cookie: x=1.pdf": `attachment; filename="aSet-Cookie: x=1.pdf"; filename*=UTF-8''aSet-Cookie%3A%20x%3D1.pdf`,
		"":                         `attachment; filename="file"; filename*=UTF-8''file`,
		"100%;.png":                `attachment; filename="100__.png"; filename*=UTF-8''100%25%3B.png`,
	}
	for in, want := range cases {
		got := credentials.ContentDisposition(in)
		if got != want {
			t.Errorf("ContentDisposition(%q) = %s, want %s", in, got, want)
		}
		if strings.ContainsAny(got, "\r\n") {
			t.Errorf("header injection in %q", got)
		}
	}
}

// AddWithFile stores the evidence file and the record together: a record
// refused after its file was read leaves no file behind, and a good one
// refers to the stored file.
func TestAddWithFileIsAllOrNothing(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := context.Background()
		s, _ := newStore(d)
		hr := person(t, d, "hr@example.org")
		ma := person(t, d, "ma@example.org")
		count := func(table string) int {
			t.Helper()
			n, err := d.NewSelect().Table(table).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
		bad := credentials.NewRecord{PersonID: ma.ID, TypeCode: "", IssuedOn: day("2026-01-10"), RecordedBy: hr.ID}
		if _, err := s.AddWithFile(ctx, bad, &credentials.Upload{Name: "card.png", Content: bytes.NewReader(pngBytes(t))}); !errors.Is(err, credentials.ErrInvalid) {
			t.Fatalf("a record without a type: %v", err)
		}
		if n := count("credential_files"); n != 0 {
			t.Fatalf("%d files kept for a refused record", n)
		}
		if _, err := s.AddWithFile(ctx, credentials.NewRecord{PersonID: ma.ID, TypeCode: "BLS", IssuedOn: day("2026-01-10"), RecordedBy: hr.ID},
			&credentials.Upload{Name: "card.html", Content: strings.NewReader("<html>")}); !errors.Is(err, credentials.ErrFileType) {
			t.Fatalf("a web page as evidence: %v", err)
		}
		if n := count("credentials"); n != 0 {
			t.Fatalf("%d records kept with a refused file", n)
		}
		rec, err := s.AddWithFile(ctx, credentials.NewRecord{PersonID: ma.ID, TypeCode: "BLS", IssuedOn: day("2026-01-10"), RecordedBy: hr.ID},
			&credentials.Upload{Name: "card.png", Content: bytes.NewReader(pngBytes(t))})
		if err != nil {
			t.Fatal(err)
		}
		f, err := s.File(ctx, rec.FileID)
		if err != nil || f.UploadedBy != hr.ID || f.OriginalName != "card.png" {
			t.Fatalf("the record's file: %+v, %v", f, err)
		}
		if rec, err := s.AddWithFile(ctx, credentials.NewRecord{PersonID: ma.ID, TypeCode: "CPR", IssuedOn: day("2026-01-10"), RecordedBy: hr.ID}, nil); err != nil || rec.FileID != "" {
			t.Fatalf("a record without a file: %+v, %v", rec, err)
		}
		if n := count("credential_files"); n != 1 {
			t.Fatalf("%d files stored, want 1", n)
		}
	})
}
