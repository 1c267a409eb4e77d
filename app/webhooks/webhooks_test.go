package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/errkind"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// receiver is a real HTTP server on loopback that checks what a
// Standard Webhooks receiver checks and keeps what it accepted.
type receiver struct {
	t   *testing.T
	srv *httptest.Server
	mu  sync.Mutex
	// secrets must each verify every request's signature.
	secrets []string
	// fail answers 500 to this many more requests; down drops the
	// connection without an answer while set.
	fail int
	down bool
	// got is every accepted message id in arrival order; types their
	// event types; calls counts every request.
	got   []string
	types []string
	calls int
	sigs  []string
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.down {
		hj, _ := w.(http.Hijacker)
		c, _, _ := hj.Hijack()
		c.Close()
		return
	}
	if r.fail > 0 {
		r.fail--
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	body, _ := io.ReadAll(req.Body)
	id, sig := req.Header.Get("webhook-id"), req.Header.Get("webhook-signature")
	ts, err := strconv.ParseInt(req.Header.Get("webhook-timestamp"), 10, 64)
	for _, secret := range r.secrets {
		if err != nil || !Verify(secret, sig, id, ts, body) {
			r.t.Errorf("bad signature on %s: %q", id, sig)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
	}
	r.sigs = append(r.sigs, sig)
	for _, seen := range r.got {
		if seen == id { // de-duplicated by webhook-id
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	var p struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		r.t.Errorf("payload: %v", err)
	}
	r.got = append(r.got, id)
	r.types = append(r.types, p.Type)
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) set(f func(r *receiver)) { r.mu.Lock(); defer r.mu.Unlock(); f(r) }

type fixture struct {
	d     *db.DB
	clock *clock
	store *Store
	out   *Outbox
	disp  *Dispatcher
}

func newFixture(t testing.TB, d *db.DB) *fixture {
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	g, err := NewGuard("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{d: d, clock: c, out: &Outbox{Now: c.Now},
		store: &Store{DB: d, Now: c.Now, Audit: &audit.Log{Now: c.Now}, Guard: g},
		disp:  &Dispatcher{DB: d, Now: c.Now, Guard: g, Jitter: func() float64 { return 0.5 }, Log: quiet}}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var ctx = audit.WithActor(context.Background(), audit.System("test"))

// emit commits (or rolls back) a change that emits one event.
func (f *fixture) emit(t *testing.T, typ string, n int, rollback bool) {
	t.Helper()
	errRollback := errors.New("rolled back")
	err := f.d.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := f.out.Emit(ctx, tx, Event{Type: typ, SiteIDs: []string{"site-a"}, Data: map[string]any{"n": n}}); err != nil {
			return err
		}
		if rollback {
			return errRollback
		}
		return nil
	})
	if err != nil && !(rollback && errors.Is(err, errRollback)) {
		t.Fatal(err)
	}
}

func (f *fixture) drain(t *testing.T) int {
	t.Helper()
	n, err := f.disp.Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) deliveries(t *testing.T, id string) []Delivery {
	t.Helper()
	ds, err := f.store.Deliveries(ctx, id, 100)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// One receiver that fails the first deliveries, then is down, then
// accepts: every committed event arrives, once accepted, in order, signed;
// a rolled-back change emits nothing; a site-limited endpoint sees only
// its site; a rotation signs with both secrets for 24 hours; a delivery
// that keeps failing is retried for 24 hours, holds back the endpoint's
// later events meanwhile, and is then marked failed and can be resent.
func TestDeliveryRetriesOrderAndFailure(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		rc := newReceiver(t)
		ep, secret, err := f.store.Create(ctx, Input{URL: rc.srv.URL + "/hook", Events: []string{SignOffRecorded, SignOffRevoked}, Enabled: true}, "admin")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, "whsec_") {
			t.Fatalf("secret %q", secret)
		}
		rc.secrets = []string{secret}
		other, _, err := f.store.Create(ctx, Input{URL: rc.srv.URL + "/other", Events: []string{SignOffRecorded}, SiteIDs: []string{"site-b"}, Enabled: true}, "admin")
		if err != nil {
			t.Fatal(err)
		}

		rc.set(func(r *receiver) { r.fail = 3 })
		f.emit(t, SignOffRecorded, 1, false)
		f.emit(t, SignOffRevoked, 2, true) // rolled back: never delivered
		f.emit(t, SignOffRevoked, 3, false)
		f.emit(t, PersonDeactivated, 4, false) // nobody subscribed

		for range 3 { // three failures, one per pass; event 3 waits behind 1
			if n := f.drain(t); n != 1 {
				t.Fatalf("attempts in a pass: %d, want 1 (event order)", n)
			}
			ds := f.deliveries(t, ep.ID)
			if len(ds) != 2 || ds[1].Status != StatusPending || ds[1].ResponseCode != 500 || ds[1].NextAttemptAt == nil || ds[0].Attempts != 0 {
				t.Fatalf("after a failure: %+v", ds)
			}
			if n := f.drain(t); n != 0 {
				t.Fatalf("retried before its time: %d", n)
			}
			f.clock.Advance(time.Hour)
		}
		rc.set(func(r *receiver) { r.down = true })
		f.drain(t)
		if ds := f.deliveries(t, ep.ID); ds[1].ResponseCode != 0 || ds[1].LastError == "" || ds[1].Attempts != 4 {
			t.Fatalf("while down: %+v", ds[1])
		}
		f.clock.Advance(time.Hour)
		rc.set(func(r *receiver) { r.down = false })
		if n := f.drain(t); n != 2 {
			t.Fatalf("attempts once up: %d", n)
		}
		if len(rc.got) != 2 || rc.types[0] != SignOffRecorded || rc.types[1] != SignOffRevoked {
			t.Fatalf("received %v %v", rc.got, rc.types)
		}
		for _, dl := range f.deliveries(t, ep.ID) {
			if dl.Status != StatusDelivered || dl.DeliveredAt == nil || dl.EventID == "" {
				t.Fatalf("delivery %+v", dl)
			}
		}
		if ds := f.deliveries(t, other.ID); len(ds) != 0 {
			t.Fatalf("site-b endpoint got site-a events: %+v", ds)
		}

		// Resend: the same webhook-id again, which the receiver drops.
		first := f.deliveries(t, ep.ID)[1]
		if err := f.store.Resend(ctx, ep.ID, first.ID); err != nil {
			t.Fatal(err)
		}
		f.drain(t)
		if len(rc.got) != 2 || rc.calls != 7 {
			t.Fatalf("after resend: got %d, calls %d", len(rc.got), rc.calls)
		}

		// Rotation: both secrets sign for 24 hours, then the new one only.
		_, newSecret, err := f.store.RotateSecret(ctx, ep.ID)
		if err != nil || newSecret == secret {
			t.Fatalf("rotate: %v", err)
		}
		rc.secrets = []string{secret, newSecret}
		f.emit(t, SignOffRecorded, 5, false)
		f.drain(t)
		if last := rc.sigs[len(rc.sigs)-1]; len(strings.Fields(last)) != 2 || len(rc.got) != 3 {
			t.Fatalf("signature during the overlap: %q", last)
		}
		f.clock.Advance(RotationOverlap)
		rc.secrets = []string{newSecret}
		f.emit(t, SignOffRecorded, 6, false)
		f.drain(t)
		if last := rc.sigs[len(rc.sigs)-1]; len(strings.Fields(last)) != 1 || len(rc.got) != 4 {
			t.Fatalf("after the overlap: %q, %d received", last, len(rc.got))
		}

		// A receiver that never accepts: retried for 24 hours, then failed;
		// the next event waits meanwhile, then goes.
		rc.set(func(r *receiver) { r.fail = 1 << 30 })
		f.emit(t, SignOffRecorded, 7, false)
		f.emit(t, SignOffRecorded, 8, false)
		for range 40 {
			f.drain(t)
			f.clock.Advance(time.Hour)
		}
		ds := f.deliveries(t, ep.ID)
		if ds[1].Status != StatusFailed || ds[1].Attempts < 24 || ds[0].Status != StatusFailed {
			t.Fatalf("after 40 hours of refusals: %+v / %+v", ds[1], ds[0])
		}
		if ds[0].Attempts >= ds[1].Attempts {
			t.Fatalf("event 8 was tried while 7 was pending: %d vs %d attempts", ds[0].Attempts, ds[1].Attempts)
		}
		rc.set(func(r *receiver) { r.fail = 0 })
		if err := f.store.Resend(ctx, ep.ID, ds[1].ID); err != nil {
			t.Fatal(err)
		}
		if err := f.store.Resend(ctx, ep.ID, ds[1].ID); errkind.KindOf(err) != errkind.Conflict {
			t.Fatalf("resending a pending delivery: %v", err)
		}
		f.drain(t)
		if len(rc.got) != 5 {
			t.Fatalf("resent failed delivery not received: %d", len(rc.got))
		}
	})
}

