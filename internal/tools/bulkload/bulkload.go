// Package bulkload writes many rows as fast as the engine allows, for the
// tools that fill large databases (skillgate seed --scale, benchmarks). The
// product's request path never uses it.
package bulkload

import (
	"bytes"
	"context"
	"database/sql/driver"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/skillgate/skillgate/app/db"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
	"github.com/uptrace/bun/schema"
)

// Loader writes many rows in one transaction as fast as the engine allows:
// COPY ... FROM STDIN on PostgreSQL, multi-row INSERTs of a few thousand
// rows on SQLite. It is for bulk generation (skillgate seed --scale), not
// for the request path: rows are written as given, without the checks the
// stores make. It keeps per-table row counts and time, for progress
// reports.
type Loader struct {
	d    *db.DB
	conn bun.Conn
	tx   bun.Tx
	// deferred holds the statements that recreate what DeferIndexes
	// dropped, in order.
	deferred []string
	// Stats holds rows written and time spent per table, in the order the
	// tables were first written.
	Stats []TableStats
	// IndexesTook is the time RestoreIndexes took.
	IndexesTook time.Duration
}

// TableStats is what a Loader wrote to one table.
type TableStats struct {
	Table string
	Rows  int
	Took  time.Duration
}

// sqliteBatchRows keeps a multi-row INSERT under SQLite's limit of 32,766
// bound variables for the widest tables (about 20 columns).
const sqliteBatchRows = 1500

// New starts a transaction on one connection of d (COPY needs the
// connection itself). Commit or Rollback it.
func New(ctx context.Context, d *db.DB) (*Loader, error) {
	conn, err := d.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("bulk load: %w", db.Translate(err))
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("bulk load: begin: %w", db.Translate(err))
	}
	return &Loader{d: d, conn: conn, tx: tx}, nil
}

// Tx is the loader's transaction, for ordinary queries among the bulk ones.
func (l *Loader) Tx() bun.Tx { return l.tx }

// DeferIndexes drops the secondary indexes of tables (and on PostgreSQL
// their foreign keys) until RestoreIndexes, so that a bulk load builds each
// index once, sorted, instead of updating it row by row, and checks each
// reference in one join instead of one lookup per row: what pg_restore
// does. It is for filling an empty database: the dropping locks the
// tables until the transaction ends. Recreating checks uniqueness and
// references over all rows, so a load that breaks one fails as a whole.
func (l *Loader) DeferIndexes(ctx context.Context, tables ...string) error {
	type def struct{ Name, SQL string }
	for _, table := range tables {
		var fks, idx []def
		var err error
		switch l.d.Engine {
		case db.Postgres:
			err = l.tx.NewRaw("SELECT conname AS name, pg_get_constraintdef(oid) AS sql FROM pg_constraint WHERE conrelid = ?::regclass AND contype = 'f' ORDER BY conname", table).Scan(ctx, &fks)
			if err == nil {
				err = l.tx.NewRaw(`SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS sql FROM pg_index
					WHERE indrelid = ?::regclass AND NOT indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid)
					ORDER BY 1`, table).Scan(ctx, &idx)
			}
		default:
			err = l.tx.NewRaw("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name", table).Scan(ctx, &idx)
		}
		if err != nil {
			return fmt.Errorf("bulk load: read the indexes of %s: %w", table, db.Translate(err))
		}
		for _, fk := range fks {
			if _, err := l.tx.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", table, fk.Name)); err != nil {
				return fmt.Errorf("bulk load: defer %s: %w", fk.Name, db.Translate(err))
			}
			l.deferred = append(l.deferred, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", table, fk.Name, fk.SQL))
		}
		for _, ix := range idx {
			if _, err := l.tx.ExecContext(ctx, "DROP INDEX "+ix.Name); err != nil {
				return fmt.Errorf("bulk load: defer %s: %w", ix.Name, db.Translate(err))
			}
			// Indexes before the foreign keys that may use them.
			l.deferred = append([]string{ix.SQL}, l.deferred...)
		}
	}
	return nil
}

// RestoreIndexes recreates what DeferIndexes dropped; the time it takes is
// added to IndexesTook.
func (l *Loader) RestoreIndexes(ctx context.Context) error {
	start := time.Now()
	for len(l.deferred) > 0 {
		q := l.deferred[0]
		if _, err := l.tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("bulk load: %s: %w", q, db.Translate(err))
		}
		l.deferred = l.deferred[1:]
	}
	l.IndexesTook += time.Since(start)
	return nil
}

// Commit recreates deferred indexes, commits everything written and
// releases the connection.
func (l *Loader) Commit(ctx context.Context) error {
	defer l.conn.Close()
	if err := l.RestoreIndexes(ctx); err != nil {
		_ = l.tx.Rollback()
		return err
	}
	if err := l.tx.Commit(); err != nil {
		return fmt.Errorf("bulk load: commit: %w", db.Translate(err))
	}
	return nil
}

