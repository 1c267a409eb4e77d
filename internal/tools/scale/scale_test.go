package scale_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/auth/password"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/internal/tools/scale"
)

var asOf = curriculum.MustParseDate("2026-06-15")

// The scale data's password is published in its doc comment: nobody may
// choose it for a real account (issue 16 item 6), though the scale seeder,
// which writes hashes directly, still uses it.
func TestScalePasswordIsRefusedForRealAccounts(t *testing.T) {
	if err := password.Check(scale.Password); !errors.Is(err, password.ErrDemo) {
		t.Fatalf("password.Check(scale.Password) = %v, want ErrDemo", err)
	}
}

func small() scale.Options {
	return scale.Options{Sites: 3, MAs: 50, Preceptors: 12, Observations: 5000, Credentials: 400, Seed: 7, AsOf: asOf}
}

func count(t *testing.T, d *db.DB, table string) int {
	t.Helper()
	var n int
	if err := d.NewRaw("SELECT COUNT(*) FROM "+table).Scan(context.Background(), &n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestGenerateSmallOrganisation(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		o := small()
		res, err := scale.Generate(ctx, d, o)
		if err != nil {
			t.Fatalf("generate: %v", err)
		}

		// What was asked for is what is stored, and what the run reports.
		want := map[string]int{"sites": 3, "users": 4 + 12 + 50, "enrollments": 50, "observations": 5000, "credentials": 400}
		for table, n := range want {
			if got := count(t, d, table); got != n {
				t.Errorf("%s: %d rows, want %d", table, got, n)
			}
		}
		for _, ts := range res.Tables {
			got := count(t, d, ts.Table)
			if ts.Table == "audit_log" {
				got-- // the program's creation, appended through its store
			}
			if got != ts.Rows {
				t.Errorf("%s: %d rows stored, but the run reported %d", ts.Table, got, ts.Rows)
			}
		}
		for _, table := range []string{"sign_offs", "test_results", "hours_entries", "self_logs", "enrollment_preceptors", "user_sites"} {
			if count(t, d, table) == 0 {
				t.Errorf("%s: no rows", table)
			}
		}
		if res.CredentialsNote != "" {
			t.Errorf("credentials: %s", res.CredentialsNote)
		}
		// The audit trail of the credentials: one entry per record and per
		// verification, after the program's, and the chain holds.
		if rep, err := audit.Verify(ctx, d); err != nil || rep.Problem != nil || rep.Entries != int64(res.AuditEntries)+1 || res.AuditEntries < 400 {
			t.Errorf("audit trail: %d entries (%d written), problem %v, %v", rep.Entries, res.AuditEntries, rep.Problem, err)
		}

		// Decisions, as pages and the API make them, are a mix.
		store := accounts.NewStore(d)
		progs := programs.NewStore(d)
		svc := evidence.NewService(d, progs)
		cl := &clearance.Service{Evidence: svc}
		var ids []string
		for n := 1; n <= o.MAs; n++ {
			p, err := store.ByEmail(ctx, scale.MAEmail(n))
			if err != nil {
				t.Fatalf("MA %d: %v", n, err)
			}
			ids = append(ids, p.ID)
		}
		results, err := cl.ForPeople(ctx, ids, asOf)
		if err != nil {
			t.Fatalf("decisions: %v", err)
		}
		if len(results) != o.MAs {
			t.Fatalf("decisions for %d MAs, want %d (everyone is enrolled)", len(results), o.MAs)
		}
		var cleared, supervised, not, most, few int
		for _, r := range results {
			n := clearance.Counts(r.Decisions)
			c := n.Cleared
			cleared, supervised, not = cleared+c, supervised+n.Direct+n.Indirect, not+n.Not
			if c*3 >= len(r.Decisions) {
				most++
			}
			if c*5 <= len(r.Decisions) {
				few++
			}
		}
		t.Logf("decisions: %d cleared, %d direct supervision, %d not cleared; %d MAs cleared for a third of the tasks or more, %d for a fifth or less",
			cleared, supervised, not, most, few)
		total := cleared + supervised + not
		for name, n := range map[string]int{"cleared": cleared, "direct supervision": supervised, "not cleared": not} {
			if n*50 < total { // each at least 2%
				t.Errorf("%s: %d of %d decisions; want a realistic mix", name, n, total)
			}
		}
		if most == 0 || few == 0 {
			t.Errorf("%d MAs cleared for many tasks, %d for few; want both experienced MAs and new hires", most, few)
		}

		// Every stored signature verifies the way pages check it.
		verified := 0
		for _, r := range results {
			for i := range r.Records.SignOffs {
				so := &r.Records.SignOffs[i]
				if err := assessments.VerifySignature(so, evidence.SignedEvidenceFor(r.Records, so)); err != nil {
					t.Fatalf("signature of %s on %s for %s: %v", so.Signature.PrintedName, so.Competency, so.ApprenticeID, err)
				}
				verified++
			}
		}
		if verified == 0 || verified != count(t, d, "sign_offs") {
			t.Errorf("verified %d signatures, %d stored", verified, count(t, d, "sign_offs"))
		}

		// The planner has statistics of what was written: a seeded
		// database is planned as a real one of its size (autovacuum may
		// be off, and would analyse late).
		var analysed int
		q := "SELECT COUNT(*) FROM pg_stat_user_tables WHERE relname IN ('observations', 'users', 'audit_log') AND schemaname = current_schema() AND last_analyze IS NOT NULL"
		if d.Engine == db.SQLite {
			q = "SELECT COUNT(DISTINCT tbl) FROM sqlite_stat1 WHERE tbl IN ('observations', 'users', 'audit_log')"
		}
		if err := d.NewRaw(q).Scan(ctx, &analysed); err != nil || analysed != 3 {
			t.Errorf("tables with planner statistics after the seed: %d of 3 (%v)", analysed, err)
		}

		// The audit trail is filed by person, up to the chain's newest
		// entry, as a server would file it.
		var filed, head int64
		if err := d.NewRaw("SELECT (SELECT filed_to FROM audit_subjects_filed), (SELECT MAX(chain_seq) FROM audit_log)").Scan(ctx, &filed, &head); err != nil || filed != head {
			t.Errorf("audit trail filed by person to %d of %d (%v)", filed, head, err)
		}

		// Well-known logins work with the published password.
		for _, email := range []string{scale.HREmail, scale.DirectorEmail, scale.PreceptorEmail(1), scale.MAEmail(1)} {
			if _, err := store.Authenticate(ctx, email, scale.Password); err != nil {
				t.Errorf("log in as %s: %v", email, err)
			}
		}

		// A second run is refused and changes nothing.
		before := count(t, d, "observations")
		if _, err := scale.Generate(ctx, d, o); !errors.Is(err, scale.ErrAlreadySeeded) {
			t.Errorf("second run: %v, want ErrAlreadySeeded", err)
		}
		if got := count(t, d, "observations"); got != before {
			t.Errorf("second run changed observations: %d, was %d", got, before)
		}
	})
}