// A dispatcher that dies after claiming a delivery (between commit and
// delivery's record) leaves a lease; after it ends, another delivers the
// event with the same webhook-id, once.
func TestClaimedDeliverySurvivesACrash(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		rc := newReceiver(t)
		ep, secret, err := f.store.Create(ctx, Input{URL: rc.srv.URL, Events: []string{CredentialVerified}, Enabled: true}, "admin")
		if err != nil {
			t.Fatal(err)
		}
		rc.secrets = []string{secret}
		f.emit(t, CredentialVerified, 1, false)
		f.disp.client()
		c, err := f.disp.claim(ctx, ep.ID, nil)
		if err != nil || c == nil {
			t.Fatalf("claim: %v %v", c, err)
		}
		// The process dies here. Another instance finds it held...
		other := &Dispatcher{DB: d, Now: f.clock.Now, Guard: f.disp.Guard, Log: quiet}
		if n, err := other.Drain(ctx); n != 0 || err != nil {
			t.Fatalf("a held delivery was taken: %d %v", n, err)
		}
		// ...until the lease ends.
		f.clock.Advance(lease + time.Second)
		if n, err := other.Drain(ctx); n != 1 || err != nil {
			t.Fatalf("after the lease: %d %v", n, err)
		}
		if len(rc.got) != 1 || rc.got[0] != c.msgID {
			t.Fatalf("received %v, want %s", rc.got, c.msgID)
		}
	})
}

