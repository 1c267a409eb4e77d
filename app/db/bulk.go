package db

import (
	"context"
	"fmt"
	"reflect"

	"github.com/uptrace/bun"
)

// Inserter writes rows as given, many at a time: rows is a pointer to a
// slice of bun models. The tables' owners write their own rows through one
// (accounts.InsertPeople, evidence.InsertRecords, credentials.InsertRecords),
// so only they know their row types, while the implementation
// (internal/tools/bulkload) lives with the tools that fill large databases.
type Inserter interface {
	Insert(ctx context.Context, rows any) (int, error)
}

// Batches is an Inserter writing multi-row INSERTs of Size rows (500 when
// 0) through IDB, usually the caller's transaction: for writes of
// thousands of rows on the request path (the HR import), where every row
// is checked by the schema as it is written, unlike a bulk load. 500 rows
// of the widest tables make statements of a few hundred kilobytes, and
// 10,000 rows a few dozen statements.
type Batches struct {
	IDB  bun.IDB
	Size int
}

// Insert implements Inserter.
func (b Batches) Insert(ctx context.Context, rows any) (int, error) {
	v := reflect.ValueOf(rows)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Slice {
		return 0, fmt.Errorf("insert: want a pointer to a slice of models, got %T", rows)
	}
	s := v.Elem()
	size := b.Size
	if size <= 0 {
		size = 500
	}
	for start := 0; start < s.Len(); start += size {
		part := s.Slice(start, min(start+size, s.Len()))
		p := reflect.New(part.Type())
		p.Elem().Set(part)
		if _, err := b.IDB.NewInsert().Model(p.Interface()).Exec(ctx); err != nil {
			return start, err
		}
	}
	return s.Len(), nil
}