// Rollback abandons everything written and releases the connection. It is
// safe to call after Commit (it then does nothing).
func (l *Loader) Rollback() {
	_ = l.tx.Rollback()
	_ = l.conn.Close()
}

// Insert writes the rows of rows, a pointer to a slice of bun models (or
// of pointers to them), and returns how many it wrote.
func (l *Loader) Insert(ctx context.Context, rows any) (int, error) {
	v := reflect.ValueOf(rows)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Slice {
		return 0, fmt.Errorf("bulk load: want a pointer to a slice of models, got %T", rows)
	}
	s := v.Elem()
	n := s.Len()
	if n == 0 {
		return 0, nil
	}
	typ := s.Type().Elem()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	table := l.d.Table(typ)
	start := time.Now()
	var err error
	if l.d.Engine == db.Postgres {
		err = l.copy(ctx, table, s)
	} else {
		for i := 0; i < n && err == nil; i += sqliteBatchRows {
			part := s.Slice(i, min(i+sqliteBatchRows, n))
			p := reflect.New(part.Type())
			p.Elem().Set(part)
			// RETURNING NULL: bun would otherwise read every key back.
			_, err = l.tx.NewInsert().Model(p.Interface()).Returning("NULL").Exec(ctx)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("bulk load %s: %w", table.Name, db.Translate(err))
	}
	l.count(table.Name, n, time.Since(start))
	return n, nil
}

func (l *Loader) count(table string, n int, took time.Duration) {
	for i := range l.Stats {
		if l.Stats[i].Table == table {
			l.Stats[i].Rows += n
			l.Stats[i].Took += took
			return
		}
	}
	l.Stats = append(l.Stats, TableStats{Table: table, Rows: n, Took: took})
}

// Rows returns how many rows the loader has written to table so far.
func (l *Loader) Rows(table string) int {
	for _, s := range l.Stats {
		if s.Table == table {
			return s.Rows
		}
	}
	return 0
}

// copy streams the rows in COPY's text format.
func (l *Loader) copy(ctx context.Context, table *schema.Table, rows reflect.Value) error {
	cols := make([]string, len(table.Fields))
	for i, f := range table.Fields {
		cols[i] = string(f.SQLName)
	}
	var buf bytes.Buffer
	buf.Grow(rows.Len() * 256)
	for i := 0; i < rows.Len(); i++ {
		r := rows.Index(i)
		for r.Kind() == reflect.Pointer {
			r = r.Elem()
		}
		for j, f := range table.Fields {
			if j > 0 {
				buf.WriteByte('\t')
			}
			if err := appendCopyValue(&buf, f, f.Value(r)); err != nil {
				return fmt.Errorf("column %s: %w", f.Name, err)
			}
		}
		buf.WriteByte('\n')
	}
	q := fmt.Sprintf("COPY %s (%s) FROM STDIN", table.SQLName, strings.Join(cols, ", "))
	_, err := pgdriver.CopyFrom(ctx, l.conn, &buf, q)
	return err
}

var valuerType = reflect.TypeFor[driver.Valuer]()

// appendCopyValue writes one value in COPY's text format: \N for NULL,
// backslash escapes for the separators.
func appendCopyValue(buf *bytes.Buffer, f *schema.Field, v reflect.Value) error {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			buf.WriteString(`\N`)
			return nil
		}
		v = v.Elem()
	}
	if f.NullZero && v.IsZero() {
		buf.WriteString(`\N`)
		return nil
	}
	if v.Type().Implements(valuerType) {
		dv, err := v.Interface().(driver.Valuer).Value()
		if err != nil {
			return err
		}
		if dv == nil {
			buf.WriteString(`\N`)
			return nil
		}
		v = reflect.ValueOf(dv)
	}
	if t, ok := v.Interface().(time.Time); ok {
		buf.WriteString(t.UTC().Format("2006-01-02 15:04:05.999999+00"))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		writeCopyText(buf, v.String())
	case reflect.Bool:
		if v.Bool() {
			buf.WriteByte('t')
		} else {
			buf.WriteByte('f')
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		buf.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		buf.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		buf.WriteString(strconv.FormatFloat(v.Float(), 'g', -1, 64))
	default:
		return fmt.Errorf("type %s cannot be copied", v.Type())
	}
	return nil
}

func writeCopyText(buf *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			buf.WriteString(`\\`)
		case '\t':
			buf.WriteString(`\t`)
		case '\n':
			buf.WriteString(`\n`)
		case '\r':
			buf.WriteString(`\r`)
		default:
			buf.WriteByte(c)
		}
	}
}