type fakeResolver map[string][]string

func (r fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, a := range r[host] {
		out = append(out, netip.MustParseAddr(a))
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

func TestGuardRefusesPrivateAddresses(t *testing.T) {
	res := fakeResolver{"inside.example": {"10.1.2.3"}, "meta.example": {"169.254.169.254"}, "mixed.example": {"93.184.216.34", "127.0.0.1"},
		"public.example": {"93.184.216.34"}, "v6.example": {"::1"}, "allowed.example": {"127.0.0.1"}}
	g, err := NewGuard("allowed.example, 192.168.7.0/24, fd12::1")
	if err != nil {
		t.Fatal(err)
	}
	g.Resolver = res
	for _, u := range []string{"http://127.0.0.1/", "http://169.254.169.254/latest/meta-data", "https://10.0.0.1/", "http://[::1]:8080/",
		"https://inside.example/", "https://meta.example/", "https://mixed.example/", "https://v6.example/", "http://[::ffff:127.0.0.1]/",
		"http://0.0.0.0/", "http://100.100.100.200/", "http://[fd00:ec2::254]/", "http://[64:ff9b::a9fe:a9fe]/", "http://192.168.8.1/"} {
		err := g.CheckURL(context.Background(), u)
		if e := errkind.As(err); e == nil || e.Fields["url"] == "" || !strings.Contains(e.Fields["url"], "private network") {
			t.Errorf("%s: %v, want refused as private", u, err)
		}
	}
	for _, u := range []string{"https://public.example/hook", "https://93.184.216.34/", "http://allowed.example:9000/", "http://192.168.7.20/", "http://[fd12::1]/"} {
		if err := g.CheckURL(context.Background(), u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"ftp://public.example/", "https://user:pw@public.example/", "/relative", "https://nowhere.example/"} {
		if err := g.CheckURL(context.Background(), u); errkind.KindOf(err) != errkind.Invalid {
			t.Errorf("%s: %v, want invalid", u, err)
		}
	}
	if _, err := NewGuard("not a host/"); err == nil {
		t.Error("a bad allow list was accepted")
	}

	// DNS rebinding: public at registration, loopback at delivery. The
	// dial refuses it; nothing reaches the server on loopback.
	rc := newReceiver(t)
	_, port, _ := net.SplitHostPort(rc.srv.Listener.Addr().String())
	rebind := fakeResolver{"rebind.example": {"93.184.216.34"}}
	g2, _ := NewGuard("")
	g2.Resolver = rebind
	if err := g2.CheckURL(context.Background(), "http://rebind.example:"+port+"/"); err != nil {
		t.Fatal(err)
	}
	rebind["rebind.example"] = []string{"127.0.0.1"}
	resp, err := g2.Client(Timeout).Post("http://rebind.example:"+port+"/", "application/json", strings.NewReader("{}"))
	if err == nil {
		resp.Body.Close()
	}
	if !errors.Is(err, ErrRefusedAddress) || rc.calls != 0 {
		t.Fatalf("rebinding: %v, %d calls", err, rc.calls)
	}
	// A redirect is not followed.
	redir := httptest.NewServer(http.RedirectHandler("http://169.254.169.254/", http.StatusFound))
	defer redir.Close()
	g3, _ := NewGuard("127.0.0.1")
	resp, err = g3.Client(Timeout).Get(redir.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("redirect followed: %d", resp.StatusCode)
	}
}

func TestBackoff(t *testing.T) {
	if b := Backoff(1, 0); b != 5*time.Second {
		t.Errorf("first: %v", b)
	}
	if b := Backoff(3, 1); b != 40*time.Second {
		t.Errorf("third, full jitter: %v", b)
	}
	if b := Backoff(30, 0.5); b != 45*time.Minute {
		t.Errorf("capped: %v", b)
	}
}

// A shutdown while a delivery is in flight: the attempt is not cut; Run
// returns once the receiver has answered and the delivery is recorded as
// delivered (once), and the endpoint's next event is left pending,
// untried, for the next start.
func TestShutdownFinishesTheDeliveryInFlight(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		arrived, release := make(chan struct{}, 1), make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			arrived <- struct{}{}
			<-release
			w.WriteHeader(http.StatusNoContent)
		}))
		defer srv.Close()
		var once sync.Once
		answer := func() { once.Do(func() { close(release) }) }
		defer answer()
		ep, _, err := f.store.Create(ctx, Input{URL: srv.URL, Events: []string{SignOffRecorded}, Enabled: true}, "admin")
		if err != nil {
			t.Fatal(err)
		}
		f.emit(t, SignOffRecorded, 1, false)
		f.emit(t, SignOffRecorded, 2, false)
		run, stop := context.WithCancel(ctx)
		stopped := make(chan struct{})
		go func() { defer close(stopped); f.disp.Run(run, time.Millisecond) }()
		<-arrived
		stop()
		select {
		case <-stopped:
			t.Fatal("Run returned with a delivery in flight")
		case <-time.After(50 * time.Millisecond):
		}
		answer()
		select {
		case <-stopped:
		case <-time.After(Timeout):
			t.Fatal("Run did not return after the answer")
		}
		ds := f.deliveries(t, ep.ID) // newest first
		if ds[1].Status != StatusDelivered || ds[1].Attempts != 1 || ds[1].LastError != "" ||
			ds[0].Status != StatusPending || ds[0].Attempts != 0 || ds[0].LastError != "" {
			t.Fatalf("after the shutdown: %+v / %+v", ds[1], ds[0])
		}
	})
}

