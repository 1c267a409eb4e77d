package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/skillgate/skillgate/app/access"
	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/auth/password"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/internal/tools/loadgen"
	"github.com/skillgate/skillgate/internal/tools/scale"
	"github.com/skillgate/skillgate/internal/tools/softkey"
)

// Issue 24's target 4, end to end: preceptors at their tablets recording
// observations and sign-offs through the web forms. A run signs either
// with a passkey (target 4's figure: no password hash on the path, which
// the target leaves out) or with the password typed again (what the hash
// costs when every sign-off computes one on the same cores).

const (
	mixedClients = 50
	// mixedHashes is how many times the sign-off's password hash is timed
	// apart during the run.
	mixedHashes = 20
)

// mixedWrite is one form a preceptor sends: an observed performance of a
// competency (all steps met) or, after enough of them, its sign-off.
type mixedWrite struct {
	enrollment, competency, variant string
	day                             string // performed on: today in the program's zone
	sign                            bool
}

// mixedClient is one preceptor's tablet: the writes it will send, in
// order, and its address at its clinic (behind the trusted proxy the
// benchmark plays, so that 50 clinics are 50 addresses, as in production,
// not one client exceeding the per-address rate limits).
type mixedClient struct {
	email string
	addr  string
	plan  []mixedWrite
	// Set when logged in: the browser and the CSRF token its forms carry.
	client *http.Client
	csrf   string
	// key is the tablet's passkey, when the run signs with one.
	key *softkey.Key
}

// planMixed chooses n preceptors (in the order of their logins) who can
// each make at least per writes on the apprentices assigned to them at
// their own site and who have no second factor yet (so that they log in
// with the password, and a passkey run can give them theirs; the first
// preceptor, whom the page measurements log in as, is never chosen), and plans
// those writes: competency by competency, as
// many successful observations as the competency asks, then its initial
// sign-off. Every write is checked in advance with the rules the server
// applies (assessments.NewObservation, evidence.Service.CheckSignOff,
// access.CanSeeEnrollment) on the records as they will be when it is sent,
// and competencies that could not be signed off by that preceptor today
// are left out, so a refusal in the run is the server's fault, not the
// plan's. No apprentice is in two plans (each client's view of the
// records stays true). method is how the sign-offs will be signed
// (accounts.MethodPasskey or MethodPassword).
func planMixed(ctx context.Context, d *db.DB, n, per int, now time.Time, method string) ([]*mixedClient, error) {
	var rows []struct {
		PreceptorID  string `bun:"preceptor_id"`
		EnrollmentID string `bun:"enrollment_id"`
	}
	if err := d.NewRaw(`SELECT ep.preceptor_id, ep.enrollment_id FROM enrollment_preceptors ep
		JOIN enrollments e ON e.id = ep.enrollment_id
		JOIN user_sites us ON us.user_id = ep.preceptor_id AND us.site_id = e.site_id
		JOIN users u ON u.id = ep.preceptor_id
		WHERE e.status = 'active' AND NOT EXISTS (SELECT 1 FROM enrollment_moves m WHERE m.from_enrollment_id = e.id)
		ORDER BY u.email, e.id`).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("choose preceptors and their apprentices: %w", err)
	}
	acc := accounts.NewStore(d)
	svc := evidence.NewService(d, programs.NewStore(d))
	svc.Now = func() time.Time { return now }
	used := map[string]bool{}
	var out []*mixedClient
	for i := 0; i < len(rows) && len(out) < n; {
		id := rows[i].PreceptorID
		var ens []string
		for ; i < len(rows) && rows[i].PreceptorID == id; i++ {
			ens = append(ens, rows[i].EnrollmentID)
		}
		p, err := acc.ByID(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("preceptor %s: %w", id, err)
		}
		if !p.Has(accounts.RolePreceptor) || p.Email == scale.PreceptorEmail(1) {
			continue // the page measurements log in as the first, with the password
		}
		if has, err := acc.HasSecondFactor(ctx, id); err != nil {
			return nil, fmt.Errorf("preceptor %s: %w", id, err)
		} else if has {
			continue // an earlier passkey run's: no password login
		}
		c := &mixedClient{email: p.Email, addr: fmt.Sprintf("10.24.%d.%d", len(out)/250, len(out)%250+1)}
		rng := rand.New(rand.NewPCG(uint64(len(out)), 24))
		var mine []string
		for _, e := range ens {
			if used[e] || len(c.plan) >= per {
				continue
			}
			rec, err := svc.Enrollment(ctx, e)
			if err != nil {
				return nil, fmt.Errorf("enrollment %s: %w", e, err)
			}
			if !access.CanSeeEnrollment(p, rec.Enrollment) {
				continue
			}
			ap, err := acc.ByID(ctx, rec.Enrollment.ApprenticeID)
			if err != nil {
				return nil, fmt.Errorf("apprentice of %s: %w", e, err)
			}
			ws, err := planEnrollment(ctx, rec, evidence.ActorOf(p), ap.Name, svc, rng, now, method)
			if err != nil {
				return nil, err
			}
			if len(ws) > 0 {
				c.plan = append(c.plan, ws...)
				mine = append(mine, e)
			}
		}
		if len(c.plan) < per {
			continue // too little left to do for this one: the next preceptor
		}
		for _, e := range mine {
			used[e] = true
		}
		out = append(out, c)
	}
	if len(out) < n {
		return nil, fmt.Errorf("only %d preceptors have %d writes to make on their apprentices (need %d): a shorter -duration, or a database seeded with seed --scale", len(out), per, n)
	}
	return out, nil
}

