package server

import (
	"errors"
	"io/fs"
	"os"
	"testing"
)

// A report workbook is written to a temporary file that is gone once the
// response has been sent (fasthttp closes the body stream).
func TestReportTempFileIsRemovedOnClose(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "skillgate-report-*.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	tf := &tempFile{f}
	if _, err := tf.WriteString("workbook"); err != nil {
		t.Fatal(err)
	}
	if err := tf.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.Name()); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the temporary file is still there: %v", err)
	}
}
