package app

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/config"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/wiring"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/internal/tools/scale"
)

// migrateCmd: skillgate migrate status|up [flags].
func migrateCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return fmt.Errorf("say what to do: skillgate migrate status, or skillgate migrate up")
	}
	action := args[0]
	_, d, err := loadAndOpen(ctx, env, args[1:])
	if err != nil {
		return err
	}
	defer d.Close()
	switch action {
	case "up":
		applied, err := d.Migrate(ctx)
		for _, m := range applied {
			fmt.Fprintf(env.Stdout, "applied %s: %s\n", m.Name, m.Description)
		}
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Fprintln(env.Stdout, "schema is current; nothing to apply")
		}
		return nil
	case "status":
		st, err := d.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "VERSION\tAPPLIED\tDESCRIPTION")
		pending := 0
		for _, s := range st {
			at := "pending"
			if !s.AppliedAt.IsZero() {
				at = s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
			} else {
				pending++
			}
			fmt.Fprintf(w, "%04d\t%s\t%s\n", s.Version, at, s.Description)
		}
		w.Flush()
		fmt.Fprintf(env.Stdout, "%s on %s: %d of %d applied\n", d.Engine, d.Where, len(st)-pending, len(st))
		return nil
	}
	return fmt.Errorf("unknown migrate action %q: use status or up", action)
}

// loadAndOpen reads the configuration from a command's remaining
// arguments and the environment, refuses arguments it does not know, and
// opens the database: the start every database command shares.
func loadAndOpen(ctx context.Context, env Env, args []string) (config.Config, *db.DB, error) {
	cfg, rest, err := config.Load(args, env.Getenv, env.Stderr)
	if err != nil {
		return cfg, nil, err
	}
	if len(rest) > 0 {
		return cfg, nil, fmt.Errorf("unexpected arguments %q", rest)
	}
	d, err := openDB(ctx, cfg, newLogger(cfg, env.Stderr))
	return cfg, d, err
}