// planEnrollment plans the writes of one enrollment (see planMixed),
// competencies in an order of this preceptor's (so that sign-offs, and
// their password hashes, do not come in bursts), and leaves rec as the
// records will be after them.
func planEnrollment(ctx context.Context, rec *assessments.Records, signer assessments.Actor, apprentice string, svc *evidence.Service, rng *rand.Rand, now time.Time, method string) ([]mixedWrite, error) {
	v := rec.Enrollment.Version
	day := v.Day(now)
	comps := slices.Clone(v.Program().Competencies)
	rng.Shuffle(len(comps), func(a, b int) { comps[a], comps[b] = comps[b], comps[a] })
	var out []mixedWrite
	for _, comp := range comps {
		if len(comp.Performances) == 0 {
			continue
		}
		sim := *rec
		sim.Observations = slices.Clone(rec.Observations)
		var ws []mixedWrite
		ok := true
		for _, p := range comp.Performances {
			for range p.Count {
				steps := make([]assessments.StepResult, len(comp.Checklist))
				for j := range steps {
					steps[j] = assessments.StepResult{Index: j, Met: true}
				}
				o, err := assessments.NewObservation(rec.Enrollment, signer, assessments.ObservationRequest{IdempotencyKey: newKey(), Competency: comp.Code,
					Variant: p.Variant, ChecklistVersion: comp.ChecklistVersion, PerformedOn: day, Steps: steps, SiteID: rec.Enrollment.SiteID}, sim.Observations, now)
				if err != nil {
					ok = false
					break
				}
				o.ID = "planned-" + newKey()
				sim.Observations = append(sim.Observations, *o)
				ws = append(ws, mixedWrite{enrollment: rec.Enrollment.ID, competency: comp.Code, variant: p.Variant, day: day.String()})
			}
		}
		if !ok {
			continue
		}
		so, err := svc.CheckSignOff(ctx, &sim, signer, assessments.SignOffRequest{IdempotencyKey: newKey(), Competency: comp.Code,
			Kind: curriculum.InitialSignOff, ApprenticeName: apprentice, AuthMethod: method})
		var refused *assessments.Error
		if errors.As(err, &refused) {
			continue // not this competency, not by this preceptor, not today
		}
		if err != nil {
			return nil, err
		}
		so.ID = "planned-" + newKey()
		sim.SignOffs = append(slices.Clone(sim.SignOffs), *so)
		*rec = sim
		out = append(out, append(ws, mixedWrite{enrollment: rec.Enrollment.ID, competency: comp.Code, sign: true})...)
	}
	return out, nil
}

// newKey is a fresh idempotency key, as the forms carry.
func newKey() string { return "bench-" + strings.ReplaceAll(accounts.NewID(), "-", "") }

