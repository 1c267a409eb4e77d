// Package scale fills an empty database with a large, realistic, made-up
// health system (hundreds of clinics, tens of thousands of medical
// assistants, millions of evidence records) for measuring Skillgate at
// scale (skillgate seed --scale).
//
// Evidence is made by the same rules the pages use (assessments
// NewObservation, NewTestResult, CheckSignOff, NewHoursEntry), so every
// sign-off carries the signature hash the real code computes and every
// clearance decision is one the engine would make from records entered by
// hand. Only the writing is different: rows go through a bulk loader (COPY
// on PostgreSQL, multi-row INSERTs on SQLite) in one transaction, and every
// account shares one password hash, computed once.
//
// Generation is deterministic: the same Options (seed and as-of day
// included) give the same rows, ids included.
package scale

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/auditsubjects"
	"github.com/skillgate/skillgate/app/auth/password"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/internal/tools/bulkload"
)

// Password is the password of every generated account. It is published
// (README, docs/performance.md): a scale database is for measurements,
// never for real records.
const Password = "skillgate-scale-2026"

// Well-known logins, for load tests and for looking around.
const (
	AdminEmail    = "admin@scale.test"
	DirectorEmail = "director@scale.test"
	HREmail       = "hr@scale.test"
	// EHREmail is the system account of the EHR integration; its API token
	// is printed once by Generate's caller.
	EHREmail = "ehr@scale.test"
)

// PreceptorEmail is the login of the n-th preceptor (from 1).
func PreceptorEmail(n int) string { return fmt.Sprintf("preceptor%04d@scale.test", n) }

// MAEmail is the login of the n-th medical assistant (from 1).
func MAEmail(n int) string { return fmt.Sprintf("ma%05d@scale.test", n) }

// ErrNotEmpty: the database holds data that a scale run did not make.
var ErrNotEmpty = errors.New("this database already holds other data (people exist that seed --scale did not create); " +
	"seed --scale only fills an empty database. Create a new database (e.g. createdb skillgate_scale) and point SKILLGATE_DATABASE_URL at it")

// ErrAlreadySeeded: a scale run already filled this database.
var ErrAlreadySeeded = errors.New("this database was already filled by seed --scale; seeding it again would mix two organisations. " +
	"Drop and re-create the database to generate a new one")

const metaKey = "scale"

// Options are the sizes and the randomness of a generated organisation.
type Options struct {
	Sites        int
	MAs          int // apprentices and graduates
	Preceptors   int
	Observations int // observed performances, exactly
	Credentials  int // credential records; see Result.Credentials
	Seed         uint64
	// AsOf is "today" for the generated history; zero means the real
	// today in the organisation's zone.
	AsOf curriculum.Date
	// Progress receives progress lines; nil discards them.
	Progress io.Writer
}

// Defaults are the sizes of issue #8: a large health system.
func Defaults() Options {
	return Options{Sites: 200, MAs: 20000, Preceptors: 2000, Observations: 1500000, Credentials: 100000, Seed: 1}
}

func (o *Options) validate() error {
	switch {
	case o.Sites < 1:
		return errors.New("--sites must be at least 1")
	case o.Preceptors < 1:
		return errors.New("--preceptors must be at least 1")
	case o.MAs < 1:
		return errors.New("--mas must be at least 1")
	case o.Observations < 0 || o.Credentials < 0:
		return errors.New("--observations and --credentials cannot be negative")
	case o.MAs > 99999 || o.Preceptors > 9999:
		return errors.New("at most 99,999 MAs and 9,999 preceptors (their logins are numbered ma00001 and preceptor0001)")
	}
	return nil
}

// Result is what a run made.
type Result struct {
	Tables []bulkload.TableStats
	// Generate is the time spent computing records (rules, hashes), as
	// opposed to writing them.
	Generate time.Duration
	// Indexes is the time spent building the big tables' indexes and
	// checking their foreign keys, once, after the rows were written.
	Indexes time.Duration
	// Analyze is the time VACUUM ANALYZE (ANALYZE on SQLite) took
	// afterwards: the planner's statistics of everything written, and the
	// visibility map.
	Analyze time.Duration
	Total   time.Duration
	// Skipped counts sign-offs the rules refused (a prerequisite lapsed, a
	// re-verification came too late), by error code: they are simply not
	// on file, as in real life.
	Skipped map[string]int
	// Credentials is the number of credential records written: the
	// requested number, or more when the requested one is below what the
	// generated people need for a plausible history (then CredentialsNote
	// says so).
	Credentials     int
	CredentialsNote string
	// AuditEntries is the length of the audit trail written: the
	// credentials' entry and verification.
	AuditEntries int
	AsOf         curriculum.Date
}

// Rows returns how many rows were written to table.
func (r *Result) Rows(table string) int {
	for _, t := range r.Tables {
		if t.Table == table {
			return t.Rows
		}
	}
	return 0
}

