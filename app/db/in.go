package db

import (
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/schema"
)

// IDs is a list of ids for "column IN (?)" that stays fast however long it
// is, and the one way to write a list that may be empty or long (a
// filter's ids, a batch of people): plain bun.List only for short lists
// known to be non-empty. On PostgreSQL it becomes a subquery over an array, which the planner
// joins through the column's index (a literal list of a thousand ids is
// instead often checked against every row of a sequential scan, once per
// batch of an export); on SQLite, whose IN list already builds a
// temporary index, a plain list. An empty list matches nothing.
type IDs []string

// AppendQuery implements bun's schema.QueryAppender.
func (ids IDs) AppendQuery(f schema.QueryGen, b []byte) ([]byte, error) {
	list := []string(ids)
	if len(list) == 0 {
		list = []string{""}
	}
	if f.Dialect().Name() != dialect.PG {
		return bun.List(list).AppendQuery(f, b)
	}
	b = append(b, "SELECT unnest(ARRAY["...)
	b, err := bun.List(list).AppendQuery(f, b)
	if err != nil {
		return nil, err
	}
	return append(b, "]::text[])"...), nil
}
