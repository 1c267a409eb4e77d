package app_test

import (
	"context"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app"
	"github.com/skillgate/skillgate/app/apptest"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/demo"
)

// dbEnv returns the environment that points skillgate at a fresh database
// of the given engine.
func dbEnv(t *testing.T, dialect db.Dialect) map[string]string {
	return apptest.DBEnv(dbtest.Options(t, dialect))
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// login logs in through the real login form and returns where it went.
func login(t *testing.T, base, email, password string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfField.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field on the login page")
	}
	res, err = c.PostForm(base+"/login", url.Values{"_csrf": {string(m[1])}, "email": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: status %d", email, res.StatusCode)
	}
	return c, res.Header.Get("Location")
}

func TestDemoServesAndEveryAccountLogsIn(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			in := apptest.Start(t, dbEnv(t, dialect), "--demo")
			if !strings.Contains(in.Out.String(), "DEMO MODE") {
				t.Error("no demo warning in the log")
			}
			for _, a := range demo.Accounts {
				c, to := login(t, in.Base, a.Email, demo.Password)
				if to != "/" {
					t.Errorf("%s went to %q after login", a.Email, to)
				}
				res, err := c.Get(in.Base + "/")
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != 200 || !strings.Contains(string(body), a.Name) || !strings.Contains(string(body), "Demo mode") {
					t.Errorf("%s home: %d", a.Email, res.StatusCode)
				}
			}
			if code := in.Stop(t); code != 0 {
				t.Fatalf("exit code %d after a graceful stop:\n%s", code, in.Out)
			}
			if !strings.Contains(in.Out.String(), "stopped") {
				t.Error("no clean shutdown in the log")
			}
			if _, err := http.Get(in.Base + "/healthz"); err == nil {
				t.Error("still serving after shutdown")
			}
		})
	}
}

var oneTimePassword = regexp.MustCompile(`one_time_password=(\S+)`)

func TestFirstStartCreatesAdminOnce(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			vars := dbEnv(t, dialect)
			vars["SKILLGATE_ADMIN_EMAIL"] = "boss@clinic.test"
			first := apptest.Start(t, vars)
			m := oneTimePassword.FindStringSubmatch(first.Out.String())
			if m == nil {
				t.Fatalf("no one-time password printed on first start:\n%s", first.Out)
			}
			_, to := login(t, first.Base, "boss@clinic.test", m[1])
			if !strings.Contains(to, "must-change") {
				t.Errorf("the first admin was not asked to change the password (went to %q)", to)
			}
			first.Stop(t)
			second := apptest.Start(t, vars)
			if strings.Contains(second.Out.String(), "one_time_password") {
				t.Fatal("the one-time password was printed again on the second start")
			}
		})
	}
}

func TestDemoRefusesANonDemoDatabase(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			vars := dbEnv(t, dialect)
			apptest.Start(t, vars).Stop(t) // first start: a real admin
			out := &apptest.Output{}
			vars["SKILLGATE_ADDR"] = "127.0.0.1:0"
			code := app.Run(context.Background(), app.Env{Args: []string{"--demo"}, Getenv: func(k string) string { return vars[k] }, Stdout: out, Stderr: out})
			if code == 0 || !strings.Contains(out.String(), "non-demo") {
				t.Fatalf("--demo on a database with real data: exit %d\n%s", code, out)
			}
		})
	}
}

func TestMigrateAndUserCommands(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			vars := dbEnv(t, dialect)
			run := func(args ...string) (int, string) {
				out := &apptest.Output{}
				code := app.Run(context.Background(), app.Env{Args: args, Getenv: func(k string) string { return vars[k] }, Stdout: out, Stderr: out})
				return code, out.String()
			}
			if code, out := run("migrate", "status"); code != 0 || !strings.Contains(out, "pending") || !strings.Contains(out, "0 of") {
				t.Fatalf("status before: %d\n%s", code, out)
			}
			if code, out := run("migrate", "up"); code != 0 || !strings.Contains(out, "applied 0001_") {
				t.Fatalf("up: %d\n%s", code, out)
			}
			if code, out := run("migrate", "up"); code != 0 || !strings.Contains(out, "nothing to apply") {
				t.Fatalf("second up: %d\n%s", code, out)
			}
			if code, out := run("migrate", "status"); code != 0 || strings.Contains(out, "pending") {
				t.Fatalf("status after: %d\n%s", code, out)
			}
			code, out := run("user", "create", "--email", "rn@clinic.test", "--name", "Rita Nurse", "--role", "preceptor", "--credential", "RN", "--site", "Main Street")
			if code != 0 || !regexp.MustCompile(`/reset/[A-Za-z0-9_-]{20,}`).MatchString(out) {
				t.Fatalf("user create: %d\n%s", code, out)
			}
			if code, out := run("user", "create", "--email", "x@clinic.test", "--name", "X", "--role", "wizard"); code == 0 || !strings.Contains(out, "unknown role") {
				t.Fatalf("bad role: %d\n%s", code, out)
			}
			if code, out := run("scim", "token", "create", "--name", "Entra ID"); code != 0 || !regexp.MustCompile(`sgscim_[A-Za-z0-9_-]{40,}`).MatchString(out) || !strings.Contains(out, "/scim/v2") {
				t.Fatalf("scim token create: %d\n%s", code, out)
			}
			if code, _ := run("frobnicate"); code != 2 {
				t.Fatalf("unknown command exit %d", code)
			}
		})
	}
}

