// Package migrations holds Skillgate's schema history as SQL files embedded
// in the binary. The same files serve SQLite and PostgreSQL: they use only
// types and statements both accept (TEXT ids, TIMESTAMPTZ, BIGINT, BOOLEAN,
// partial indexes, ON CONFLICT). The runner lives in app/db.
//
// Rules for adding a migration (they keep both dialects and running
// instances safe):
//   - Name it NNNN_short_description.sql with the next number; never edit or
//     renumber one that has been released.
//   - Start it with a "-- " comment line saying what it does and why; the
//     runner records that line as the migration's description.
//   - Never drop a table or column that holds user data; add instead.
//   - Do not add NOT NULL without a DEFAULT to a table that may hold rows.
//   - Where the engines need different statements (triggers), put them
//     after a line "-- only postgres" or "-- only sqlite"; "-- both" ends
//     such a section (see db.Migration.SQLFor).
//   - Times are written by the application in UTC; never use database clock
//     defaults such as CURRENT_TIMESTAMP or NOW().
package migrations

import "embed"

// Files is the schema history, applied in file-name order.
//
//go:embed *.sql
var Files embed.FS
