package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/migrations"
)

// Migration is one file of the schema history.
type Migration struct {
	Version     int
	Name        string // file name
	Description string // first comment line
	SQL         string
}

// MigrationState is a migration and when it was applied (zero if pending).
type MigrationState struct {
	Migration
	AppliedAt time.Time
}

var migrationName = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

// LoadMigrations reads the schema history from fsys, in version order.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %s: name must look like 0001_what_it_does.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", other, e.Name(), v)
		}
		seen[v] = e.Name()
		body, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		text := string(body)
		first, _, _ := strings.Cut(text, "\n")
		if !strings.HasPrefix(first, "-- ") {
			return nil, fmt.Errorf("migration %s: first line must be a '-- ' comment describing it", e.Name())
		}
		out = append(out, Migration{Version: v, Name: e.Name(), Description: strings.TrimPrefix(first, "-- "), SQL: text})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// SQLFor returns the statements of the migration that apply to engine. A
// line "-- only postgres" or "-- only sqlite" starts statements for that
// engine alone (triggers, say, are written differently); "-- both" returns
// to statements for both. Without such lines every statement applies.
func (m Migration) SQLFor(engine Dialect) string {
	var b strings.Builder
	keep := true
	for _, line := range strings.SplitAfter(m.SQL, "\n") {
		switch strings.TrimSpace(line) {
		case "-- only postgres":
			keep = engine == Postgres
			continue
		case "-- only sqlite":
			keep = engine == SQLite
			continue
		case "-- both":
			keep = true
			continue
		}
		if keep {
			b.WriteString(line)
		}
	}
	return b.String()
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    applied_at  TIMESTAMPTZ NOT NULL
)`

// Migrate applies every pending migration of the embedded history.
func (d *DB) Migrate(ctx context.Context) ([]Migration, error) {
	ms, err := LoadMigrations(migrations.Files)
	if err != nil {
		return nil, err
	}
	return d.MigrateWith(ctx, ms)
}

// MigrateWith applies the pending migrations of ms. Each runs in its own
// transaction together with the row that records it, so a migration is
// marked applied exactly when its changes are committed. On PostgreSQL an
// advisory lock (per schema) makes a second instance starting at the same
// moment wait and then find nothing left to do; on SQLite BEGIN IMMEDIATE
// serialises writers the same way.
//
// On SQLite a waiting instance gets the write lock only between another's
// migrations and gives up after busy_timeout; a long history on a slow
// machine outlasts that, so a busy database is tried again, for up to two
// minutes, continuing from what is applied by then.
func (d *DB) MigrateWith(ctx context.Context, ms []Migration) ([]Migration, error) {
	var all []Migration
	for wait, start := 50*time.Millisecond, time.Now(); ; wait = min(2*wait, 2*time.Second) {
		applied, err := d.migrateOnce(ctx, ms)
		all = append(all, applied...)
		if err == nil || d.Engine != SQLite || !IsUnavailable(err) || time.Since(start) > 2*time.Minute {
			return all, err
		}
		select {
		case <-ctx.Done():
			return all, err
		case <-time.After(wait):
		}
	}
}

func (d *DB) migrateOnce(ctx context.Context, ms []Migration) ([]Migration, error) {
	conn, err := d.DB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if d.Engine == Postgres {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(hashtext('skillgate:migrate:' || current_schema()))"); err != nil {
			return nil, fmt.Errorf("migrate: take lock: %w", err)
		}
		defer func() {
			// A fresh context: the lock must be released even when ctx ended.
			uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, _ = conn.ExecContext(uctx, "SELECT pg_advisory_unlock(hashtext('skillgate:migrate:' || current_schema()))")
		}()
	}
	// Created under the lock: concurrent CREATE TABLE IF NOT EXISTS races on
	// PostgreSQL's catalog.
	if _, err := conn.ExecContext(ctx, createMigrationsTable); err != nil {
		return nil, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var applied []Migration
	for _, m := range ms {
		done, err := applyOne(ctx, conn, m, d.Engine)
		if err != nil {
			return applied, err
		}
		if done {
			applied = append(applied, m)
		}
	}
	return applied, nil
}

func applyOne(ctx context.Context, conn bun.Conn, m Migration, engine Dialect) (bool, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migration %s: begin: %w", m.Name, err)
	}
	defer tx.Rollback()
	var n int
	// Checked inside the transaction: another instance may have applied it
	// while this one waited for the lock.
	if err := tx.Tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = "+strconv.Itoa(m.Version)).Scan(&n); err != nil {
		return false, fmt.Errorf("migration %s: check: %w", m.Name, err)
	}
	if n > 0 {
		return false, nil
	}
	// The raw *sql.Tx, so bun does not read '?' in the SQL as placeholders.
	if _, err := tx.Tx.ExecContext(ctx, m.SQLFor(engine)); err != nil {
		return false, fmt.Errorf("migration %s failed, nothing of it was applied: %w", m.Name, err)
	}
	if _, err := tx.NewInsert().Model(&migrationRow{
		Version: m.Version, Name: m.Name, Description: m.Description, AppliedAt: time.Now().UTC(),
	}).Exec(ctx); err != nil {
		return false, fmt.Errorf("migration %s: record: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migration %s: commit: %w", m.Name, err)
	}
	return true, nil
}

type migrationRow struct {
	bun.BaseModel `bun:"table:schema_migrations"`
	Version       int       `bun:"version,pk"`
	Name          string    `bun:"name"`
	Description   string    `bun:"description"`
	AppliedAt     time.Time `bun:"applied_at"`
}

// MigrationStatus lists the embedded history with the time each migration
// was applied (zero for pending ones).
func (d *DB) MigrationStatus(ctx context.Context) ([]MigrationState, error) {
	ms, err := LoadMigrations(migrations.Files)
	if err != nil {
		return nil, err
	}
	return d.migrationStatus(ctx, ms)
}

func (d *DB) migrationStatus(ctx context.Context, ms []Migration) ([]MigrationState, error) {
	var rows []migrationRow
	err := d.NewSelect().Model(&rows).Scan(ctx)
	if err != nil && !isMissingTable(err) && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	at := make(map[int]time.Time, len(rows))
	for _, r := range rows {
		at[r.Version] = r.AppliedAt
	}
	out := make([]MigrationState, len(ms))
	for i, m := range ms {
		out[i] = MigrationState{Migration: m, AppliedAt: at[m.Version]}
	}
	return out, nil
}

// SchemaCurrent reports nil when every embedded migration has been applied,
// or an error that says how many are pending.
func (d *DB) SchemaCurrent(ctx context.Context) error {
	st, err := d.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	pending := 0
	for _, s := range st {
		if s.AppliedAt.IsZero() {
			pending++
		}
	}
	if pending > 0 {
		return fmt.Errorf("%d of %d migrations pending; run skillgate migrate up", pending, len(st))
	}
	return nil
}

func isMissingTable(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "no such table") || strings.Contains(msg, "does not exist")
}
