package credentials_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"mime"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/skillgate/skillgate/app/credentials"
)

// checkPreview is what every fuzzed parse must satisfy: an error that
// says what is wrong, or a preview whose problems are placed and worded
// and whose rows are valid.
func checkPreview(t *testing.T, p *credentials.Preview, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, credentials.ErrUnreadable) && !errors.Is(err, credentials.ErrUnsafeArchive) &&
			!errors.Is(err, credentials.ErrTooManyRows) && !errors.Is(err, credentials.ErrUploadTooLarge) {
			t.Fatalf("unexpected error kind: %v", err)
		}
		return
	}
	for _, pr := range p.Problems {
		if pr.Message == "" || pr.Row < 0 {
			t.Fatalf("unclear problem %+v", pr)
		}
	}
	for _, c := range p.Credentials {
		if c.Record.TypeCode == "" || c.Record.IssuedOn.IsZero() || (!c.Record.ExpiresOn.IsZero() && c.Record.ExpiresOn.Before(c.Record.IssuedOn)) || c.Row < 1 {
			t.Fatalf("invalid credential row accepted: %+v", c)
		}
	}
	for _, pe := range p.People {
		if pe.EmployeeID == "" || strings.ContainsRune(pe.EmployeeID+pe.Name+pe.Email, 0) {
			t.Fatalf("invalid person accepted: %+v", pe)
		}
	}
}

func FuzzParseCSV(f *testing.F) {
	tmpl, _ := credentials.Template(credentials.FormatCSV, "")
	f.Add(tmpl)
	f.Add([]byte("employee_id,name,email,role,credential_type,issued_on,expires_on\nE1,Ana,a@b.example,apprentice,BLS,03/14/2026,10/2027\n"))
	f.Add([]byte("employee_id;name\nE1;\"multi\nline\"\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := credentials.Parse("fuzz.csv", bytes.NewReader(data))
		checkPreview(t, p, err)
	})
}

func FuzzParseXLSX(f *testing.F) {
	tmpl, _ := credentials.Template(credentials.FormatXLSX, "")
	f.Add(tmpl)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := credentials.Parse("fuzz.xlsx", bytes.NewReader(data))
		checkPreview(t, p, err)
	})
}

// An uploaded evidence file's type comes from its first bytes only, and
// anything else is refused with ErrFileType.
func FuzzDetectType(f *testing.F) {
	for _, s := range []string{"%PDF-1.7\n%\xe2\xe3", "\x89PNG\r\n\x1a\n\x00\x00", "\xff\xd8\xff\xe0JFIF", "<html><script>", "", "%PDF", "PK\x03\x04", "\x89PNG"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ct, err := credentials.DetectType(b)
		if err != nil {
			if !errors.Is(err, credentials.ErrFileType) || ct != "" {
				t.Fatalf("DetectType(%q) = %q, %v", b, ct, err)
			}
			return
		}
		magic := map[string]string{credentials.TypePDF: "%PDF-", credentials.TypePNG: "\x89PNG\r\n\x1a\n", credentials.TypeJPEG: "\xff\xd8\xff"}[ct]
		if magic == "" || !bytes.HasPrefix(b, []byte(magic)) {
			t.Fatalf("DetectType(%q) = %q", b, ct)
		}
	})
}

