package credentials_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// BenchmarkImport10k parses, checks and applies a CSV of 10,000 new people
// with a BLS card each (20,000 rows written, plus roles and sites), on a
// fresh database per iteration; "reimport" applies the same file again
// (everything unchanged).
//
// Measured on the 2-core development machine (AMD EPYC), with PostgreSQL on
// 127.0.0.1:
//
//	SKILLGATE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable \
//	  go test -run XXX -bench Import10k -benchtime 5x -benchmem ./app/credentials/
//
//	sqlite/new         0.44 s per import   90 MB allocated
//	sqlite/reimport    0.43 s             131 MB
//	postgres/new       0.79 s              89 MB
//	postgres/reimport  0.29 s             123 MB
//
// Without the variable only the SQLite figures are produced.
func BenchmarkImport10k(b *testing.B) {
	data := bigImport(b, 10000, 0, nil)
	ctx := context.Background()
	for _, dialect := range dbtest.Dialects {
		b.Run(string(dialect)+"/new", func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				d := dbtest.New(b, dialect)
				im, hr := org(b, d)
				b.StartTimer()
				if sum := runImport(b, ctx, im, hr.ID, data); sum.PeopleCreated != 10000 || sum.CredentialsCreated != 10000 {
					b.Fatalf("summary %+v", sum)
				}
			}
		})
		b.Run(string(dialect)+"/reimport", func(b *testing.B) {
			d := dbtest.New(b, dialect)
			im, hr := org(b, d)
			runImport(b, ctx, im, hr.ID, data)
			for b.Loop() {
				if sum := runImport(b, ctx, im, hr.ID, data); sum.PeopleUnchanged != 10000 || sum.CredentialsUnchanged != 10000 {
					b.Fatalf("summary %+v", sum)
				}
			}
		})
	}
}

func runImport(b *testing.B, ctx context.Context, im *credentials.Importer, by string, data []byte) credentials.Summary {
	b.Helper()
	p, err := im.Preview(ctx, "big.csv", bytes.NewReader(data))
	if err != nil || !p.OK() {
		b.Fatalf("preview: %v %v", err, p.Problems)
	}
	sum, err := im.Apply(ctx, p, by)
	if err != nil {
		b.Fatal(err)
	}
	return sum
}