// userCmd: skillgate user create ...
func userCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("usage: skillgate user create --email E --name N --role R[,R...] [--credential C] [--employee-id ID] [--site NAME,...]")
	}
	fs := flag.NewFlagSet("skillgate user create", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	email := fs.String("email", "", "email address (the login)")
	name := fs.String("name", "", "full name as printed on signatures")
	roles := fs.String("role", "", "comma-separated roles: admin, director, preceptor, apprentice, hr")
	cred := fs.String("credential", "none", "professional credential: "+strings.Join(accounts.Credentials, ", "))
	emp := fs.String("employee-id", "", "employee id (optional)")
	sites := fs.String("site", "", "comma-separated site names (created when missing)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	var rs []accounts.Role
	for _, r := range strings.Split(*roles, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		role, err := accounts.ParseRole(r)
		if err != nil {
			return err
		}
		rs = append(rs, role)
	}
	if *email == "" || *name == "" || len(rs) == 0 {
		return fmt.Errorf("--email, --name and --role are required")
	}
	cfg, d, err := loadAndOpen(ctx, env, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return err
	}
	store := accounts.NewStore(d)
	ctx = audit.WithActor(ctx, audit.System("cli"))
	siteIDs, err := siteIDsByName(ctx, store, *sites)
	if err != nil {
		return err
	}
	p, err := store.Create(ctx, accounts.NewPerson{Email: *email, Name: *name, Credential: *cred, EmployeeID: *emp, Roles: rs, SiteIDs: siteIDs})
	if err != nil {
		return err
	}
	admins, _, err := store.List(ctx, accounts.ListFilter{Role: accounts.RoleAdmin, Limit: 1})
	if err != nil {
		return err
	}
	issuer := p.ID
	if len(admins) > 0 {
		issuer = admins[0].ID
	}
	secret, exp, err := store.StartReset(ctx, issuer, p.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "created %s <%s>\nThey set their password with this one-time link (valid until %s):\n%s/reset/%s\n",
		p.Name, p.Email, exp.UTC().Format("2006-01-02 15:04Z"), cfg.BaseURL, secret)
	return nil
}

func siteIDsByName(ctx context.Context, store *accounts.Store, names string) ([]string, error) {
	var ids []string
	existing, err := store.Sites(ctx)
	if err != nil {
		return nil, err
	}
	for _, n := range strings.Split(names, ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		i := slices.IndexFunc(existing, func(s accounts.Site) bool { return strings.EqualFold(s.Name, n) })
		if i >= 0 {
			ids = append(ids, existing[i].ID)
			continue
		}
		s, err := store.CreateSite(ctx, n)
		if err != nil {
			return nil, err
		}
		ids = append(ids, s.ID)
	}
	return ids, nil
}

// seedCmd: skillgate seed --scale [sizes] fills an empty database with a
// large made-up organisation for measurements.
func seedCmd(ctx context.Context, env Env, args []string) error {
	def := scale.Defaults()
	fs := flag.NewFlagSet("skillgate seed", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	doScale := fs.Bool("scale", false, "generate a large organisation (required; the only kind of seed so far)")
	sites := fs.Int("sites", def.Sites, "number of sites (clinics)")
	mas := fs.Int("mas", def.MAs, "number of medical assistants (apprentices and graduates)")
	precs := fs.Int("preceptors", def.Preceptors, "number of preceptors")
	obs := fs.Int("observations", def.Observations, "number of observed performances")
	creds := fs.Int("credentials", def.Credentials, "number of credential records")
	seed := fs.Uint64("seed", def.Seed, "seed of the random generator: the same seed (and --as-of) gives the same data")
	asOf := fs.String("as-of", "", "the generated organisation's today, YYYY-MM-DD (default: today)")
	dbURL := fs.String("database-url", "", "postgres://… (default: $SKILLGATE_DATABASE_URL; empty means SQLite in --data-dir)")
	dataDir := fs.String("data-dir", "", "directory of the SQLite database (default: $SKILLGATE_DATA_DIR or ./data)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*doScale {
		return fmt.Errorf("say what to seed: skillgate seed --scale (see skillgate seed -h)")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg, _, err := config.Load(nil, env.Getenv, env.Stderr)
	if err != nil {
		return err
	}
	if *dbURL != "" {
		cfg.DatabaseURL = *dbURL
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	curriculum.SetDefaultLocation(cfg.Location())
	o := scale.Options{Sites: *sites, MAs: *mas, Preceptors: *precs, Observations: *obs, Credentials: *creds, Seed: *seed, Progress: env.Stdout}
	if *asOf != "" {
		if o.AsOf, err = curriculum.ParseDate(*asOf); err != nil {
			return fmt.Errorf("--as-of: %w", err)
		}
	}
	d, err := openDB(ctx, cfg, newLogger(cfg, env.Stderr))
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "seeding %s on %s: %d sites, %d MAs, %d preceptors, %d observations, %d credentials (seed %d)\n",
		d.Engine, d.Where, o.Sites, o.MAs, o.Preceptors, o.Observations, o.Credentials, o.Seed)
	// Anything the generator writes through the stores is the system's.
	res, err := scale.Generate(audit.WithActor(ctx, audit.System("seed --scale")), d, o)
	if err != nil {
		return err
	}
	token, err := scale.IssueEHRToken(ctx, accounts.NewStore(d))
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "TABLE\tROWS\tWRITE TIME\tROWS/S\t")
	rows := 0
	for _, t := range res.Tables {
		rows += t.Rows
		fmt.Fprintf(w, "%s\t%d\t%s\t%.0f\t\n", t.Table, t.Rows, t.Took.Round(time.Millisecond), float64(t.Rows)/max(t.Took.Seconds(), 1e-9))
	}
	fmt.Fprintf(w, "(indexes, foreign keys)\t\t%s\t\t\n", res.Indexes.Round(time.Millisecond))
	fmt.Fprintf(w, "(planner statistics: VACUUM ANALYZE)\t\t%s\t\t\n", res.Analyze.Round(time.Millisecond))
	w.Flush()
	fmt.Fprintf(env.Stdout, "%d rows in %s (generating records, alongside the writes: %s); as of %s\n", rows, res.Total.Round(time.Second), res.Generate.Round(time.Second), res.AsOf)
	if res.CredentialsNote != "" {
		fmt.Fprintf(env.Stdout, "credentials: %s\n", res.CredentialsNote)
	}
	if len(res.Skipped) > 0 {
		fmt.Fprintf(env.Stdout, "sign-offs the rules refused (left unsigned, as they would be): %v\n", res.Skipped)
	}
	fmt.Fprintf(env.Stdout, "\nEvery account's password: %s\nLogins: %s, %s, %s, %s … %s, %s … %s\n",
		scale.Password, scale.AdminEmail, scale.DirectorEmail, scale.HREmail, scale.PreceptorEmail(1), scale.PreceptorEmail(o.Preceptors), scale.MAEmail(1), scale.MAEmail(o.MAs))
	fmt.Fprintf(env.Stdout, "API token of %s (shown once; send as Authorization: Bearer …):\n%s\n", scale.EHREmail, token)
	return nil
}

// auditCmd: skillgate audit verify [--anchor SEQ:HASH ...] [flags].
func auditCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return fmt.Errorf("usage: skillgate audit verify [--anchor SEQ:HASH ...]")
	}
	fs := flag.NewFlagSet("skillgate audit verify", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var anchors []audit.Anchor
	fs.Func("anchor", "SEQ:HASH printed by an earlier verify; that entry must still be there unchanged (repeatable)", func(s string) error {
		a, err := audit.ParseAnchor(s)
		if err == nil {
			anchors = append(anchors, a)
		}
		return err
	})
	// --anchor is this command's own flag; everything else is the usual
	// settings (database URL, data directory).
	var mine, cfgArgs []string
	for i := 1; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--anchor" || a == "-anchor":
			if i+1 >= len(args) {
				return fmt.Errorf("--anchor needs SEQ:HASH")
			}
			mine = append(mine, a, args[i+1])
			i++
		case strings.HasPrefix(a, "--anchor=") || strings.HasPrefix(a, "-anchor="):
			mine = append(mine, a)
		default:
			cfgArgs = append(cfgArgs, a)
		}
	}
	if err := fs.Parse(mine); err != nil {
		return err
	}
	_, d, err := loadAndOpen(ctx, env, cfgArgs)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.SchemaCurrent(ctx); err != nil {
		return fmt.Errorf("cannot verify the audit trail: %w", err)
	}
	// Entries waiting for a sealer (none runs when no server does) are
	// chained first, so that the check covers them.
	if _, err := audit.Seal(ctx, d); err != nil {
		return fmt.Errorf("cannot chain the audit entries waiting to be chained: %w", err)
	}
	rep, err := audit.Verify(ctx, d, anchors...)
	if err != nil {
		return err
	}
	if rep.Problem != nil {
		fmt.Fprintf(env.Stdout, "AUDIT TRAIL BROKEN at entry %d: %s (%s)\n%d entries before it are intact.\n",
			rep.Problem.Seq, rep.Problem.Kind, rep.Problem.Detail, rep.Entries)
		return rep.Problem
	}
	fmt.Fprintf(env.Stdout, "audit trail intact: %d entries\n", rep.Entries)
	if rep.Waiting > 0 {
		fmt.Fprintf(env.Stdout, "%d entries written since the check began wait to be chained (the oldest at %s); a server's sealer chains them within moments.\n",
			rep.Waiting, rep.OldestWaiting.UTC().Format(time.RFC3339))
	}
	if rep.Head.Seq > 0 {
		fmt.Fprintf(env.Stdout, "newest entry: %s\nKeep this line outside the database; a later 'skillgate audit verify --anchor %s' also proves that nothing up to it was removed or rewritten.\n",
			rep.Head, rep.Head)
	}
	return nil
}

