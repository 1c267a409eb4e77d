// Package loadgen drives HTTP load at a server and reports exact latency
// percentiles. It has two modes:
//
//   - Rate (open loop): requests are scheduled at a fixed rate whatever
//     the server does, and each latency is measured from the moment the
//     request was meant to be sent, not from when a free connection let it
//     go. A server that stalls therefore shows the stall in every request
//     that queued behind it (no "coordinated omission").
//   - Max (closed loop): a fixed number of connections send requests back
//     to back for a duration; the figure of interest is the rate.
//
// Every latency is kept, so percentiles are exact rather than estimated.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Config describes one run.
type Config struct {
	// BaseURL is prefixed to every target that does not start with http.
	BaseURL string
	// Targets are the paths (or URLs) requested, picked at random for each
	// request.
	Targets []string
	// Header is sent with every request (e.g. Authorization, Cookie).
	Header http.Header
	// Rate is requests per second in Rate mode.
	Rate float64
	// Duration is how long requests are started for.
	Duration time.Duration
	// Connections caps the open connections (Rate mode) or is the number of
	// closed-loop workers (Max mode).
	Connections int
	// Timeout bounds one request; a timed-out request is an error.
	Timeout time.Duration
	// Seed makes the choice of targets repeatable.
	Seed uint64
}

func (c *Config) check() error {
	if len(c.Targets) == 0 {
		return errors.New("loadgen: no target URLs")
	}
	if c.Duration <= 0 {
		return errors.New("loadgen: duration must be positive")
	}
	if c.Connections <= 0 {
		c.Connections = 64
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	return nil
}

func (c *Config) client() *http.Client {
	tr := &http.Transport{
		MaxConnsPerHost:     c.Connections,
		MaxIdleConns:        c.Connections,
		MaxIdleConnsPerHost: c.Connections,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	return &http.Client{Transport: tr, Timeout: c.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (c *Config) url(t string) string {
	if strings.HasPrefix(t, "http://") || strings.HasPrefix(t, "https://") {
		return t
	}
	return strings.TrimRight(c.BaseURL, "/") + "/" + strings.TrimLeft(t, "/")
}

// Result is what a run measured.
type Result struct {
	Mode string
	// Elapsed runs from the first scheduled send to the last response.
	Elapsed time.Duration
	// Latencies of every completed request (errors included), unsorted.
	Latencies []time.Duration
	// Errors counts transport failures and responses other than 2xx.
	Errors int
	// Statuses counts responses by HTTP status (0: no response).
	Statuses map[int]int
	// FirstError describes the first error seen, to say what went wrong.
	FirstError string
}

// Count is the number of requests completed (errors included).
func (r *Result) Count() int { return len(r.Latencies) }

// Rate is completed requests per second over the run.
func (r *Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Count()) / r.Elapsed.Seconds()
}

// Percentile returns the exact p-th percentile (0 < p ≤ 100) by the
// nearest-rank method, or 0 without data.
func (r *Result) Percentile(p float64) time.Duration { return Percentile(r.Latencies, p) }

// Percentile returns the nearest-rank p-th percentile of ds: the smallest
// value with at least p% of the values at or below it.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(float64(len(s))*p/100 + 0.999999999)
	rank = min(max(rank, 1), len(s))
	return s[rank-1]
}

// Summary is the one-line report printed after a run.
func (r *Result) Summary() string {
	return fmt.Sprintf("%s: %d requests, %d errors, %.0f req/s, p50 %s, p95 %s, p99 %s, max %s",
		r.Mode, r.Count(), r.Errors, r.Rate(), ms(r.Percentile(50)), ms(r.Percentile(95)), ms(r.Percentile(99)), ms(r.Percentile(100)))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

type recorder struct {
	mu  sync.Mutex
	res *Result
}

func (rec *recorder) add(lat time.Duration, status int, err error) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	r := rec.res
	r.Latencies = append(r.Latencies, lat)
	r.Statuses[status]++
	if err == nil && (status < 200 || status > 299) {
		err = fmt.Errorf("HTTP %d", status)
	}
	if err != nil {
		r.Errors++
		if r.FirstError == "" {
			r.FirstError = err.Error()
		}
	}
}

// do sends one request and reads the whole body (as a client would).
func do(ctx context.Context, client *http.Client, cfg *Config, target string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.url(target), nil)
	if err != nil {
		return 0, err
	}
	addHeader(req, cfg.Header)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return resp.StatusCode, err
	}
	return resp.StatusCode, nil
}

// RunRate sends cfg.Rate requests a second for cfg.Duration (open loop)
// and waits for the last response.
func RunRate(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.Rate <= 0 {
		return nil, errors.New("loadgen: rate must be positive")
	}
	client := cfg.client()
	defer client.CloseIdleConnections()
	n := int(cfg.Rate * cfg.Duration.Seconds())
	rec := &recorder{res: &Result{Mode: fmt.Sprintf("rate %.0f/s", cfg.Rate), Statuses: map[int]int{}, Latencies: make([]time.Duration, 0, n)}}
	rng := rand.New(rand.NewPCG(cfg.Seed, 1))
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < n; i++ {
		intended := start.Add(time.Duration(i) * interval)
		if d := time.Until(intended); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				wg.Wait()
				return rec.res, ctx.Err()
			}
		}
		target := cfg.Targets[rng.IntN(len(cfg.Targets))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, err := do(ctx, client, &cfg, target)
			// From the intended send time: a request held back by a busy
			// connection pool or a late scheduler is charged for the wait.
			rec.add(time.Since(intended), status, err)
		}()
	}
	wg.Wait()
	rec.res.Elapsed = time.Since(start)
	return rec.res, nil
}

// RunMax keeps cfg.Connections requests in flight for cfg.Duration (closed
// loop) and reports the rate reached.
func RunMax(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	client := cfg.client()
	defer client.CloseIdleConnections()
	rec := &recorder{res: &Result{Mode: fmt.Sprintf("max %d conns", cfg.Connections), Statuses: map[int]int{}}}
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	var wg sync.WaitGroup
	for w := 0; w < cfg.Connections; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(w)+2))
			for ctx.Err() == nil && time.Now().Before(deadline) {
				target := cfg.Targets[rng.IntN(len(cfg.Targets))]
				t0 := time.Now()
				status, err := do(ctx, client, &cfg, target)
				rec.add(time.Since(t0), status, err)
			}
		}(w)
	}
	wg.Wait()
	rec.res.Elapsed = time.Since(start)
	return rec.res, ctx.Err()
}

// ReadTargets reads one target per line, skipping blank lines and lines
// starting with #.
func ReadTargets(r io.Reader) ([]string, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	if len(out) == 0 {
		return nil, errors.New("no targets in the list (one path or URL per line)")
	}
	return out, nil
}

// Preflight sends, before a run, one request to each of cfg's first n
// targets (all when n <= 0) with its header, and hands each exchange to
// check (the API document's validator, say), so that a run does not
// measure answers the server should not give. It returns the first error.
func Preflight(ctx context.Context, cfg Config, n int, check func(req *http.Request, status int, header http.Header, body []byte) error) error {
	targets := cfg.Targets
	if n > 0 && len(targets) > n {
		targets = targets[:n]
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	client := cfg.client()
	for _, t := range targets {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.url(t), nil)
		if err != nil {
			return err
		}
		addHeader(req, cfg.Header)
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("loadgen: preflight %s: %w", t, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("loadgen: preflight %s: %w", t, err)
		}
		if err := check(req, resp.StatusCode, resp.Header, body); err != nil {
			return fmt.Errorf("loadgen: preflight %s: %w", t, err)
		}
	}
	return nil
}