// mixedResult is what the run measured: every write, observations and
// sign-offs apart (each latency from when the write was due), and the
// password hash timed apart.
type mixedResult struct {
	// method is how the sign-offs were signed.
	method          string
	all, obs, signs loadgen.Result
	hashes          []time.Duration
	// serverCPU is the server process's CPU time during the run (0: its
	// process id was not given).
	serverCPU time.Duration
	// dbCPU is the CPU time of the database's PostgreSQL backends during
	// the run, when PostgreSQL runs on this machine (0 otherwise).
	dbCPU time.Duration
	// commits and rowsRead are the database's transactions committed (a
	// statement outside a transaction is one) and rows read
	// (pg_stat_database) during the run, background jobs included.
	commits, rowsRead int64
}

// exclHash is the 99th percentile of all writes with the hash's median
// taken off each sign-off, computed in the open (the server does not say
// how long its hash took); with passkeys there is no hash to take off.
func (m *mixedResult) exclHash(p float64) time.Duration {
	if m.method == accounts.MethodPasskey {
		return loadgen.Percentile(m.all.Latencies, p)
	}
	h := loadgen.Percentile(m.hashes, 50)
	lat := slices.Clone(m.obs.Latencies)
	for _, s := range m.signs.Latencies {
		lat = append(lat, max(s-h, 0))
	}
	return loadgen.Percentile(lat, p)
}

func (m *mixedResult) add(sign bool, took time.Duration, status int, err error) {
	for _, r := range []*loadgen.Result{&m.all, map[bool]*loadgen.Result{true: &m.signs, false: &m.obs}[sign]} {
		r.Latencies = append(r.Latencies, took)
		r.Statuses[status]++
		if err != nil {
			r.Errors++
			if r.FirstError == "" {
				r.FirstError = err.Error()
			}
		}
	}
}

