package credentials

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/skillgate/skillgate/errkind"
)

// An .xlsx file is a zip archive of XML files, and a small archive can
// unpack to gigabytes (a "zip bomb"). checkArchive reads the archive's
// directory before excelize unpacks anything and refuses what no real
// import needs; then it unpacks each part once into nothing (the
// shared-strings part through a counter), which refuses damaged parts and
// parts that unpack to more than their directory entry claims. So the
// declared sizes checked here are upper bounds on what excelize reads.
//
// Where the memory goes: excelize keeps every part in memory except
// worksheets larger than xmlInMemory, which it unpacks to a temporary file
// and streams. So parts held in memory are bounded one by one and in sum;
// a big worksheet is fine. The shared-strings table is parsed whole (about
// 100 bytes of heap per string), so its number of strings is bounded too.
// A 50,000-row import (MaxRows) with four distinct texts per row fits
// within every limit.
const (
	// maxUncompressed bounds the whole unpacked workbook. A 50,000-row
	// import sheet is around 40 MB of XML.
	maxUncompressed = 150 << 20
	// maxEntries bounds the number of files in the archive; a workbook
	// from Excel has a dozen or two.
	maxEntries = 500
	// maxRatio bounds how much one entry may expand. Spreadsheet XML packs
	// some 5–30 times; 1,000 times is a file of repeated bytes made to expand.
	maxRatio = 200
	// ratioExempt: entries smaller than this unpacked cannot hurt, whatever
	// their ratio.
	ratioExempt = 1 << 20
	// xmlInMemory is excelize's UnzipXMLSizeLimit: worksheets larger than
	// this are streamed from a temporary file instead of held in memory.
	xmlInMemory = 16 << 20
	// maxInMemory bounds the parts excelize holds in memory, together.
	maxInMemory = 64 << 20
	// maxSharedStrings bounds the shared-strings table.
	maxSharedStrings = 8 * MaxRows
)

// ErrUnsafeArchive: the workbook would unpack to far more than any real
// import (a zip bomb, or a workbook full of other content).
var ErrUnsafeArchive = errkind.New(errkind.TooLarge, "The workbook is built in a way Skillgate does not open (it would unpack to far more data than any import sheet); copy the rows into a new workbook and try again")

func checkArchive(data []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("%w: the workbook is damaged or not a real Excel file (%v)", ErrUnreadable, err)
	}
	if len(zr.File) > maxEntries {
		return fmt.Errorf("%w: it holds %d parts (at most %d)", ErrUnsafeArchive, len(zr.File), maxEntries)
	}
	var total, inMemory uint64
	var sst *zip.File
	for _, f := range zr.File {
		u, c := f.UncompressedSize64, f.CompressedSize64
		total += u
		if total > maxUncompressed || u > maxUncompressed {
			return fmt.Errorf("%w: it unpacks to more than %d MB", ErrUnsafeArchive, maxUncompressed>>20)
		}
		if u > ratioExempt && (c == 0 || u/c > maxRatio) {
			return fmt.Errorf("%w: part %q expands more than %d times", ErrUnsafeArchive, clip(f.Name), maxRatio)
		}
		// Names as excelize matches them (lib.go, ReadZipReader).
		name := strings.ToLower(strings.ReplaceAll(f.Name, `\`, "/"))
		if strings.HasPrefix(name, "xl/worksheets/sheet") && u > xmlInMemory {
			continue // streamed from a temporary file
		}
		if u > xmlInMemory {
			return fmt.Errorf("%w: part %q unpacks to more than %d MB", ErrUnsafeArchive, clip(f.Name), xmlInMemory>>20)
		}
		if inMemory += u; inMemory > maxInMemory {
			return fmt.Errorf("%w: its parts other than the worksheets unpack to more than %d MB", ErrUnsafeArchive, maxInMemory>>20)
		}
		if name == "xl/sharedstrings.xml" {
			sst = f
		}
	}
	// excelize ignores an error in the middle of a part and uses what it
	// read so far, so a damaged or lying part (one that unpacks to more
	// than its directory entry says) would import as a part of its rows.
	// Unpacking every part once here, into nothing, checks each one's size
	// and checksum first.
	for _, f := range zr.File {
		if f == sst {
			n, err := countSharedStrings(f)
			if err != nil {
				return fmt.Errorf("%w: the workbook is damaged (part %q: %v); open it in Excel and save it again, or save it as CSV", ErrUnreadable, clip(f.Name), err)
			}
			if n > maxSharedStrings {
				return fmt.Errorf("%w: it holds more than %d different texts", ErrUnsafeArchive, maxSharedStrings)
			}
			continue
		}
		if err := unpacksCleanly(f); err != nil {
			return fmt.Errorf("%w: the workbook is damaged (part %q: %v); open it in Excel and save it again, or save it as CSV", ErrUnreadable, clip(f.Name), err)
		}
	}
	return nil
}

func unpacksCleanly(f *zip.File) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err
}

// countSharedStrings counts the <si> elements (with any namespace prefix)
// of the shared-strings part, streaming, without parsing the XML. Text in
// comments is counted too; over-counting only errs on the safe side.
func countSharedStrings(f *zip.File) (int, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	r := bufio.NewReaderSize(rc, 64<<10)
	n := 0
	var name []byte
	for {
		if _, err := r.ReadSlice('<'); err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if err == io.EOF {
				return n, nil
			}
			return n, err
		}
		name = name[:0]
		for len(name) < 64 {
			b, err := r.ReadByte()
			if err != nil {
				break // the next ReadSlice reports it
			}
			if b == '<' {
				_ = r.UnreadByte()
				break
			}
			if b == '>' || b == '/' || b == ' ' || b == '\t' || b == '\r' || b == '\n' {
				break
			}
			name = append(name, b)
		}
		if _, local, ok := bytes.Cut(name, []byte(":")); ok {
			name = local
		}
		if string(name) == "si" {
			n++
		}
	}
}