// scimCmd: skillgate scim token create --name NAME makes a SCIM bearer
// token for an identity provider and prints it once, with the URL to give
// the IdP; the audit trail records it as made from the command line.
func scimCmd(ctx context.Context, env Env, args []string) error {
	if len(args) < 2 || args[0] != "token" || args[1] != "create" {
		return fmt.Errorf("usage: skillgate scim token create --name NAME")
	}
	// --name is this command's own flag; everything else is the usual
	// settings (database URL, data directory, base URL).
	var name string
	var cfgArgs []string
	rest := args[2:]
	for i := 0; i < len(rest); i++ {
		switch a := rest[i]; {
		case a == "--name" || a == "-name":
			if i+1 >= len(rest) {
				return fmt.Errorf("--name needs a value")
			}
			name = rest[i+1]
			i++
		case strings.HasPrefix(a, "--name=") || strings.HasPrefix(a, "-name="):
			name = a[strings.Index(a, "=")+1:]
		default:
			cfgArgs = append(cfgArgs, a)
		}
	}
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("--name is required (for example --name \"Entra ID\")")
	}
	cfg, d, err := loadAndOpen(ctx, env, cfgArgs)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return err
	}
	svc, err := wiring.New(d, cfg, wiring.Options{Logger: newLogger(cfg, env.Stderr)})
	if err != nil {
		return err
	}
	ctx = audit.WithActor(ctx, audit.System("cli"))
	t, secret, err := svc.SCIM.CreateToken(ctx, name, audit.SystemActor)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "SCIM token %q (shown once; the identity provider sends it as Authorization: Bearer …):\n%s\nSCIM base URL (tenant URL): %s/scim/v2\ntoken id: %s\n",
		t.Name, secret, cfg.BaseURL, t.ID)
	return nil
}