func TestGenerateRefusesADatabaseWithOtherData(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		store := accounts.NewStore(d)
		if _, err := store.Create(ctx, accounts.NewPerson{Email: "rn@clinic.org", Name: "Rita Nurse", Credential: "RN",
			Roles: []accounts.Role{accounts.RolePreceptor}}); err != nil {
			t.Fatal(err)
		}
		_, err := scale.Generate(ctx, d, small())
		if !errors.Is(err, scale.ErrNotEmpty) {
			t.Fatalf("got %v, want ErrNotEmpty", err)
		}
		if !strings.Contains(err.Error(), "empty database") {
			t.Errorf("message %q does not say what to do", err)
		}
		if n := count(t, d, "users"); n != 1 {
			t.Errorf("%d people after a refused run, want 1", n)
		}
	})
}

// TestGenerateIsDeterministic: the same options give the same records, ids
// and signatures included, so a measurement can be repeated on the same
// data.
func TestGenerateIsDeterministic(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		o := scale.Options{Sites: 2, MAs: 15, Preceptors: 6, Observations: 900, Credentials: 100, Seed: 11, AsOf: asOf}
		other := dbtest.New(t, d.Engine)
		var dumps [2][]string
		for i, dd := range []*db.DB{d, other} {
			if _, err := scale.Generate(ctx, dd, o); err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{
				"SELECT id || ' ' || email FROM users ORDER BY id",
				"SELECT id || ' ' || person_id || ' ' || type_code || ' ' || issued_on || ' ' || COALESCE(expires_on, '') FROM credentials ORDER BY id",
				"SELECT id || ' ' || enrollment_id || ' ' || competency || ' ' || performed_on FROM observations ORDER BY id",
				"SELECT id || ' ' || hash FROM sign_offs ORDER BY id",
			} {
				var rows []string
				if err := dd.NewRaw(q).Scan(ctx, &rows); err != nil {
					t.Fatal(err)
				}
				dumps[i] = append(dumps[i], rows...)
			}
		}
		if len(dumps[0]) == 0 || strings.Join(dumps[0], "\n") != strings.Join(dumps[1], "\n") {
			t.Fatalf("two runs with seed %d differ (%d and %d rows)", o.Seed, len(dumps[0]), len(dumps[1]))
		}
		o.Seed++
		third := dbtest.New(t, d.Engine)
		if _, err := scale.Generate(ctx, third, o); err != nil {
			t.Fatal(err)
		}
		var ids []string
		if err := third.NewRaw("SELECT id || ' ' || hash FROM sign_offs ORDER BY id").Scan(ctx, &ids); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.Join(dumps[0], "\n"), strings.Join(ids[:1], "")) {
			t.Errorf("another seed gave the same sign-off %s", ids[0])
		}
	})
}