// mixedWrites measures target 4: 50 preceptors, logged in through the
// login form at their own clinic's address, send observations and
// sign-offs through the forms a tablet posts, open loop at b.mixedRate
// (200) writes a second in total for b.duration; each client sends its
// writes one after another, as a person does, every 250 ms at 200/s, and
// a write that waits for the one before is charged the wait. method is
// how they sign: accounts.MethodPasskey (each registers a passkey before
// the run; a sign-off asks for the signing challenge, then posts the
// form with the passkey's answer, and its latency covers both) or
// MethodPassword (the password typed again, hashed by the server). The
// password hash of the re-authentication is timed apart in this process
// during the run, 20 times, with the parameters of the preceptors'
// stored hash.
func (b *bench) mixedWrites(ctx context.Context, d *db.DB, method string) error {
	total := int(b.mixedRate * b.duration.Seconds())
	per := (total + mixedClients - 1) / mixedClients
	fmt.Fprintf(os.Stderr, "mixed writes, signing with the %s: planning %d writes of %d preceptors…\n", method, total, mixedClients)
	cs, err := planMixed(ctx, d, mixedClients, per, time.Now(), method)
	if err != nil {
		return err
	}
	var hash string
	if err := d.NewRaw("SELECT password_hash FROM users WHERE email = ?", cs[0].email).Scan(ctx, &hash); err != nil {
		return fmt.Errorf("a preceptor's password hash: %w", err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: mixedClients, IdleConnTimeout: time.Minute, DisableCompression: true}
	defer tr.CloseIdleConnections()
	if err := b.tablets(ctx, cs, method, tr); err != nil {
		return err
	}
	m := &mixedResult{method: method}
	for _, r := range []*loadgen.Result{&m.all, &m.obs, &m.signs} {
		r.Statuses = map[int]int{}
	}
	fmt.Fprintf(os.Stderr, "mixed writes: %d clients at %.0f writes/s for %s…\n", mixedClients, b.mixedRate, b.duration)
	var mu sync.Mutex
	var wg sync.WaitGroup
	// The counters of the planning's reads and the logins reach
	// pg_stat_database once their connections are idle for 10 s
	// (PostgreSQL 15), so the run's are read from 11 s after them.
	st0 := dbStats(ctx, d)
	if st0 != nil {
		time.Sleep(11 * time.Second)
		st0 = dbStats(ctx, d)
	}
	cpu0, pg0 := cpuTime(b.pid), backendsCPU(ctx, d)
	start := time.Now()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range mixedHashes {
			time.Sleep(time.Until(start.Add(b.duration * time.Duration(2*i+1) / (2 * mixedHashes))))
			t0 := time.Now()
			if ok, err := password.Verify(scale.Password, hash); err != nil || !ok {
				fmt.Fprintf(os.Stderr, "re-authentication hash: %v %v\n", ok, err)
			}
			took := time.Since(t0)
			mu.Lock()
			m.hashes = append(m.hashes, took)
			mu.Unlock()
		}
	}()
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ; k++ {
				n := k*len(cs) + i // this client's k-th write, the n-th overall
				if n >= total {
					return
				}
				due := start.Add(time.Duration(float64(n) / b.mixedRate * float64(time.Second)))
				time.Sleep(time.Until(due))
				w := c.plan[k]
				status, err := c.send(ctx, b.base, b.passkeyOrigin, w)
				took := time.Since(due)
				mu.Lock()
				m.add(w.sign, took, status, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	m.all.Elapsed, m.obs.Elapsed, m.signs.Elapsed = elapsed, elapsed, elapsed
	if cpu1 := cpuTime(b.pid); b.pid > 0 && cpu0 >= 0 && cpu1 >= 0 {
		m.serverCPU = time.Duration(cpu1-cpu0) * 10 * time.Millisecond // ticks are 1/100 s
	}
	for pid, t := range backendsCPU(ctx, d) {
		m.dbCPU += time.Duration(t-pg0[pid]) * 10 * time.Millisecond
	}
	if st0 != nil {
		time.Sleep(11 * time.Second)
		if st1 := dbStats(ctx, d); st1 != nil {
			m.commits, m.rowsRead = st1.Commits-st0.Commits, st1.Rows-st0.Rows
		}
	}
	b.mixedRows(m)
	if m.all.Errors*2 > m.all.Count() {
		return fmt.Errorf("mixed writes: %d of %d writes failed (first: %s)", m.all.Errors, m.all.Count(), m.all.FirstError)
	}
	return nil
}

// tablets logs each client in at its clinic's address, opens its first
// form (for the person's CSRF token) and, when the run signs with
// passkeys, registers the tablet's passkey; the clients share tr.
func (b *bench) tablets(ctx context.Context, cs []*mixedClient, method string, tr http.RoundTripper) error {
	for _, c := range cs {
		var err error
		if c.client, err = loadgen.LoginClient(ctx, b.base, c.email, scale.Password, http.Header{"X-Forwarded-For": {c.addr}}); err != nil {
			return fmt.Errorf("%w (a preceptor's login; the server must trust the benchmark as its proxy: SKILLGATE_TRUSTED_PROXIES=127.0.0.1)", err)
		}
		c.client.Transport = tr
		// The login form's token was the anonymous visitor's.
		if c.csrf, err = c.openForm(ctx, b.base, c.plan[0]); err != nil {
			return err
		}
		if method == accounts.MethodPasskey {
			if err := c.registerPasskey(ctx, b.base, b.passkeyOrigin); err != nil {
				return err
			}
		}
	}
	return nil
}

// mixedRows adds target 4's rows to the table. The target is the
// passkey run's: with passkeys no password hash is on the path, which
// the target leaves out. The password run is reported beside it, with
// the hash's median taken off each sign-off; its hashes still take the
// cores the rest of the load needs, which no subtraction undoes.
func (b *bench) mixedRows(m *mixedResult) {
	hp50, hmax := loadgen.Percentile(m.hashes, 50), loadgen.Percentile(m.hashes, 100)
	p99 := m.exclHash(99)
	target := ""
	if b.mixedRate == 200 && m.method == accounts.MethodPasskey {
		target = "p99 < 100 ms (no hash on the path), ≥ 95% of the rate, no errors"
	}
	how, figure := "signing with a passkey (no password hash)", summary(&m.all)
	if m.method != accounts.MethodPasskey {
		how = fmt.Sprintf("signing with the password typed again; p99 excluding the hash = sign-offs less the hash's median (%.1f ms), for information: target 4 leaves the hash out", ms(hp50))
		figure += fmt.Sprintf("; p99 excluding the hash %.1f ms", ms(p99))
	}
	b.add(fmt.Sprintf("Mixed writes through the web forms: %d preceptors (own sessions, CSRF, own clinic address) recording observations and sign-offs, open loop at %.0f/s for %s; %d sign-offs, %s",
		mixedClients, b.mixedRate, b.duration, m.signs.Count(), how),
		figure+m.cpuPerWrite(), target, p99 < 100*time.Millisecond && m.all.Rate() >= 0.95*b.mixedRate && m.all.Errors == 0)
	b.add("Mixed writes ("+m.method+"): the observations", summary(&m.obs), "", true)
	if m.method == accounts.MethodPasskey {
		b.add("Mixed writes (passkey): the sign-offs (the signing challenge, then the form with the passkey's answer)", summary(&m.signs), "", true)
	} else {
		b.add("Mixed writes (password): the sign-offs (re-authentication's password hash included)", summary(&m.signs), "", true)
	}
	b.add(fmt.Sprintf("Sign-off re-authentication's argon2id hash alone, timed %d times in this process during the %s run", len(m.hashes), m.method),
		fmt.Sprintf("p50 %.1f ms, max %.1f ms", ms(hp50), ms(hmax)), "", true)
}

// cpuPerWrite says the server's CPU time per write, when it was measured.
func (m *mixedResult) cpuPerWrite() string {
	if m.serverCPU <= 0 || m.all.Count() == 0 {
		return ""
	}
	hashes := "its hashes included"
	if m.method == accounts.MethodPasskey {
		hashes = "no hashes"
	}
	out := fmt.Sprintf("; server CPU %.1f ms a write (%s)", ms(m.serverCPU)/float64(m.all.Count()), hashes)
	if m.dbCPU > 0 {
		out += fmt.Sprintf(", PostgreSQL's backends %.1f ms", ms(m.dbCPU)/float64(m.all.Count()))
	}
	if m.commits > 0 {
		n := float64(m.all.Count())
		out += fmt.Sprintf("; %.1f PostgreSQL transactions (a statement outside one counts as one) and %.0f rows read a write", float64(m.commits)/n, float64(m.rowsRead)/n)
	}
	return out
}

// pgStats are a database's counters in pg_stat_database.
type pgStats struct {
	Commits int64 `bun:"commits"`
	Rows    int64 `bun:"rows"`
}

// dbStats reads d's database's counters; nil when it cannot (SQLite).
func dbStats(ctx context.Context, d *db.DB) *pgStats {
	var st pgStats
	if err := d.NewRaw(`SELECT xact_commit AS commits, tup_returned + tup_fetched AS rows
		FROM pg_stat_database WHERE datname = current_database()`).Scan(ctx, &st); err != nil {
		return nil
	}
	return &st
}

// backendsCPU reads the CPU time (clock ticks) of the PostgreSQL backends
// connected to d's database, by process id, when they run on this machine.
func backendsCPU(ctx context.Context, d *db.DB) map[int]int64 {
	var pids []int
	if err := d.NewRaw("SELECT pid FROM pg_stat_activity WHERE datname = current_database()").Scan(ctx, &pids); err != nil {
		return nil // not PostgreSQL, or not allowed to look
	}
	out := map[int]int64{}
	for _, pid := range pids {
		if t := cpuTime(pid); t >= 0 {
			out[pid] = t
		}
	}
	return out
}

// openForm reads w's form page as the tablet does before sending it and
// returns the CSRF token its form carries.
func (c *mixedClient) openForm(ctx context.Context, base string, w mixedWrite) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+w.path(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("X-Forwarded-For", c.addr)
	resp, err := c.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("%s: %w", w.path(), err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	token, ok := loadgen.CSRFToken(body)
	if resp.StatusCode != http.StatusOK || !ok {
		return "", fmt.Errorf("%s as %s: HTTP %d, no form", w.path(), c.email, resp.StatusCode)
	}
	return token, nil
}

func (w mixedWrite) path() string {
	what := "observe"
	if w.sign {
		what = "signoff"
	}
	return "/enrollments/" + url.PathEscape(w.enrollment) + "/" + what + "/" + url.PathEscape(w.competency)
}

// form is what the tablet's form posts for w (a fresh key for each);
// a sign-off carries passkey, the passkey's answer, or else the
// password.
func (w mixedWrite) form(csrf, passkey string) url.Values {
	f := url.Values{"_csrf": {csrf}, "key": {newKey()}}
	switch {
	case !w.sign:
		f.Set("performed_on", w.day)
		f.Set("variant", w.variant)
		f.Set("all_met", "1")
		return f
	case passkey != "":
		f.Set("passkey", passkey)
	default:
		f.Set("password", scale.Password)
	}
	f.Set("kind", string(curriculum.InitialSignOff))
	return f
}

// send posts w and says whether the server recorded it: only the answer
// the form gives after recording (303 to the progress page saying so) is
// a success; anything else is an error with the server's message. With
// a passkey, a sign-off first asks for the signing challenge, as the
// form's script does when the button is pressed, and answers it.
func (c *mixedClient) send(ctx context.Context, base, origin string, w mixedWrite) (int, error) {
	var passkey string
	if w.sign && c.key != nil {
		options, err := c.postJSON(ctx, base+"/account/passkeys/reauth", "{}", http.StatusOK)
		if err != nil {
			return 0, fmt.Errorf("signing challenge: %w", err)
		}
		if passkey, err = c.key.Assert(options, rpIDOf(origin), origin); err != nil {
			return 0, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+w.path(), strings.NewReader(w.form(c.csrf, passkey).Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", c.addr)
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, writeOutcome(w.sign, resp.StatusCode, resp.Header.Get("Location"), body)
}

// registerPasskey gives the preceptor logged in a passkey, through the
// account page's two requests, for a server whose SKILLGATE_BASE_URL is
// origin.
func (c *mixedClient) registerPasskey(ctx context.Context, base, origin string) error {
	k, err := softkey.New()
	if err != nil {
		return err
	}
	options, err := c.postJSON(ctx, base+"/account/passkeys/options", "{}", http.StatusOK)
	if err != nil {
		return fmt.Errorf("passkey registration of %s: %w", c.email, err)
	}
	answer, err := k.Register(options, rpIDOf(origin), origin)
	if err != nil {
		return err
	}
	if _, err := c.postJSON(ctx, base+"/account/passkeys?name=bench+tablet", answer, http.StatusCreated); err != nil {
		return fmt.Errorf("passkey registration of %s (is -base-url the server's SKILLGATE_BASE_URL?): %w", c.email, err)
	}
	c.key = k
	return nil
}

// postJSON posts body as the account page's script does (the CSRF token
// in its header) and returns the answer, which must have status want.
func (c *mixedClient) postJSON(ctx context.Context, target, body string, want int) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Csrf-Token", c.csrf)
	req.Header.Set("X-Forwarded-For", c.addr)
	resp, err := c.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return "", fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, b)
	}
	return string(b), nil
}

// rpIDOf is the relying party id of a server at origin: its host name.
func rpIDOf(origin string) string {
	u, err := url.Parse(origin)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// summaryError is the first line of a form's error summary; pageError
// the first paragraph of an error page.
var (
	summaryError = regexp.MustCompile(`(?s)class="error-summary".*?<li>(?:<a [^>]*>)?([^<]+)`)
	pageError    = regexp.MustCompile(`(?s)<main.*?<p[^>]*>([^<]+)`)
)

// writeOutcome judges a form's answer: a sign-off redirects with
// msg=signed, an observation with done=saved; any other answer is an
// error naming the status and, from the page, why.
func writeOutcome(sign bool, status int, location string, body []byte) error {
	want := "done=saved"
	if sign {
		want = "msg=signed"
	}
	if status == http.StatusSeeOther && strings.Contains(location, want) {
		return nil
	}
	why := "to " + location
	for _, re := range []*regexp.Regexp{summaryError, pageError} {
		if m := re.FindSubmatch(body); m != nil {
			why = strings.TrimSpace(html.UnescapeString(string(m[1])))
			break
		}
	}
	return fmt.Errorf("HTTP %d: %s", status, why)
}
