package credentials_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

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
	tmpl, _ := credentials.Template(credentials.FormatCSV)
	f.Add(tmpl)
	f.Add([]byte("employee_id,name,email,role,credential_type,issued_on,expires_on\nE1,Ana,a@b.example,apprentice,BLS,03/14/2026,10/2027\n"))
	f.Add([]byte("employee_id;name\nE1;\"multi\nline\"\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := credentials.Parse("fuzz.csv", bytes.NewReader(data))
		checkPreview(t, p, err)
	})
}

func FuzzParseXLSX(f *testing.F) {
	tmpl, _ := credentials.Template(credentials.FormatXLSX)
	f.Add(tmpl)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := credentials.Parse("fuzz.xlsx", bytes.NewReader(data))
		checkPreview(t, p, err)
	})
}
