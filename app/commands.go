package app

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/config"
)

// migrateCmd: skillgate migrate status|up [flags].
func migrateCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return fmt.Errorf("say what to do: skillgate migrate status, or skillgate migrate up")
	}
	action := args[0]
	cfg, rest, err := config.Load(args[1:], env.Getenv, env.Stderr)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected arguments %q", rest)
	}
	d, err := openDB(ctx, cfg, newLogger(cfg, env.Stderr))
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
	cfg, _, err := config.Load(nil, env.Getenv, env.Stderr)
	if err != nil {
		return err
	}
	d, err := openDB(ctx, cfg, newLogger(cfg, env.Stderr))
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return err
	}
	store := accounts.NewStore(d)
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
