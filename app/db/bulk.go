package db

import "context"

// Inserter writes rows as given, many at a time: rows is a pointer to a
// slice of bun models. The tables' owners write their own rows through one
// (accounts.InsertPeople, evidence.InsertRecords, credentials.InsertRecords),
// so only they know their row types, while the implementation
// (internal/tools/bulkload) lives with the tools that fill large databases.
type Inserter interface {
	Insert(ctx context.Context, rows any) (int, error)
}
