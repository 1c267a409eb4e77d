package reports

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// TestExportWalksEveryBatch: with batches of 7 people, an export of 30
// people × 4 required credentials has every row once, in name order,
// whatever the batch boundaries.
func TestExportWalksEveryBatch(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s, q := seedCertifications(t, d, dialectOf(t), 30, nil)
		s.Batch = 7
		var buf bytes.Buffer
		if err := Certifications.Export(context.Background(), s, q, &buf); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows("Certifications")
		if len(rows) != 1+30*4 {
			t.Fatalf("%d rows, want %d", len(rows)-1, 30*4)
		}
		seen := map[string]int{}
		for i, r := range rows[1:] {
			seen[r[0]]++
			if i > 0 && rows[i][0] > r[0] {
				t.Fatalf("out of name order: %q then %q", rows[i][0], r[0])
			}
		}
		for name, n := range seen {
			if n != 4 {
				t.Fatalf("%s has %d rows, want 4", name, n)
			}
		}
	})
}

// TestExportStopsOnAWriteError: a value the workbook refuses (longer than
// a cell holds) ends the export with that error while later batches are
// being read; nothing hangs.
func TestExportStopsOnAWriteError(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s, q := seedCertifications(t, d, dialectOf(t), 30, func(i int) string {
			if i == 3 {
				return "B" + strings.Repeat("x", MaxCellText)
			}
			return "Person " + string(rune('A'+i%26)) + string(rune('a'+i/26))
		})
		s.Batch = 2
		err := Certifications.Export(context.Background(), s, q, &bytes.Buffer{})
		if !errors.Is(err, ErrCellTooLong) {
			t.Fatalf("export: %v, want the too-long refusal", err)
		}
	})
}

func dialectOf(t *testing.T) db.Dialect {
	name := t.Name()
	return db.Dialect(name[strings.LastIndex(name, "/")+1:])
}