// Generate fills d, which must be migrated and empty, with an organisation
// of the given sizes, in one transaction: a failure leaves it empty. It
// returns ErrAlreadySeeded or ErrNotEmpty, changing nothing, when d holds
// data.
func Generate(ctx context.Context, d *db.DB, o Options) (*Result, error) {
	start := time.Now()
	if err := o.validate(); err != nil {
		return nil, err
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if err := checkEmpty(ctx, d); err != nil {
		return nil, err
	}
	if o.AsOf.IsZero() {
		o.AsOf = curriculum.DateOf(time.Now(), curriculum.DefaultLocation())
	}
	hash, err := password.Hash(Password)
	if err != nil {
		return nil, fmt.Errorf("hash the scale password: %w", err)
	}
	l, err := bulkload.New(ctx, d)
	if err != nil {
		return nil, err
	}
	defer l.Rollback()
	// The database is empty: build the big tables' indexes once, at the end.
	if err := l.DeferIndexes(ctx, "user_roles", "user_sites", "credentials", "enrollments", "enrollment_preceptors",
		"observations", "self_logs", "test_results", "sign_offs", "hours_entries"); err != nil {
		return nil, err
	}
	g := &generator{o: o, l: l, hash: hash, res: &Result{AsOf: o.AsOf, Skipped: map[string]int{}}, rng: rand.New(rand.NewPCG(o.Seed, 0x5ca1e))}
	if err := g.run(ctx); err != nil {
		return nil, fmt.Errorf("seed --scale: %w", err)
	}
	if _, err := l.Tx().NewRaw("INSERT INTO app_meta (key, value) VALUES (?, ?)", metaKey, o.AsOf.String()).Exec(ctx); err != nil {
		return nil, fmt.Errorf("mark the scale database: %w", db.Translate(err))
	}
	if err := l.Commit(ctx); err != nil {
		return nil, err
	}
	// The audit trail filed by person, as a server's sealer files it
	// (app/auditsubjects), so that the statistics below include that index.
	if _, err := auditsubjects.File(ctx, d); err != nil {
		return nil, fmt.Errorf("seed --scale: %w", err)
	}
	// What autovacuum would have done by the time anyone uses a database
	// this size: the planner's statistics and, on PostgreSQL, the
	// visibility map. Without statistics (autovacuum may be off, and runs
	// late at best) PostgreSQL plans a search of 40,000 people or an audit
	// trail of 400,000 entries as if the tables were tiny; without the
	// visibility map no index-only scan is possible. Either way the first
	// measurements of a seeded database would measure what a database in
	// use never sees.
	analyzeStart := time.Now()
	if err := vacuumAnalyze(ctx, d); err != nil {
		return nil, fmt.Errorf("seed --scale: %w", err)
	}
	g.res.Analyze = time.Since(analyzeStart)
	g.res.Tables, g.res.Indexes = l.Stats, l.IndexesTook
	g.res.Total = time.Since(start)
	return g.res, nil
}

// vacuumAnalyze vacuums and analyses the schema's tables on PostgreSQL
// (only its own: a database may hold other schemas, as tests' do), and
// analyses them on SQLite, where VACUUM would rewrite the whole file for
// nothing an index-only read needs.
func vacuumAnalyze(ctx context.Context, d *db.DB) error {
	if d.Engine != db.Postgres {
		if _, err := d.NewRaw("ANALYZE").Exec(ctx); err != nil {
			return fmt.Errorf("analyze: %w", db.Translate(err))
		}
		return nil
	}
	var tables []string
	if err := d.NewRaw("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").Scan(ctx, &tables); err != nil {
		return fmt.Errorf("list tables: %w", db.Translate(err))
	}
	idents := make([]any, len(tables))
	for i, t := range tables {
		idents[i] = bun.Ident(t)
	}
	if _, err := d.NewRaw("VACUUM (ANALYZE) ?", bun.List(idents)).Exec(ctx); err != nil {
		return fmt.Errorf("vacuum and analyze: %w", db.Translate(err))
	}
	return nil
}

func checkEmpty(ctx context.Context, d *db.DB) error {
	var marker, people int
	if err := d.NewRaw("SELECT COUNT(*) FROM app_meta WHERE key = ?", metaKey).Scan(ctx, &marker); err != nil {
		return fmt.Errorf("check the scale marker: %w", db.Translate(err))
	}
	if marker > 0 {
		return ErrAlreadySeeded
	}
	if err := d.NewRaw("SELECT COUNT(*) FROM users").Scan(ctx, &people); err != nil {
		return fmt.Errorf("count people: %w", db.Translate(err))
	}
	if people > 0 {
		return ErrNotEmpty
	}
	return nil
}

// IssueEHRToken creates an API token for the EHR system account, for load
// tests. The secret is returned once and stored only hashed.
func IssueEHRToken(ctx context.Context, store *accounts.Store) (string, error) {
	p, err := store.ByEmail(ctx, EHREmail)
	if err != nil {
		return "", fmt.Errorf("find the EHR account: %w", err)
	}
	_, secret, err := store.CreateToken(ctx, p.ID, "EHR clearance checks (scale)", accounts.MaxTokenLifetime)
	if err != nil {
		return "", err
	}
	return secret, nil
}

// loadProgram stores the shipped MA program, published, and returns it
// compiled.
func loadProgram(ctx context.Context, g *generator) (*assessments.ProgramVersion, error) {
	ma, err := curriculum.MedicalAssistantProgram()
	if err != nil {
		return nil, err
	}
	at := g.o.AsOf.AddMonths(-84).Time(curriculum.DefaultLocation()).UTC()
	if err := ma.Publish(at); err != nil {
		return nil, fmt.Errorf("publish the shipped program: %w", err)
	}
	progs := programs.NewStore(g.l.Tx())
	progs.Now = func() time.Time { return at }
	progs.NewID = func() string { return newID(g.rng, at) }
	sv, err := progs.Create(ctx, ma, "")
	if err != nil {
		return nil, fmt.Errorf("store the shipped program: %w", err)
	}
	rules, err := progs.Rules(ctx, sv.ID)
	if err != nil {
		return nil, err
	}
	return assessments.NewProgramVersion(sv.ID, rules)
}