// Events are numbered in commit order, now under the outbox's own lock
// rather than the audit chain's: while concurrent transactions emit events
// (each with its audit entry, and a pause before commit), a reader never
// sees a number before every smaller one is visible, so the dispatcher can
// never send an endpoint event n+1 and find event n committed later.
func TestEventsBecomeVisibleInNumberOrder(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		if _, _, err := f.store.Create(ctx, Input{URL: "http://127.0.0.1:1/hook", Events: []string{SignOffRecorded}, Enabled: true}, "admin"); err != nil {
			t.Fatal(err)
		}
		const writers, each = 8, 5
		done := make(chan struct{})
		readerErr := make(chan error, 1)
		go func() {
			defer close(readerErr)
			for {
				var seqs []int64
				if err := d.NewSelect().Model((*eventRow)(nil)).Column("seq").OrderExpr("seq").Scan(ctx, &seqs); err != nil {
					readerErr <- err
					return
				}
				for i, s := range seqs {
					if s != int64(i+1) {
						readerErr <- errors.New("visible events " + strconv.Itoa(len(seqs)) + ": event " + strconv.FormatInt(s, 10) + " before event " + strconv.Itoa(i+1))
						return
					}
				}
				select {
				case <-done:
					return
				default:
				}
			}
		}()
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					err := d.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
						if err := f.out.Emit(ctx, tx, Event{Type: SignOffRecorded, Data: map[string]any{"w": w, "i": i}}); err != nil {
							return err
						}
						if err := f.store.Audit.Append(ctx, tx, audit.Entry{Action: "signoff.create", EntityType: "signoff", EntityID: strconv.Itoa(w*each + i)}); err != nil {
							return err
						}
						time.Sleep(time.Duration(1+(w+i)%3) * time.Millisecond)
						return nil
					})
					if err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		close(done)
		if err := <-readerErr; err != nil {
			t.Fatal(err)
		}
		var n int
		if err := d.NewSelect().Model((*eventRow)(nil)).ColumnExpr("COUNT(*)").Scan(ctx, &n); err != nil || n != writers*each {
			t.Fatalf("%d events stored (%v), want %d", n, err, writers*each)
		}
	})
}
