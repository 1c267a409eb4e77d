// Package db opens Skillgate's database (embedded SQLite by default,
// PostgreSQL when a URL is configured), applies the embedded schema history,
// and maps driver errors onto the few errors the rest of the app handles.
package db

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/pgdriver"
	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"
)

// Dialect names the database engine in use.
type Dialect string

// The two supported engines.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Options say which database to open.
type Options struct {
	// URL is a postgres:// URL; empty means the embedded SQLite file.
	URL string
	// DataDir holds the SQLite file (skillgate.db) when URL is empty.
	DataDir string
	// SQLitePath overrides the file inside DataDir (tests use it).
	SQLitePath string
	// ConnParams are extra PostgreSQL run-time parameters for every
	// connection (tests set search_path to a private schema).
	ConnParams map[string]any
	// ReadTimeout bounds one PostgreSQL read; exports stream for longer
	// than pgdriver's 10 s default, so the default here is 5 minutes.
	ReadTimeout time.Duration
}

// DB is an open database with its dialect.
type DB struct {
	*bun.DB
	// Engine says which engine this is (bun's Dialect() says how to speak it).
	Engine Dialect
	// Where is a human-readable location without credentials, for logs.
	Where string
}

// Open opens the configured database and checks that it answers.
func Open(ctx context.Context, o Options) (*DB, error) {
	if o.URL != "" {
		return openPostgres(ctx, o)
	}
	return openSQLite(ctx, o)
}

func openPostgres(ctx context.Context, o Options) (*DB, error) {
	if !strings.HasPrefix(o.URL, "postgres://") && !strings.HasPrefix(o.URL, "postgresql://") {
		return nil, fmt.Errorf("database URL must start with postgres://")
	}
	u, err := url.Parse(o.URL)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", redactURLError(err))
	}
	rt := o.ReadTimeout
	if rt == 0 {
		rt = 5 * time.Minute
	}
	// Defaults first, so that parameters in the URL override them.
	opts := []pgdriver.Option{
		pgdriver.WithApplicationName("skillgate"),
		pgdriver.WithDialTimeout(5 * time.Second),
		pgdriver.WithReadTimeout(rt),
		pgdriver.WithWriteTimeout(30 * time.Second),
		pgdriver.WithDSN(o.URL),
	}
	if len(o.ConnParams) > 0 {
		opts = append(opts, pgdriver.WithConnParams(o.ConnParams))
	}
	sqldb := sql.OpenDB(pgdriver.NewConnector(opts...))
	sqldb.SetMaxOpenConns(25)
	sqldb.SetMaxIdleConns(25)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	d := &DB{DB: bun.NewDB(sqldb, pgdialect.New()), Engine: Postgres, Where: "postgres://" + u.Host + u.Path}
	if err := d.PingContext(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("connect to %s: %w", d.Where, err)
	}
	return d, nil
}

func openSQLite(ctx context.Context, o Options) (*DB, error) {
	path := o.SQLitePath
	if path == "" {
		dir := o.DataDir
		if dir == "" {
			dir = "data"
		}
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create data directory %s: %w", dir, err)
		}
		path = filepath.Join(dir, "skillgate.db")
	}
	// busy_timeout comes first so that switching to WAL waits for other
	// connections instead of failing; _txlock=immediate takes the write lock
	// at BEGIN, which avoids the deadlock of two readers upgrading at once.
	// synchronous(FULL): a committed signature must survive a power cut.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	sqldb.SetMaxOpenConns(8)
	sqldb.SetMaxIdleConns(8)
	d := &DB{DB: bun.NewDB(sqldb, sqlitedialect.New()), Engine: SQLite, Where: path}
	// Switching a new file to WAL needs it alone for a moment, and SQLite
	// answers "database is locked" at once, without waiting busy_timeout,
	// when another process opens it at that moment (two instances starting
	// together on one file): try again shortly, for up to about 10 s.
	for attempt := 1; ; attempt++ {
		err := d.PingContext(ctx)
		if err == nil {
			return d, nil
		}
		if !IsUnavailable(err) || attempt == 100 || ctx.Err() != nil {
			d.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		time.Sleep(time.Duration(attempt) * 2 * time.Millisecond)
	}
}

// redactURLError drops the URL (which may hold a password) from a parse error.
func redactURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
