package loadgen

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/api/apitest"
)

func TestPercentileNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 95: 95 * time.Millisecond,
		99: 99 * time.Millisecond, 100: 100 * time.Millisecond, 0.5: time.Millisecond} {
		if got := Percentile(ds, p); got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
	if ds[0] != 100*time.Millisecond {
		t.Error("Percentile sorted its input in place")
	}
	if Percentile(nil, 99) != 0 {
		t.Error("empty input should give 0")
	}
	// Three values: p50 is the second, p99 the third.
	three := []time.Duration{3, 1, 2}
	if Percentile(three, 50) != 2 || Percentile(three, 99) != 3 {
		t.Errorf("p50/p99 of 1,2,3 = %v/%v", Percentile(three, 50), Percentile(three, 99))
	}
}

func TestRateCountsRequestsErrorsAndHeaders(t *testing.T) {
	var n, authed atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.Header.Get("Authorization") == "Bearer sgt_x" {
			authed.Add(1)
		}
		if r.URL.Path == "/bad" {
			http.Error(w, "no", http.StatusNotFound)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	res, err := RunRate(context.Background(), Config{BaseURL: srv.URL, Targets: []string{"/ok", "/bad"}, Rate: 200,
		Duration: 250 * time.Millisecond, Header: http.Header{"Authorization": {"Bearer sgt_x"}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Count() != 50 || n.Load() != 50 || authed.Load() != 50 {
		t.Fatalf("count %d, server saw %d (%d with the token), want 50", res.Count(), n.Load(), authed.Load())
	}
	if res.Errors != res.Statuses[404] || res.Statuses[200]+res.Statuses[404] != 50 || res.Errors == 0 || res.Statuses[200] == 0 {
		t.Fatalf("errors %d, statuses %v", res.Errors, res.Statuses)
	}
	if !strings.Contains(res.FirstError, "404") {
		t.Errorf("first error %q does not name the status", res.FirstError)
	}
}

// A server that can serve only one request at a time, slowly, gets
// requests faster than it answers them. Measured from the intended send
// time, the queued requests show their wait: the slowest latency is many
// service times, not one (what a closed-loop tool would report).
func TestRateChargesQueueingToLatency(t *testing.T) {
	const service = 20 * time.Millisecond
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		time.Sleep(service)
	}))
	defer srv.Close()
	// 20 requests scheduled within 100 ms; serving them takes ≥ 400 ms.
	res, err := RunRate(context.Background(), Config{BaseURL: srv.URL, Targets: []string{"/"}, Rate: 200,
		Duration: 100 * time.Millisecond, Connections: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Count() != 20 || res.Errors != 0 {
		t.Fatalf("count %d errors %d (%s)", res.Count(), res.Errors, res.FirstError)
	}
	// The last of 20 serialised requests cannot finish before 20 service
	// times after the first was due, and it was due at most 100 ms later.
	if got, floor := res.Percentile(100), 20*service-100*time.Millisecond; got < floor {
		t.Fatalf("max latency %v; with queueing charged it must be at least %v", got, floor)
	}
}

func TestMaxKeepsConnectionsBusy(t *testing.T) {
	var inFlight, peak atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cur := inFlight.Add(1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		inFlight.Add(-1)
	}))
	defer srv.Close()
	res, err := RunMax(context.Background(), Config{BaseURL: srv.URL, Targets: []string{"/a"}, Duration: 200 * time.Millisecond, Connections: 4})
	if err != nil {
		t.Fatal(err)
	}
	if res.Count() == 0 || res.Errors != 0 {
		t.Fatalf("count %d errors %d", res.Count(), res.Errors)
	}
	if peak.Load() > 4 {
		t.Fatalf("%d requests in flight with 4 connections", peak.Load())
	}
}

func TestReadTargets(t *testing.T) {
	got, err := ReadTargets(strings.NewReader("# clearance checks\n/api/v1/clearances?person=a&task=b\n\n  /readyz  \n"))
	if err != nil || len(got) != 2 || got[1] != "/readyz" {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := ReadTargets(strings.NewReader("# nothing\n")); err == nil {
		t.Fatal("an empty list was accepted")
	}
}

func TestLoginGetsSessionCookie(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sg_csrf", Value: "c1"})
		w.Write([]byte(`<form><input type="hidden" name="_csrf" value="tok&amp;1"></form>`))
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if c, _ := r.Cookie("sg_csrf"); c == nil || r.FormValue("_csrf") != "tok&1" || r.FormValue("password") != "pw" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "sg_session", Value: "s1"})
		w.Header().Set("Location", "/")
		w.WriteHeader(http.StatusSeeOther)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, err := Login(context.Background(), srv.URL, "a@b.test", "pw")
	if err != nil || !strings.Contains(c, "sg_session=s1") {
		t.Fatalf("cookie %q, err %v", c, err)
	}
	if _, err := Login(context.Background(), srv.URL, "a@b.test", "wrong"); err == nil {
		t.Fatal("a refused login returned no error")
	}
}

// LoginClient sends its header (the client's address behind a proxy) with
// both requests, and its jar takes a session the server renews later (as
// after a signature).
func TestLoginClientSendsHeaderAndKeepsRenewedSession(t *testing.T) {
	var from []string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		from = append(from, r.Header.Get("X-Forwarded-For"))
		w.Write([]byte(`<input type="hidden" name="_csrf" value="t">`))
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		from = append(from, r.Header.Get("X-Forwarded-For"))
		http.SetCookie(w, &http.Cookie{Name: "sg_session", Value: "s1"})
		w.WriteHeader(http.StatusSeeOther)
	})
	mux.HandleFunc("POST /sign", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sg_session", Value: "s2"})
		w.WriteHeader(http.StatusSeeOther)
	})
	mux.HandleFunc("GET /who", func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Cookie("sg_session")
		w.Write([]byte(c.Value))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, err := LoginClient(context.Background(), srv.URL, "a@b.test", "pw", http.Header{"X-Forwarded-For": {"10.24.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(from, ",") != "10.24.0.1,10.24.0.1" {
		t.Errorf("X-Forwarded-For sent: %q", from)
	}
	if r, err := c.Post(srv.URL+"/sign", "text/plain", nil); err != nil || r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign: %v %v", r, err)
	}
	r, err := c.Get(srv.URL + "/who")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	if b, _ := io.ReadAll(r.Body); string(b) != "s2" {
		t.Errorf("session after the renewal %q, want s2", b)
	}
}

// Preflight checks each target's answer against the API's document before
// a run: a /api/v1/me answer missing the person's fields is refused, an
// answer outside the API passes.
func TestPreflightChecksAnswersAgainstTheDocument(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"p1"}`))
	}))
	defer srv.Close()
	v, err := apitest.Shared()
	if err != nil {
		t.Fatal(err)
	}
	check := func(req *http.Request, status int, h http.Header, body []byte) error {
		return v.Check(req, nil, status, h, body)
	}
	cfg := Config{BaseURL: srv.URL, Targets: []string{"/readyz", "/api/v1/me"}, Header: http.Header{"Authorization": {"Bearer sgt_x"}}}
	if err := Preflight(context.Background(), cfg, 1, check); err != nil {
		t.Fatalf("outside the API: %v", err)
	}
	if err := Preflight(context.Background(), cfg, 0, check); err == nil || !strings.Contains(err.Error(), "/api/v1/me") || !strings.Contains(err.Error(), "not as documented") {
		t.Fatalf("an undocumented answer passed: %v", err)
	}
}
