// Command skillgate-load is Skillgate's HTTP load generator: fixed-rate
// (open loop, latency from the intended send time) or maximum-throughput
// (N connections back to back) runs against a list of URLs, printing the
// count, errors, rate and exact p50/p95/p99/max.
//
//	skillgate-load -base http://127.0.0.1:8080 -token sgt_… -urls clearances.txt -rate 1000 -duration 20s
//	skillgate-load -base http://127.0.0.1:8080 -url /readyz -c 32 -duration 10s
//	skillgate-load -base http://127.0.0.1:8080 -login hr@demo.test -password … -url /hr -rate 20
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/skillgate/skillgate/internal/tools/loadgen"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "skillgate-load:", err)
		os.Exit(1)
	}
}

func run() error {
	var urls, headers list
	base := flag.String("base", "http://127.0.0.1:8080", "server address prefixed to paths")
	flag.Var(&urls, "url", "a path or URL to request (repeatable)")
	file := flag.String("urls", "", "file with one path or URL per line, picked at random")
	rate := flag.Float64("rate", 0, "requests per second (open loop); 0 means as fast as -c connections allow")
	duration := flag.Duration("duration", 10*time.Second, "how long to send requests")
	conns := flag.Int("c", 64, "connections (max mode: concurrent workers; rate mode: pool cap)")
	timeout := flag.Duration("timeout", 30*time.Second, "timeout of one request")
	flag.Var(&headers, "H", `header "Name: value" sent with every request (repeatable)`)
	token := flag.String("token", os.Getenv("SKILLGATE_LOAD_TOKEN"), "API token sent as Authorization: Bearer (or $SKILLGATE_LOAD_TOKEN)")
	cookie := flag.String("cookie", "", "Cookie header sent with every request")
	email := flag.String("login", "", "log in as this email first and send the session cookie")
	pw := flag.String("password", os.Getenv("SKILLGATE_LOAD_PASSWORD"), "password for -login (or $SKILLGATE_LOAD_PASSWORD)")
	warmup := flag.Duration("warmup", 0, "send requests this long first (same mode) without counting them")
	asJSON := flag.Bool("json", false, "print the result as JSON")
	seed := flag.Uint64("seed", 1, "seed for the random choice of URLs")
	flag.Parse()

	targets := []string(urls)
	if *file != "" {
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		more, err := loadgen.ReadTargets(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *file, err)
		}
		targets = append(targets, more...)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	h := http.Header{}
	for _, kv := range headers {
		k, v, ok := strings.Cut(kv, ":")
		if !ok {
			return fmt.Errorf("header %q: want \"Name: value\"", kv)
		}
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if *token != "" {
		h.Set("Authorization", "Bearer "+*token)
	}
	if *email != "" {
		c, err := loadgen.Login(ctx, *base, *email, *pw)
		if err != nil {
			return err
		}
		*cookie = c
	}
	if *cookie != "" {
		h.Set("Cookie", *cookie)
	}
	cfg := loadgen.Config{BaseURL: *base, Targets: targets, Header: h, Rate: *rate, Duration: *duration,
		Connections: *conns, Timeout: *timeout, Seed: *seed}
	runOnce := func(c loadgen.Config) (*loadgen.Result, error) {
		if c.Rate > 0 {
			return loadgen.RunRate(ctx, c)
		}
		return loadgen.RunMax(ctx, c)
	}
	if *warmup > 0 {
		w := cfg
		w.Duration, w.Seed = *warmup, cfg.Seed+1000
		if _, err := runOnce(w); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	res, err := runOnce(cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(report(res))
	}
	fmt.Println(res.Summary())
	if res.Errors > 0 {
		fmt.Printf("statuses: %v; first error: %s\n", res.Statuses, res.FirstError)
	}
	return nil
}

type jsonReport struct {
	Mode       string      `json:"mode"`
	Count      int         `json:"count"`
	Errors     int         `json:"errors"`
	Rate       float64     `json:"rate"`
	P50        float64     `json:"p50_ms"`
	P95        float64     `json:"p95_ms"`
	P99        float64     `json:"p99_ms"`
	Max        float64     `json:"max_ms"`
	Statuses   map[int]int `json:"statuses"`
	FirstError string      `json:"first_error,omitempty"`
}

func report(r *loadgen.Result) jsonReport {
	msf := func(p float64) float64 { return float64(r.Percentile(p)) / float64(time.Millisecond) }
	return jsonReport{Mode: r.Mode, Count: r.Count(), Errors: r.Errors, Rate: r.Rate(), P50: msf(50), P95: msf(95), P99: msf(99),
		Max: msf(100), Statuses: r.Statuses, FirstError: r.FirstError}
}
