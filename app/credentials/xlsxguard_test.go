package credentials_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/credentials"
)

// zipOf builds an archive; each entry's content comes from its writer func.
func zipOf(t testing.TB, entries map[string]func(io.Writer)) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, write := range entries {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		write(w)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestMalformedFilesAreErrors(t *testing.T) {
	valid, err := credentials.Template(credentials.FormatXLSX, "")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"truncated.xlsx": valid[:len(valid)/2],
		"garbage sheet.xlsx": zipOf(t, map[string]func(io.Writer){
			"[Content_Types].xml": func(w io.Writer) {
				io.WriteString(w, `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`)
			},
			"xl/workbook.xml": func(w io.Writer) {
				io.WriteString(w, `<workbook><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`)
			},
			"xl/worksheets/sheet1.xml": func(w io.Writer) {
				io.WriteString(w, `<worksheet><sheetData><row r="-5"><c r="ZZZZZZ1" t="s"><v>99999</v></c></row>`)
			},
		}),
		"not zip.xlsx":  []byte("hello, this is text"),
		"old.xls":       append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 100)...),
		"binary.csv":    {0x00, 0x01, 0x02},
		"latin1.csv":    []byte("employee_id,name\nE1,Jos\xe9\n"),
		"bad quote.csv": []byte("employee_id,name\nE1,\"Ana\n"),
	}
	for name, data := range cases {
		p, err := credentials.Parse(name, bytes.NewReader(data))
		if err == nil {
			// Some damage excelize tolerates; the result must then be a
			// preview that refuses to apply, not garbage.
			if p.OK() {
				t.Errorf("%s: accepted as %+v", name, p)
			}
			continue
		}
		if !errors.Is(err, credentials.ErrUnreadable) && !errors.Is(err, credentials.ErrUnsafeArchive) {
			t.Errorf("%s: unexpected error kind %v", name, err)
		}
		if strings.Contains(err.Error(), "panic") || len(err.Error()) < 30 {
			t.Errorf("%s: unclear error %v", name, err)
		}
	}
	big := bytes.Repeat([]byte("a"), credentials.MaxUploadSize+1)
	if _, err := credentials.Parse("big.csv", bytes.NewReader(big)); !errors.Is(err, credentials.ErrUploadTooLarge) {
		t.Fatalf("oversize upload: %v", err)
	}
}

func TestRowCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("employee_id,name\n")
	for i := range credentials.MaxRows + 1 {
		fmt.Fprintf(&b, "E%d,x\n", i)
	}
	if _, err := credentials.Parse("rows.csv", strings.NewReader(b.String())); !errors.Is(err, credentials.ErrTooManyRows) {
		t.Fatalf("too many rows: %v", err)
	}
}
