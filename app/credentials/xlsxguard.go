package credentials

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
)

// An .xlsx file is a zip archive of XML files, and a small archive can
// unpack to gigabytes (a "zip bomb"). checkArchive reads only the archive's
// directory, before excelize unpacks anything, and refuses what no real
// import needs. Go's zip reader also refuses an entry that unpacks to more
// than its directory entry claims, so the declared sizes checked here are
// upper bounds on what excelize will read.
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
)

// ErrUnsafeArchive: the workbook would unpack to far more than any real
// import (a zip bomb, or a workbook full of other content).
var ErrUnsafeArchive = errors.New("the workbook is built in a way Skillgate does not open (it would unpack to far more data than any import sheet); copy the rows into a new workbook and try again")

func checkArchive(data []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("%w: the workbook is damaged or not a real Excel file (%v)", ErrUnreadable, err)
	}
	if len(zr.File) > maxEntries {
		return fmt.Errorf("%w: it holds %d parts (at most %d)", ErrUnsafeArchive, len(zr.File), maxEntries)
	}
	var total uint64
	for _, f := range zr.File {
		u, c := f.UncompressedSize64, f.CompressedSize64
		total += u
		if total > maxUncompressed || u > maxUncompressed {
			return fmt.Errorf("%w: it unpacks to more than %d MB", ErrUnsafeArchive, maxUncompressed>>20)
		}
		if u > ratioExempt && (c == 0 || u/c > maxRatio) {
			return fmt.Errorf("%w: part %q expands more than %d times", ErrUnsafeArchive, clip(f.Name), maxRatio)
		}
	}
	return nil
}