// Whatever name a browser sends with a file, the download header is plain
// ASCII without line breaks, makes the browser download, and names the
// file (decoded from filename*) without a path, control characters or
// invalid UTF-8, keeping the extension of the real type.
func FuzzContentDisposition(f *testing.F) {
	for _, s := range []string{"card.pdf", `C:\Users\ana\Desktop\bls card.pdf`, "../../etc/passwd", `a"b;c%20.pdf`, "x\r\nSet-Cookie: s=1", "naïve café.png", "%41.pdf", "", ".", "..", ".pdf", "\xff\xfe.png", "名前.jpg", strings.Repeat("ab", 300) + ".pdf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		for _, ct := range []string{credentials.TypePDF, credentials.TypePNG, credentials.TypeJPEG} {
			fl := &credentials.File{OriginalName: name, ContentType: ct}
			h := credentials.ContentDisposition(fl.DownloadName())
			for i := 0; i < len(h); i++ {
				if h[i] < 0x20 || h[i] >= 0x7f {
					t.Fatalf("header %q has byte %#x", h, h[i])
				}
			}
			disp, params, err := mime.ParseMediaType(h)
			if err != nil || disp != "attachment" {
				t.Fatalf("header %q does not parse: %q %v", h, disp, err)
			}
			got := params["filename"]
			if got == "" || got == "." || got == ".." || strings.ContainsAny(got, `/\`) || !utf8.ValidString(got) ||
				strings.ContainsFunc(got, unicode.IsControl) || utf8.RuneCountInString(got) > 200 {
				t.Fatalf("name %q downloads as %q (header %q)", name, got, h)
			}
			if want := map[string]string{credentials.TypePDF: ".pdf", credentials.TypePNG: ".png", credentials.TypeJPEG: ".jpg"}[ct]; !strings.HasSuffix(got, want) {
				t.Fatalf("name %q as %s downloads as %q", name, ct, got)
			}
		}
	})
}

// minimalWorkbook is an .xlsx with the given first worksheet and shared
// strings (none if sst is nil), stored uncompressed.
func minimalWorkbook(t testing.TB, sheet, sst []byte) []byte {
	const ns = `xmlns="http://schemas.openxmlformats.org/package/2006/relationships"`
	parts := []struct {
		name string
		body []byte
	}{
		{"[Content_Types].xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`)},
		{"_rels/.rels", []byte(`<?xml version="1.0" encoding="UTF-8"?><Relationships ` + ns + `><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)},
		{"xl/workbook.xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="People" sheetId="1" r:id="rId1"/></sheets></workbook>`)},
		{"xl/_rels/workbook.xml.rels", []byte(`<?xml version="1.0" encoding="UTF-8"?><Relationships ` + ns + `><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`)},
		{"xl/worksheets/sheet1.xml", sheet},
	}
	if sst != nil {
		parts = append(parts, struct {
			name string
			body []byte
		}{"xl/sharedStrings.xml", sst})
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, p := range parts {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p.body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The archive checks refuse almost every byte-level mutation of a whole
// .xlsx (checksums), so this target fuzzes the worksheet and shared
// strings XML inside a well-formed archive: what excelize and the row
// reader make of hostile cells, row numbers, types and strings.
func FuzzParseXLSXParts(f *testing.F) {
	const main = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	f.Add([]byte(`<worksheet `+main+`><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>`+
		`<row r="2"><c r="A2" t="inlineStr"><is><t>E1</t></is></c><c r="B2" t="s"><v>4</v></c><c r="C2" t="s"><v>5</v></c><c r="D2"><v>46095</v></c></row></sheetData></worksheet>`),
		[]byte(`<sst `+main+`><si><t>employee_id</t></si><si><t>name</t></si><si><t>credential_type</t></si><si><t>issued_on</t></si><si><t>Ana</t></si><si><r><t>B</t></r><r><t>LS</t></r></si></sst>`))
	f.Add([]byte(`<worksheet `+main+`><sheetData><row r="1048576"><c r="XFD1048576" t="s"><v>99999999999</v></c></row><row r="3"><c r="A3" t="e"><v>#REF!</v></c><c r="B3" t="b"><v>1</v></c><c r="C3" t="str"><f>1+1</f><v>2</v></c></row></sheetData></worksheet>`),
		[]byte(`<sst><si><t xml:space="preserve">  x  </t></si><x:si xmlns:x="y"><x:t>z</x:t></x:si></sst>`))
	f.Add([]byte(`<worksheet><sheetData><row><c><v>1</v></c></row><row r="-1"/><row r="0"><c r="A0"/></row></sheetData></worksheet>`), []byte(nil))
	f.Add([]byte(`<?xml version="1.0" encoding="UTF-16"?><worksheet/>`), []byte(`<!DOCTYPE sst [<!ENTITY a "aaaa">]><sst><si><t>&a;&a;</t></si></sst>`))
	f.Fuzz(func(t *testing.T, sheet, sst []byte) {
		p, err := credentials.Parse("fuzz.xlsx", bytes.NewReader(minimalWorkbook(t, sheet, sst)))
		checkPreview(t, p, err)
	})
}
