// Package app wires Skillgate together: configuration, storage, the HTTP
// server, background jobs and the command-line subcommands.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/auditsubjects"
	"github.com/skillgate/skillgate/app/config"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/reminders"
	"github.com/skillgate/skillgate/app/server"
	"github.com/skillgate/skillgate/app/wiring"
	"github.com/skillgate/skillgate/curriculum"
)

// Env is the program's outside world, so tests can run it in-process.
type Env struct {
	Args   []string // without the program name
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
	// Ready, when set, is called with the listening address once the
	// server accepts connections.
	Ready func(addr string)
}

const usage = `Skillgate: competency and clearance records for medical assistant apprenticeships.

Usage:
  skillgate [serve] [flags]        serve HTTP (the default)
  skillgate migrate status|up [flags]
                                   show or apply the schema history
  skillgate user create --email E --name N --role R[,R...] [--credential C] [--employee-id ID] [--site NAME,...]
                                   add a person; prints a one-time link to set their password
  skillgate scim token create --name NAME [flags]
                                   make a bearer token for an identity provider's SCIM provisioning (printed once)
  skillgate seed --scale [--sites N] [--mas N] [--preceptors N] [--observations N] [--credentials N] [--seed N]
                                   fill an empty database with a large made-up organisation, for measurements
  skillgate audit verify [--anchor SEQ:HASH]... [flags]
                                   check the audit trail's hash chain; exits non-zero at the first break

Every flag mirrors an environment variable (run 'skillgate serve -h' for the list).
`

// Run runs the program and returns its exit code. ctx ending stops a
// running server gracefully, as SIGINT and SIGTERM do.
func Run(ctx context.Context, env Env) int {
	args := env.Args
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, env, args)
	case "migrate":
		err = migrateCmd(ctx, env, args)
	case "user":
		err = userCmd(ctx, env, args)
	case "seed":
		err = seedCmd(ctx, env, args)
	case "scim":
		err = scimCmd(ctx, env, args)
	case "audit":
		err = auditCmd(ctx, env, args)
	case "help":
		fmt.Fprint(env.Stdout, usage)
	default:
		fmt.Fprintf(env.Stderr, "skillgate: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "skillgate: %v\n", err)
		return 1
	}
	return 0
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	level := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[cfg.LogLevel]
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func openDB(ctx context.Context, cfg config.Config, log *slog.Logger) (*db.DB, error) {
	o := db.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir}
	// PostgreSQL may still be starting (a fresh container, a reboot): wait
	// for it a little rather than fail at once.
	var lastErr error
	for attempt := 1; attempt <= 10; attempt++ {
		d, err := db.Open(ctx, o)
		if err == nil {
			return d, nil
		}
		lastErr = err
		if cfg.DatabaseURL == "" || !db.IsUnavailable(err) {
			break
		}
		log.Warn("database not reachable yet; retrying", "attempt", attempt, "error", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(attempt) * 500 * time.Millisecond):
		}
	}
	return nil, lastErr
}

// DefaultMemoryLimit is the soft limit on the Go runtime's memory that
// serve sets unless GOMEMLIMIT is set. Without one, the heap may grow to
// twice what is live before a collection (GOGC=100): a whole-organisation
// export or the reminders run over 20,000 people then peaked above 300 MB
// of RSS for about 120 MB live. Near the limit the collector runs more
// often instead; it is soft, so a larger organisation that needs more
// still gets it (at the cost of more collection).
const DefaultMemoryLimit = 256 << 20

// setMemoryLimit reads GOMEMLIMIT from the process environment, not
// Env.Getenv: the runtime already applied it from there at start.
func setMemoryLimit(log *slog.Logger) {
	if v := os.Getenv("GOMEMLIMIT"); v != "" {
		log.Info("memory limit from GOMEMLIMIT", "limit", v)
		return
	}
	debug.SetMemoryLimit(DefaultMemoryLimit)
}

