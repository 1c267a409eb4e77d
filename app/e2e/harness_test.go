package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/skillgate/skillgate/app/apptest"
	"github.com/skillgate/skillgate/app/config"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/wiring"
)

// Viewports the journeys use.
var (
	phone   = viewport{"phone", 390, 844}
	tablet  = viewport{"tablet", 768, 1024}
	desktop = viewport{"desktop", 1280, 900}
)

type viewport struct {
	name          string
	width, height int64
}

const chromiumPath = "/usr/bin/chromium"

func requireChromium(t *testing.T) string {
	t.Helper()
	path := chromiumPath
	if p := os.Getenv("SKILLGATE_CHROMIUM"); p != "" {
		path = p
	}
	if _, err := os.Stat(path); err != nil {
		if _, lerr := exec.LookPath("chromium"); lerr == nil {
			return "chromium"
		}
		if os.Getenv("CI") != "" {
			t.Fatalf("Chromium is not installed at %s; .ci/run installs it (apt-get install chromium)", path)
		}
		t.Skipf("browser tests skipped: Chromium not found at %s (apt-get install chromium, or set SKILLGATE_CHROMIUM)", path)
	}
	return path
}

// server is a running skillgate for one journey.
type server struct {
	base string
}

// demoTemplate is the database --demo makes: migrated and seeded by the
// app's own services. Each journey's server starts on a copy, which --demo
// then finds already seeded (seeding took seconds under the race detector).
var demoTemplate = &dbtest.Template{Name: "demo organisation", Fill: func(ctx context.Context, d *db.DB) error {
	cfg, _, err := config.Load([]string{"--demo"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		return err
	}
	svc, err := wiring.New(d, cfg, wiring.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	_, err = demo.Seed(ctx, d, svc.Accounts)
	return err
}}

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// startServer runs the real program with --demo on a fresh copy of the
// demo database on the given engine; extra holds additional environment
// settings.
func startServer(t *testing.T, dialect db.Dialect, extra map[string]string) *server {
	t.Helper()
	env := apptest.DBEnv(dbtest.OptionsFrom(t, dialect, demoTemplate))
	env["SKILLGATE_LOG_LEVEL"] = "warn"
	for k, v := range extra {
		env[k] = v
	}
	in := apptest.Start(t, env, "--demo")
	return &server{base: in.Base}
}

// browser is one fresh Chromium (its own profile) at a viewport.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	vp   viewport
	step int
	dir  string
}

func newBrowser(t *testing.T, s *server, vp viewport) *browser {
	t.Helper()
	exe := requireChromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(int(vp.width), int(vp.height)),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, tcancel := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { tcancel(); cancel(); acancel() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.width, vp.height)); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	dir := filepath.Join(repoRoot(t), "e2e-screenshots", sanitize(t.Name()))
	_ = os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, ctx: ctx, base: s.base, vp: vp, dir: dir}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func sanitize(s string) string { return unsafeName.ReplaceAllString(s, "_") }

func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// run performs actions, failing the test with the page's URL on error.
func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		url, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.t.Fatalf("%s (at %s): %v", what, url, err)
	}
}

// location is the page's current URL.
func (b *browser) location() string {
	b.t.Helper()
	url, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatalf("read location: %v", err)
	}
	return url
}

// eval runs JavaScript in the page (for things like accepting confirm()).
func eval(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](expr)(ctx, t)
		return err
	})
}

// shot saves a full-page screenshot named for the step.
func (b *browser) shot(name string) {
	b.t.Helper()
	b.step++
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	file := filepath.Join(b.dir, fmt.Sprintf("%02d-%s-%s.png", b.step, b.vp.name, sanitize(name)))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) open(path string) {
	b.t.Helper()
	b.run("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS("body")))
}

// text returns the visible text of the page's main element.
func (b *browser) text() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		b.t.Fatalf("read page: %v", err)
	}
	return s
}

func (b *browser) mustSee(want ...string) {
	b.t.Helper()
	got := b.text()
	for _, w := range want {
		if !strings.Contains(got, w) {
			b.t.Fatalf("page does not say %q; it says:\n%s", w, got)
		}
	}
}

// login fills the real login form.
func (b *browser) login(email, password string) {
	b.t.Helper()
	b.open("/login")
	b.run("log in as "+email,
		chromedp.SendKeys(chromedp.CSS("#f-email"), email),
		chromedp.SendKeys(chromedp.CSS("#f-password"), password),
	)
	b.clickAndLoad("submit login", chromedp.CSS("form[action='/login'] button[type=submit]"))
}

// clickAndLoad clicks something that loads a new page (a link, a form
// button) and waits until the new page has loaded: a marker set on the
// old page disappears with it.
func (b *browser) clickAndLoad(what string, sel any) {
	b.t.Helper()
	b.run(what, eval(`window.__sgOld = true`))
	var click chromedp.Action[chromedp.Void]
	switch s := sel.(type) {
	case chromedp.CSS:
		click = chromedp.Click(s)
	case chromedp.Search:
		click = chromedp.Click(s)
	default:
		b.t.Fatalf("clickAndLoad: unsupported selector %T", sel)
	}
	b.run(what, click)
	b.waitLoad(what)
}

// waitLoad waits until the page marked with window.__sgOld is replaced.
func (b *browser) waitLoad(what string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		loaded, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.__sgOld !== true && document.readyState === "complete"`))
		if err == nil && loaded {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: the next page did not load (at %s)", what, b.location())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// forEachEngine runs a journey on SQLite and PostgreSQL.
func forEachEngine(t *testing.T, fn func(t *testing.T, dialect db.Dialect)) {
	requireChromium(t)
	for _, d := range dbtest.Dialects {
		// The engines side by side: each has its own server and Chromium,
		// and the journeys are the longest tests CI runs.
		t.Run(string(d), func(t *testing.T) { t.Parallel(); fn(t, d) })
	}
}

// noHorizontalScroll fails when the page is wider than the viewport (the
// tablet and phone layouts must not scroll sideways; wide tables scroll
// inside their own box).
func (b *browser) noHorizontalScroll() {
	b.t.Helper()
	wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil {
		b.t.Fatal(err)
	}
	if wide {
		b.t.Errorf("the page scrolls sideways at %d px wide (%s)", b.vp.width, b.location())
	}
}