// TestSeedScaleCommand runs skillgate seed --scale at a small size: it
// reports rows per table, prints the password and an API token that works,
// and refuses to run twice.
func TestSeedScaleCommand(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			vars := dbEnv(t, dialect)
			run := func(args ...string) (int, string) {
				out := &apptest.Output{}
				code := app.Run(context.Background(), app.Env{Args: args, Getenv: func(k string) string { return vars[k] }, Stdout: out, Stderr: out})
				return code, out.String()
			}
			if code, out := run("seed"); code == 0 || !strings.Contains(out, "seed --scale") {
				t.Fatalf("seed without --scale: %d\n%s", code, out)
			}
			small := []string{"seed", "--scale", "--sites", "2", "--mas", "12", "--preceptors", "5", "--observations", "600", "--credentials", "80", "--seed", "5"}
			code, out := run(small...)
			if code != 0 {
				t.Fatalf("seed --scale: %d\n%s", code, out)
			}
			for _, want := range []string{"observations", "600", "skillgate-scale-2026", "hr@scale.test", "ma00001@scale.test"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			token := regexp.MustCompile(`sgt_[A-Za-z0-9_-]{20,}`).FindString(out)
			if token == "" {
				t.Fatalf("no API token printed:\n%s", out)
			}
			vars["SKILLGATE_ADDR"] = "127.0.0.1:0"
			in := apptest.Start(t, vars)
			login(t, in.Base, "ma00001@scale.test", "skillgate-scale-2026")
			req, _ := http.NewRequest("GET", in.Base+"/api/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "ehr@scale.test") {
				t.Fatalf("the printed token: %d %s", res.StatusCode, body)
			}
			in.Stop(t)
			if code, out := run(small...); code == 0 || !strings.Contains(out, "already filled by seed --scale") {
				t.Fatalf("second seed: %d\n%s", code, out)
			}
		})
	}
}

// skillgate audit verify passes on an untouched trail, prints an anchor, and
// fails (non-zero) naming the entry once a row is edited behind its back.
func TestAuditVerifyCommand(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			vars := dbEnv(t, dialect)
			run := func(args ...string) (int, string) {
				out := &apptest.Output{}
				code := app.Run(context.Background(), app.Env{Args: args, Getenv: func(k string) string { return vars[k] }, Stdout: out, Stderr: out})
				return code, out.String()
			}
			if code, out := run("migrate", "up"); code != 0 {
				t.Fatalf("migrate: %s", out)
			}
			for _, email := range []string{"a@clinic.test", "b@clinic.test"} {
				if code, out := run("user", "create", "--email", email, "--name", "Someone", "--role", "preceptor"); code != 0 {
					t.Fatalf("user create: %s", out)
				}
			}
			code, out := run("audit", "verify")
			m := regexp.MustCompile(`newest entry: (\d+:[0-9a-f]{64})`).FindStringSubmatch(out)
			if code != 0 || !regexp.MustCompile(`audit trail intact: [1-9]\d* entries`).MatchString(out) || m == nil {
				t.Fatalf("verify of an untouched trail: exit %d\n%s", code, out)
			}
			if code, out := run("audit", "verify", "--anchor", m[1]); code != 0 {
				t.Fatalf("verify with its own anchor: exit %d\n%s", code, out)
			}
			if code, out := run("audit", "verify", "--anchor", "nonsense"); code == 0 || !strings.Contains(out, "SEQ:HASH") {
				t.Fatalf("bad anchor accepted: exit %d\n%s", code, out)
			}
			o := db.Options{URL: vars["SKILLGATE_DATABASE_URL"]}
			if dialect == db.SQLite {
				o.SQLitePath = filepath.Join(vars["SKILLGATE_DATA_DIR"], "skillgate.db")
			}
			d, err := db.Open(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			tamper := []string{"ALTER TABLE audit_log DISABLE TRIGGER USER", `UPDATE audit_log SET after_json = '{"email":"evil@x"}' WHERE seq = 1`}
			if dialect == db.SQLite {
				tamper = []string{"DROP TRIGGER audit_log_no_update", `UPDATE audit_log SET after_json = '{"email":"evil@x"}' WHERE seq = 1`}
			}
			for _, q := range tamper {
				if _, err := d.ExecContext(context.Background(), q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			code, out = run("audit", "verify")
			if code == 0 || !strings.Contains(out, "BROKEN at entry 1") || !strings.Contains(out, "altered") {
				t.Fatalf("verify after an edit: exit %d\n%s", code, out)
			}
		})
	}
}

// TestServeSetsASoftMemoryLimit: serve limits the Go runtime's memory to
// DefaultMemoryLimit (soft), unless GOMEMLIMIT set one, which it keeps.
func TestServeSetsASoftMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	want := int64(app.DefaultMemoryLimit)
	if os.Getenv("GOMEMLIMIT") != "" {
		want = before // the runtime read it at start; serve leaves it
	} else {
		debug.SetMemoryLimit(math.MaxInt64) // the runtime's "no limit"
	}
	apptest.Start(t, dbEnv(t, db.SQLite))
	if got := debug.SetMemoryLimit(-1); got != want {
		t.Fatalf("memory limit while serving: %d, want %d", got, want)
	}
}
