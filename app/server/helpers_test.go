package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/api/apitest"
	"github.com/skillgate/skillgate/app/auth/password"
	"github.com/skillgate/skillgate/app/config"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/server"
	"github.com/skillgate/skillgate/app/wiring"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

const testPassword = "correct horse battery staple"

// eastside is the site every test server starts with.
const eastside = "Eastside Clinic"

// demoTemplate is what newEnv and withDemo leave in a database: the
// Eastside site, then the demo organisation, seeded through the services
// the app builds. Tests start from a copy (dbtest.NewFrom).
var demoTemplate = &dbtest.Template{Name: "demo organisation", Fill: func(ctx context.Context, d *db.DB) error {
	cfg, err := testConfig(nil)
	if err != nil {
		return err
	}
	svc, err := newServices(d, cfg, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	if _, err := svc.Accounts.CreateSite(ctx, eastside); err != nil {
		return err
	}
	_, err = demo.Seed(ctx, d, svc.Accounts)
	return err
}}

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// env is one server on a fresh database, with helpers to drive it.
type env struct {
	t      testing.TB
	db     *db.DB
	store  *accounts.Store
	svc    *wiring.Services
	srv    *server.Server
	clock  *clock
	logs   *strings.Builder
	logMu  *sync.Mutex
	cfg    config.Config
	siteID string
	// settings are the environment variables the server was started with.
	settings map[string]string
	// raw, when set, is the env's database as the test got it from dbtest,
	// and wrap how the env wraps it (query hooks): withDemo then fills it
	// from demoTemplate and starts the env again on it, instead of seeding.
	raw  *db.DB
	wrap func(*db.DB) *db.DB
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func newEnv(t testing.TB, d *db.DB) *env { t.Helper(); return newEnvWith(t, d, nil) }

// newEnvWith is newEnv with settings (environment variables) of its own.
func newEnvWith(t testing.TB, d *db.DB, settings map[string]string) *env {
	t.Helper()
	e := newInstanceWith(t, d, &clock{t: time.Now().UTC()}, settings)
	site, err := e.store.CreateSite(context.Background(), eastside)
	if err != nil {
		t.Fatal(err)
	}
	e.siteID = site.ID
	return e
}

// newInstance starts a server on d, which may already hold data (a second
// instance on a shared database, for example).
func newInstance(t testing.TB, d *db.DB, clk *clock) *env {
	t.Helper()
	return newInstanceWith(t, d, clk, nil)
}

// newInstanceWith is newInstance with settings (environment variables).
func newInstanceWith(t testing.TB, d *db.DB, clk *clock, settings map[string]string) *env {
	t.Helper()
	cfg, err := testConfig(settings)
	if err != nil {
		t.Fatal(err)
	}
	logs, mu := &strings.Builder{}, &sync.Mutex{}
	log := slog.New(slog.NewTextHandler(lockedWriter{mu, logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc, srv := newServer(t, d, cfg, clk, log)
	return &env{t: t, db: d, store: svc.Accounts, svc: svc, srv: srv, clock: clk, logs: logs, logMu: mu, cfg: cfg, settings: settings}
}

// testConfig is the configuration of a test server: settings over the
// defaults every test shares.
func testConfig(settings map[string]string) (config.Config, error) {
	// app.Test connects from 0.0.0.0; trusting it as a proxy lets each test
	// client present its own address in X-Forwarded-For.
	cfg, _, err := config.Load(nil, func(k string) string {
		if v, ok := settings[k]; ok {
			return v
		}
		return map[string]string{"SKILLGATE_TRUSTED_PROXIES": "0.0.0.0", "SKILLGATE_SECOND_FACTOR_ROLES": "none"}[k]
	}, io.Discard)
	return cfg, err
}

// newServer is how every test here starts a server: on the services the
// app itself builds (wiring.New), on the test's clock, with cheap password
// hashing.
func newServer(t testing.TB, d *db.DB, cfg config.Config, clk *clock, log *slog.Logger) (*wiring.Services, *server.Server) {
	t.Helper()
	svc, err := newServices(d, cfg, clk.Now, log)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(svc)
	if err != nil {
		t.Fatal(err)
	}
	return svc, srv
}

func newServices(d *db.DB, cfg config.Config, now func() time.Time, log *slog.Logger) (*wiring.Services, error) {
	svc, err := wiring.New(d, cfg, wiring.Options{Now: now, Logger: log})
	if err != nil {
		return nil, err
	}
	svc.Accounts.Hasher = password.Hasher{Params: password.TestParams}
	return svc, nil
}

// records loads an enrollment with its records, as the evidence service's
// writes take it.
func records(t testing.TB, svc *evidence.Service, enrollmentID string) *assessments.Records {
	t.Helper()
	rec, err := svc.Enrollment(context.Background(), enrollmentID)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func (e *env) logText() string { e.logMu.Lock(); defer e.logMu.Unlock(); return e.logs.String() }

func (e *env) person(email string, roles ...accounts.Role) *accounts.Person {
	e.t.Helper()
	p, err := e.store.Create(context.Background(), accounts.NewPerson{Email: email, Name: "Person " + email,
		Roles: roles, SiteIDs: []string{e.siteID}, Password: testPassword})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// client is a browser: it keeps cookies and the last CSRF token seen.
type client struct {
	e       *env
	cookies map[string]string
	csrf    string
	ip      string
}

func (e *env) client() *client { return &client{e: e, cookies: map[string]string{}, ip: "192.0.2.10"} }

type response struct {
	*http.Response
	body string
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (c *client) do(method, path string, body io.Reader, header map[string]string) response {
	c.e.t.Helper()
	var sent []byte
	if body != nil {
		sent, _ = io.ReadAll(body)
		body = bytes.NewReader(sent)
	}
	req := httptest.NewRequest(method, path, body)
	req.Header.Set("X-Forwarded-For", c.ip)
	var jar []string
	for k, v := range c.cookies {
		jar = append(jar, k+"="+v)
	}
	if len(jar) > 0 {
		req.Header.Set("Cookie", strings.Join(jar, "; "))
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.e.srv.App().Test(req, -1)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	if m := csrfField.FindStringSubmatch(string(b)); m != nil {
		c.csrf = m[1]
	}
	if err := openAPI(c.e.t).Check(req, sent, res.StatusCode, res.Header, b); err != nil {
		c.e.t.Errorf("openapi.json: %v", err)
	}
	return response{res, string(b)}
}

// openAPI is the validator every request of these tests passes through:
// each API request and answer is checked against openapi.json.
func openAPI(t testing.TB) *apitest.Validator {
	t.Helper()
	v, err := apitest.Shared()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (c *client) get(path string) response { c.e.t.Helper(); return c.do("GET", path, nil, nil) }

// post sends a form with the current CSRF token.
func (c *client) post(path string, form url.Values) response {
	c.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("_csrf") == "" && c.csrf != "" {
		form.Set("_csrf", c.csrf)
	}
	return c.do("POST", path, strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

// login logs in through the form and, like a browser, follows a
// successful login to its page: the CSRF token of the login form is the
// anonymous visitor's, and the person's own comes with their first page.
// It returns the login's answer.
func (c *client) login(email, pw string) response {
	c.e.t.Helper()
	c.get("/login")
	r := c.post("/login", url.Values{"email": {email}, "password": {pw}})
	if loc := r.Header.Get("Location"); r.StatusCode == http.StatusSeeOther && !strings.HasPrefix(loc, "/login") {
		c.get(loc)
	}
	return r
}

func (c *client) mustLogin(email string) {
	c.e.t.Helper()
	if r := c.login(email, testPassword); r.StatusCode != http.StatusSeeOther {
		c.e.t.Fatalf("login %s: status %d\n%s", email, r.StatusCode, r.body)
	}
}

func apiCall(e *env, method, path, bearer string, body string) response {
	e.t.Helper()
	c := e.client()
	h := map[string]string{"Accept": "application/json"}
	if bearer != "" {
		h["Authorization"] = "Bearer " + bearer
	}
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
		h["Content-Type"] = "application/json"
	}
	return c.do(method, path, r, h)
}

func decode(t *testing.T, r response, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

// forEach runs fn on a fresh server per engine.
func forEach(t *testing.T, fn func(t *testing.T, e *env)) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		fn(t, ownEnv(newEnv(t, d), d, nil))
	})
}

// ownEnv marks raw, e's database, as the test's own, reached through wrap
// (nil: as it is), so that withDemo may refill it from demoTemplate.
func ownEnv(e *env, raw *db.DB, wrap func(*db.DB) *db.DB) *env {
	if wrap == nil {
		wrap = func(d *db.DB) *db.DB { return d }
	}
	e.raw, e.wrap = raw, wrap
	return e
}

func credentialsStore(e *env) *credentials.Store {
	s := credentials.NewStore(e.db)
	s.Now = e.clock.Now
	return s
}

func newRecord(person, typ, issued, expires string) credentials.NewRecord {
	return credentials.NewRecord{PersonID: person, TypeCode: typ, IssuedOn: curriculum.MustParseDate(issued), ExpiresOn: curriculum.MustParseDate(expires)}
}