func serve(ctx context.Context, env Env, args []string) error {
	cfg, rest, err := config.Load(args, env.Getenv, env.Stderr)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected arguments %q (see 'skillgate help')", rest)
	}
	log := newLogger(cfg, env.Stderr)
	setMemoryLimit(log)
	curriculum.SetDefaultLocation(cfg.Location())
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	d, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	log.Info("database open", "engine", d.Engine, "where", d.Where)
	applied, err := d.Migrate(ctx)
	if err != nil {
		return err
	}
	for _, m := range applied {
		log.Info("migration applied", "name", m.Name, "description", m.Description)
	}
	svc, err := wiring.New(d, cfg, wiring.Options{Logger: log})
	if err != nil {
		return err
	}
	store := svc.Accounts
	if cfg.Demo {
		seeded, err := demo.Seed(ctx, d, store)
		if err != nil {
			return err
		}
		log.Warn("DEMO MODE: this server holds a made-up organisation; do not enter real data",
			"seeded_now", seeded, "password_for_every_demo_account", demo.Password, "accounts", demoEmails())
	}
	if err := ensureFirstAdmin(audit.WithActor(ctx, audit.System("first start")), cfg, store, log); err != nil {
		return err
	}
	srv, err := server.New(svc)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.App().Listener(ln) }()
	log.Info("serving", "addr", ln.Addr().String(), "url", cfg.BaseURL)
	if env.Ready != nil {
		env.Ready(ln.Addr().String())
	}
	jobsDone := startJobs(audit.WithActor(ctx, audit.System("job")), d, store, svc.Reminders, cfg, log)
	// Webhooks go out from every instance; the outbox's leases keep two
	// from sending the same delivery at once.
	dispatched := make(chan struct{})
	go func() { defer close(dispatched); svc.Dispatcher.Run(ctx, DispatchInterval) }()
	// Audit entries written while another transaction held the chain wait
	// for this to chain them (app/audit); every instance runs one.
	// Then it files newly chained entries by person for the trail's
	// "whose record" (entries not filed yet are found all the same, more
	// slowly).
	fileSubjects := func(ctx context.Context) error { _, err := auditsubjects.File(ctx, d); return err }
	sealed := make(chan struct{})
	go func() { defer close(sealed); audit.RunSealer(ctx, d, audit.SealInterval, log, fileSubjects) }()
	// Lapse and expiry events: once a day, on every instance (each event
	// carries a key, so none goes twice).
	lapsed := make(chan struct{})
	go func() {
		defer close(lapsed)
		svc.Lapses.RunDaily(audit.WithActor(ctx, audit.System("job:webhook-lapses")), 15*time.Minute, log)
	}()

	select {
	case err := <-served:
		return fmt.Errorf("server stopped: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests", "timeout", cfg.ShutdownTimeout)
	if err := srv.Shutdown(cfg.ShutdownTimeout); err != nil {
		log.Warn("some requests did not finish in time", "error", err)
	}
	<-jobsDone
	<-dispatched
	<-sealed
	<-lapsed
	log.Info("stopped")
	return nil
}

// DispatchInterval is how often an idle instance looks for webhook
// deliveries that are due.
const DispatchInterval = time.Second

func demoEmails() string {
	var es []string
	for _, a := range demo.Accounts {
		es = append(es, a.Email)
	}
	return strings.Join(es, ", ")
}

// ensureFirstAdmin creates an admin on an empty database and prints its
// one-time password once. The admin must choose a new one at first login.
func ensureFirstAdmin(ctx context.Context, cfg config.Config, store *accounts.Store, log *slog.Logger) error {
	n, err := store.Count(ctx)
	if err != nil || n > 0 {
		return err
	}
	pw := accounts.NewSecret()[:24]
	p, err := store.Create(ctx, accounts.NewPerson{Email: cfg.AdminEmail, Name: "Administrator", Credential: "none",
		Roles: []accounts.Role{accounts.RoleAdmin}, Password: pw, MustChangePassword: true})
	if err != nil {
		// A second instance starting at the same moment may have won.
		if errors.Is(err, db.ErrConflict) {
			return nil
		}
		return fmt.Errorf("create first admin: %w", err)
	}
	log.Warn("FIRST START: created an admin account. Its one-time password is shown only now; you must change it at first login.",
		"email", p.Email, "one_time_password", pw)
	return nil
}

// startJobs runs periodic housekeeping until ctx ends; the returned
// channel closes when it has stopped.
func startJobs(ctx context.Context, d *db.DB, store *accounts.Store, rem *reminders.Service, cfg config.Config, log *slog.Logger) <-chan struct{} {
	done := make(chan struct{})
	kv := db.NewKV(d)
	pol := accounts.SessionPolicy{Idle: cfg.SessionIdle, Absolute: cfg.SessionAbsolute}
	go func() {
		defer close(done)
		// Every 15 minutes; reminders are idempotent (one per recipient,
		// subject and threshold), so running often and on several
		// instances sends nothing twice.
		t := time.NewTicker(15 * time.Minute)
		defer t.Stop()
		for {
			if n, err := store.DeleteExpiredSessions(ctx, pol); err != nil && ctx.Err() == nil {
				log.Warn("housekeeping: delete expired sessions", "error", err)
			} else if n > 0 {
				log.Debug("housekeeping: expired sessions deleted", "count", n)
			}
			if _, err := kv.DeleteExpired(ctx); err != nil && ctx.Err() == nil {
				log.Warn("housekeeping: delete expired keys", "error", err)
			}
			if n, err := rem.Run(ctx); err != nil && ctx.Err() == nil {
				log.Warn("reminders", "error", err)
			} else if n > 0 {
				log.Info("reminders sent", "count", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return done
}
