package server_test

import (
	"bytes"
	"context"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// proxy is a TCP relay to PostgreSQL that a test can cut and restore, to
// play a database outage without touching the shared server. A cut can
// also be armed to happen at an exact point of a request: when a given
// statement goes on the wire (see cutBefore and cutAfterReply), which is
// what "the database stops during a sign-off" means, made deterministic.
type proxy struct {
	t      *testing.T
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
	arm    *trigger
	// sends counts what clients sent, a read at a time: a request and its
	// wait for the answer, so round trips.
	sends atomic.Int64
}

// trigger is an armed cut: when a client sends bytes containing pattern,
// the proxy stops, either before those bytes reach PostgreSQL or after
// PostgreSQL answered them (the answer is then lost).
type trigger struct {
	pattern    []byte
	afterReply bool
	fired      chan struct{}
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target}
	p.start("127.0.0.1:0")
	t.Cleanup(p.stop)
	return p
}

// proxiedPostgres opens a fresh, migrated PostgreSQL test database through
// a proxy the test controls. Connections give up dialling after a second,
// so requests during an outage fail fast.
func proxiedPostgres(t *testing.T) (*db.DB, *proxy) {
	t.Helper()
	o := dbtest.Options(t, db.Postgres)
	u, err := url.Parse(o.URL)
	if err != nil {
		t.Fatal(err)
	}
	px := newProxy(t, u.Host)
	u.Host = px.addr
	q := u.Query()
	q.Set("dial_timeout", "1s")
	u.RawQuery = q.Encode()
	d, err := db.Open(context.Background(), db.Options{URL: u.String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d, px
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
			var replyCuts sync.Mutex
			var cutOnReply *trigger
			// Client to PostgreSQL: look for the armed statement.
			go func() {
				defer up.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						p.sends.Add(1)
						if tr := p.match(buf[:n]); tr != nil {
							if !tr.afterReply {
								p.cut(tr)
								return
							}
							replyCuts.Lock()
							cutOnReply = tr
							replyCuts.Unlock()
						}
						if _, werr := up.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
			// PostgreSQL to client: lose the answer to an armed statement.
			go func() {
				defer c.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := up.Read(buf)
					if n > 0 {
						replyCuts.Lock()
						tr := cutOnReply
						replyCuts.Unlock()
						if tr != nil {
							p.cut(tr)
							return
						}
						if _, werr := c.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
}

// match returns the armed trigger (disarming it) if b holds its pattern.
func (p *proxy) match(b []byte) *trigger {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.arm == nil || !bytes.Contains(b, p.arm.pattern) {
		return nil
	}
	tr := p.arm
	p.arm = nil
	return tr
}

func (p *proxy) cut(tr *trigger) {
	p.stop()
	close(tr.fired)
}

// cutBefore stops the proxy when a client sends a statement containing
// pattern, before PostgreSQL sees it: an open transaction dies with its
// connection and PostgreSQL rolls it back. The channel closes on the cut.
func (p *proxy) cutBefore(pattern string) <-chan struct{} { return p.armCut(pattern, false) }

// cutAfterReply lets a statement containing pattern reach PostgreSQL and
// stops the proxy when PostgreSQL answers, dropping the answer: for
// "COMMIT" the transaction is committed but the application never hears.
func (p *proxy) cutAfterReply(pattern string) <-chan struct{} { return p.armCut(pattern, true) }

func (p *proxy) armCut(pattern string, afterReply bool) <-chan struct{} {
	tr := &trigger{pattern: []byte(pattern), afterReply: afterReply, fired: make(chan struct{})}
	p.mu.Lock()
	p.arm = tr
	p.mu.Unlock()
	return tr.fired
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
