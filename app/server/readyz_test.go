package server_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

func TestHealthAndReadiness(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		if r := apiCall(e, "GET", "/healthz", "", ""); r.StatusCode != 200 || strings.TrimSpace(r.body) != `{"status":"ok"}` {
			t.Fatalf("healthz: %d %s", r.StatusCode, r.body)
		}
		if r := apiCall(e, "GET", "/readyz", "", ""); r.StatusCode != 200 {
			t.Fatalf("readyz: %d %s", r.StatusCode, r.body)
		}
		// Pretend the newest migration was never applied.
		if _, err := e.db.ExecContext(context.Background(), "DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)"); err != nil {
			t.Fatal(err)
		}
		r := apiCall(e, "GET", "/readyz", "", "")
		if r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.body, "pending") {
			t.Fatalf("readyz with a pending migration: %d %s", r.StatusCode, r.body)
		}
	})
}

// proxy is a TCP relay to PostgreSQL that a test can cut and restore, to
// play a database outage without touching the shared server.
type proxy struct {
	t      *testing.T
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target}
	p.start("127.0.0.1:0")
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) start(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatalf("proxy listen: %v", err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
}

// stop refuses new connections and drops open ones.
func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) restart() { p.start(p.addr) }

// The embedded SQLite database lives in the process and cannot be down on
// its own, so this runs on PostgreSQL only.
func TestDatabaseOutageAnswers503AndRecovers(t *testing.T) {
	o := dbtest.Options(t, db.Postgres)
	u, _ := url.Parse(o.URL)
	px := newProxy(t, u.Host)
	u.Host = px.addr
	q := u.Query()
	q.Set("dial_timeout", "1s")
	u.RawQuery = q.Encode()
	d, err := db.Open(context.Background(), db.Options{URL: u.String()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, d)
	e.person("out@example.test", accounts.RoleHR)
	c := e.client()
	c.mustLogin("out@example.test")

	px.stop()
	if r := apiCall(e, "GET", "/readyz", "", ""); r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.body, "database unreachable") {
		t.Fatalf("readyz during the outage: %d %s", r.StatusCode, r.body)
	}
	r := c.get("/account")
	if r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.body, "cannot reach its database") {
		t.Fatalf("a page during the outage: %d\n%s", r.StatusCode, r.body)
	}
	if r := apiCall(e, "GET", "/api/v1/me", "sgt_whatever", ""); r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.body, `"status":503`) {
		t.Fatalf("API during the outage: %d %s", r.StatusCode, r.body)
	}

	px.restart()
	if r := apiCall(e, "GET", "/readyz", "", ""); r.StatusCode != 200 {
		t.Fatalf("readyz after the outage: %d %s", r.StatusCode, r.body)
	}
	if r := c.get("/account"); r.StatusCode != 200 {
		t.Fatalf("the same session after the outage: %d", r.StatusCode)
	}
}
