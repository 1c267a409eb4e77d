package scale

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// qualified lists, per site and competency, the preceptors who may
// observe and who may sign off (falling back to any qualified preceptor of
// the organisation when the site has none).
type qualified struct {
	observers, signers [][][]int // [site][competency] -> preceptor indexes
}

func (g *generator) qualify(comps []curriculum.Competency) qualified {
	q := qualified{observers: make([][][]int, len(g.sites)), signers: make([][][]int, len(g.sites))}
	anyObs, anySig := make([][]int, len(comps)), make([][]int, len(comps))
	for k := range comps {
		for i, p := range g.preceptors {
			if comps[k].MayObserve(p.signer.ID, p.signer.Credential) {
				anyObs[k] = append(anyObs[k], i)
			}
			if comps[k].MaySignOff(p.signer.ID, p.signer.Credential) {
				anySig[k] = append(anySig[k], i)
			}
		}
	}
	for s := range g.sites {
		q.observers[s], q.signers[s] = make([][]int, len(comps)), make([][]int, len(comps))
		for k := range comps {
			for _, i := range g.bySite[s] {
				p := g.preceptors[i].signer
				if comps[k].MayObserve(p.ID, p.Credential) {
					q.observers[s][k] = append(q.observers[s][k], i)
				}
				if comps[k].MaySignOff(p.ID, p.Credential) {
					q.signers[s][k] = append(q.signers[s][k], i)
				}
			}
			if len(q.observers[s][k]) == 0 {
				q.observers[s][k] = anyObs[k]
			}
			if len(q.signers[s][k]) == 0 {
				q.signers[s][k] = anySig[k]
			}
		}
	}
	return q
}

// evidence generates every medical assistant's enrollment and records in
// a goroutine, batch by batch, while this one writes the previous batch.
func (g *generator) evidence(ctx context.Context) error {
	comps := g.pv.Program().Competencies
	q := g.qualify(comps)
	// Each clinic teaches its tasks in its own order, safety first.
	tasks := g.pv.Program().Tasks
	g.siteTasks = make([][]int, len(g.sites))
	for s := range g.siteTasks {
		var safety, rest []int
		for k := range tasks {
			if tasks[k].Category == "safety" {
				safety = append(safety, k)
			} else {
				rest = append(rest, k)
			}
		}
		g.rng.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
		g.siteTasks[s] = append(safety, rest...)
	}
	type batch struct {
		items   []evidence.BulkEnrollment
		skipped map[string]int
		took    time.Duration
		err     error
	}
	const perBatch = 200
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan batch, 2)
	go func() {
		defer close(ch)
		for start := 0; start < len(g.mas); start += perBatch {
			t0 := time.Now()
			b := batch{skipped: map[string]int{}}
			for i := start; i < min(start+perBatch, len(g.mas)); i++ {
				be, err := g.apprenticeship(&g.mas[i], comps, q, b.skipped)
				if err != nil {
					b.err = fmt.Errorf("%s: %w", MAEmail(g.mas[i].n), err)
					break
				}
				b.items = append(b.items, be)
			}
			b.took = time.Since(t0)
			select {
			case ch <- b:
			case <-ctx.Done():
				return
			}
			if b.err != nil {
				return
			}
		}
	}()
	t0 := time.Now()
	last := t0
	done := 0
	for b := range ch {
		if b.err != nil {
			return b.err
		}
		g.res.Generate += b.took
		for k, n := range b.skipped {
			g.res.Skipped[k] += n
		}
		if err := evidence.InsertRecords(ctx, g.l, b.items); err != nil {
			return err
		}
		done += len(b.items)
		if time.Since(last) > 5*time.Second || done == len(g.mas) {
			last = time.Now()
			secs := time.Since(t0).Seconds()
			obs := g.l.Rows("observations")
			fmt.Fprintf(g.o.Progress, "evidence     %d of %d MAs; observations %d (%.0f/s), sign-offs %d, tests %d, hours %d; %.0fs\n",
				done, len(g.mas), obs, float64(obs)/secs, g.l.Rows("sign_offs"), g.l.Rows("test_results"), g.l.Rows("hours_entries"), secs)
		}
	}
	return ctx.Err()
}

// attempt is one observed performance to record: its requirement's
// variant and whether every critical step was met.
type attempt struct {
	variant string
	ok      bool
}

// plan is one competency the MA works on.
type plan struct {
	k        int // index into the program's competencies
	attempts []attempt
	complete bool // all attempts made, to be signed off
}

// order returns the competencies in the order an MA learns them: the
// safety competencies, then task by task in the order of tasks (so that
// whole tasks become cleared one after the other, as clinics train), each
// competency after its prerequisites, then whatever no task needs.
func order(comps []curriculum.Competency, tasks []curriculum.Task) []int {
	idx := map[string]int{}
	for k := range comps {
		idx[comps[k].Code] = k
	}
	done := make([]bool, len(comps))
	var out []int
	var add func(k int, depth int)
	add = func(k int, depth int) {
		if done[k] || depth > len(comps) {
			return
		}
		for _, p := range comps[k].Prerequisites {
			if j, ok := idx[p]; ok {
				add(j, depth+1)
			}
		}
		if !done[k] {
			done[k] = true
			out = append(out, k)
		}
	}
	for k := range comps {
		if comps[k].Domain == "safety" {
			add(k, 0)
		}
	}
	for _, t := range tasks {
		for _, c := range t.Competencies {
			if k, ok := idx[c]; ok {
				add(k, 0)
			}
		}
	}
	for k := range comps {
		add(k, 0)
	}
	return out
}

// taskOrder is a site's order of teaching tasks: every clinic starts with
// its own priorities, and each MA deviates from it a little.
func taskOrder(r *rand.Rand, site []int, tasks []curriculum.Task) []curriculum.Task {
	out := make([]curriculum.Task, len(site))
	for i, k := range site {
		out[i] = tasks[k]
	}
	for range 3 {
		i := r.IntN(len(out))
		j := min(len(out)-1, i+1+r.IntN(3))
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func attemptsFor(r *rand.Rand, c *curriculum.Competency) []attempt {
	critical := slices.ContainsFunc(c.Checklist, func(s curriculum.ChecklistStep) bool { return s.Critical })
	var out []attempt
	for _, pr := range c.Performances {
		for ok := 0; ok < pr.Count; {
			a := attempt{variant: pr.Variant, ok: !critical || r.IntN(100) >= 6}
			if a.ok {
				ok++
			}
			out = append(out, a)
		}
	}
	return out
}

// steps returns checklist answers: all met, or the first critical step
// missed.
func steps(c *curriculum.Competency, ok bool) []assessments.StepResult {
	out := make([]assessments.StepResult, len(c.Checklist))
	missed := false
	for i, s := range c.Checklist {
		out[i] = assessments.StepResult{Index: i, Met: true}
		if !ok && s.Critical && !missed {
			out[i].Met, missed = false, true
		}
	}
	return out
}

// ma is one medical assistant's apprenticeship being generated.
type ma struct {
	g     *generator
	r     *rand.Rand
	plan  *maPlan
	recs  *assessments.Records
	comps []curriculum.Competency
	q     qualified
	skip  map[string]int
	keys  int

	signed    map[int]curriculum.Date // competency -> last sign-off day
	initialOn map[int]curriculum.Date // competency -> initial sign-off day
	lapsed    map[int]bool            // let lapse: not re-verified any more
	reserve   int                     // observations left for re-verifications and practice
}

func (a *ma) key(prefix string) string {
	a.keys++
	return fmt.Sprintf("scale-%s-%05d-%04d", prefix, a.plan.n, a.keys)
}

func (a *ma) pick(list []int) assessments.Actor {
	return a.g.preceptors[list[a.r.IntN(len(list))]].signer.Actor
}

func (a *ma) observe(k int, at attempt, day curriculum.Date) error {
	c := &a.comps[k]
	now := a.g.at(a.r, day)
	o, err := assessments.NewObservation(a.recs.Enrollment, a.pick(a.q.observers[a.plan.site][k]), assessments.ObservationRequest{
		IdempotencyKey: a.key("o"), Competency: c.Code, Variant: at.variant, ChecklistVersion: c.ChecklistVersion,
		PerformedOn: day, Steps: steps(c, at.ok)}, nil, now)
	if err != nil {
		return fmt.Errorf("observation of %s on %s: %w", c.Code, day, err)
	}
	o.ID = newID(a.r, now)
	a.recs.Observations = append(a.recs.Observations, *o)
	return nil
}

// test records a knowledge test; a few people fail once and retake it the
// next day.
func (a *ma) test(k int, day curriculum.Date) (curriculum.Date, error) {
	c := &a.comps[k]
	if c.KnowledgeTest == nil {
		return day, nil
	}
	scores := []float64{float64(c.KnowledgeTest.PassMark + a.r.IntN(101-c.KnowledgeTest.PassMark))}
	if a.r.IntN(100) < 8 {
		scores = []float64{float64(c.KnowledgeTest.PassMark - 1 - a.r.IntN(20)), scores[0]}
	}
	for i, s := range scores {
		d := day.AddDays(i)
		if d.After(a.g.o.AsOf) {
			d = a.g.o.AsOf
		}
		now := a.g.at(a.r, d)
		t, err := assessments.NewTestResult(a.recs.Enrollment, a.pick(a.g.bySite[a.plan.site]),
			assessments.TestResultRequest{IdempotencyKey: a.key("t"), Competency: c.Code, Score: s, TakenOn: d}, now)
		if err != nil {
			return day, fmt.Errorf("test of %s: %w", c.Code, err)
		}
		t.ID = newID(a.r, now)
		a.recs.Tests = append(a.recs.Tests, *t)
		day = d
	}
	return day, nil
}

// signOff signs k off on day if the rules allow it; a refusal (say, a
// prerequisite that lapsed) is counted and the competency stays unsigned.
func (a *ma) signOff(k int, kind curriculum.SignOffKind, day curriculum.Date) (bool, error) {
	c := &a.comps[k]
	var covered []string
	if c.Coverage != nil {
		for _, it := range c.Coverage.Items {
			covered = append(covered, it.Code)
		}
	}
	signers := a.q.signers[a.plan.site][k]
	if len(signers) == 0 { // one preceptor, not a physician
		a.skip["no_qualified_signer"]++
		return false, nil
	}
	signer := a.g.preceptors[signers[a.r.IntN(len(signers))]].signer
	// In the evening, after the day's observations.
	now := day.Time(a.g.loc).Add(18*time.Hour + time.Duration(a.r.IntN(300*60_000_000))*time.Microsecond).UTC()
	policy := assessments.SignOffPolicy{SignerMustHold: a.g.pv.Program().Settings.SignersMustHold}
	so, err := assessments.CheckSignOff(assessments.SignOffRequest{IdempotencyKey: a.key("s"), Competency: c.Code, Kind: kind,
		ApprenticeName: a.plan.name, Covered: covered}, signer, a.recs, policy, now)
	var ae *assessments.Error
	if errors.As(err, &ae) {
		a.skip[string(ae.Code)]++
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sign-off of %s: %w", c.Code, err)
	}
	so.ID = newID(a.r, now)
	a.recs.SignOffs = append(a.recs.SignOffs, *so)
	return true, nil
}

// apprenticeship generates one MA's enrollment and records: competencies
// worked through in order until the observation budget runs out (test,
// observations, sign-off, spread over the apprenticeship), re-verifications
// when due (most people keep up; some let one lapse), observed practice
// after sign-off with what budget is left, and monthly hours.
func (g *generator) apprenticeship(m *maPlan, comps []curriculum.Competency, q qualified, skip map[string]int) (evidence.BulkEnrollment, error) {
	r := rand.New(rand.NewPCG(m.seed, uint64(m.n)))
	asOf := g.o.AsOf
	created := g.at(r, m.hire.AddDays(-3))
	e := &assessments.Enrollment{ID: newID(r, created), ApprenticeID: m.id, VersionID: g.pv.ID, Version: g.pv, SiteID: g.sites[m.site].ID,
		HireDate: m.hire, StartDate: m.hire, Status: assessments.EnrollmentActive, IdempotencyKey: fmt.Sprintf("scale-enroll-%05d", m.n)}
	site := g.bySite[m.site]
	e.PreceptorIDs = []string{g.preceptors[site[r.IntN(len(site))]].signer.ID}
	if p := g.preceptors[site[r.IntN(len(site))]].signer.ID; p != e.PreceptorIDs[0] {
		e.PreceptorIDs = append(e.PreceptorIDs, p)
	}
	a := &ma{g: g, r: r, plan: m, comps: comps, q: q, skip: skip, recs: &assessments.Records{Enrollment: e},
		signed: map[int]curriculum.Date{}, initialOn: map[int]curriculum.Date{}, lapsed: map[int]bool{}}
	for i := range m.creds {
		a.recs.Credentials = append(a.recs.Credentials, m.creds[i].Curriculum(g.loc))
	}

	// What gets done: part of the budget is kept for re-verifications and
	// practice, more the longer the MA has worked (a twentieth for an
	// apprentice, up to almost half after six years).
	budget := m.budget
	years := float64(m.hire.DaysUntil(g.o.AsOf)) / 365
	a.reserve = int(float64(budget) * min(0.45, 0.05+0.07*years))
	budget -= a.reserve
	var plans []plan
	for _, k := range order(comps, taskOrder(r, g.siteTasks[m.site], g.pv.Program().Tasks)) {
		att := attemptsFor(r, &comps[k])
		if len(att) <= budget {
			plans = append(plans, plan{k: k, attempts: att, complete: true})
			budget -= len(att)
			continue
		}
		if budget > 0 {
			plans = append(plans, plan{k: k, attempts: att[:budget]})
			budget = 0
		}
		break
	}
	a.reserve += budget

	// When: the apprenticeship runs from hire to 12–18 months later (or
	// today, for apprentices), each competency in its own slice of it.
	start := m.hire.AddDays(7)
	end := asOf.AddDays(-r.IntN(10))
	if m.graduate {
		end = m.hire.AddDays(365 + r.IntN(180))
	}
	if end.After(asOf) {
		end = asOf
	}
	if !start.Before(end) {
		start = m.hire
		if end.Before(start) {
			end = start
		}
	}
	span := start.DaysUntil(end)
	for j, p := range plans {
		from := start.AddDays(span * j / len(plans))
		to := start.AddDays(span * (j + 1) / len(plans))
		// Re-verifications fall due during a long apprenticeship too, and
		// a later sign-off needs its prerequisites current.
		if err := a.reverify(from); err != nil {
			return evidence.BulkEnrollment{}, err
		}
		day, err := a.test(p.k, from)
		if err != nil {
			return evidence.BulkEnrollment{}, err
		}
		days := make([]curriculum.Date, len(p.attempts))
		for i := range days {
			days[i] = day.AddDays(r.IntN(max(1, day.DaysUntil(to)+1)))
		}
		slices.SortFunc(days, func(x, y curriculum.Date) int { return x.Compare(y) })
		for i, at := range p.attempts {
			if err := a.observe(p.k, at, days[i]); err != nil {
				return evidence.BulkEnrollment{}, err
			}
		}
		if !p.complete {
			continue
		}
		signDay := to
		if n := len(days); n > 0 && days[n-1].After(signDay) {
			signDay = days[n-1]
		}
		if day.After(signDay) {
			signDay = day
		}
		if ok, err := a.signOff(p.k, curriculum.InitialSignOff, signDay); err != nil {
			return evidence.BulkEnrollment{}, err
		} else if ok {
			a.signed[p.k], a.initialOn[p.k] = signDay, signDay
		}
	}
	if err := a.reverify(asOf); err != nil {
		return evidence.BulkEnrollment{}, err
	}

	// Observed practice with what is left, after each competency's last
	// sign-off (so no signature would have rested on it).
	var practice []int
	for k := range a.signed {
		if len(comps[k].Performances) > 0 {
			practice = append(practice, k)
		}
	}
	slices.Sort(practice)
	for ; a.reserve > 0; a.reserve-- {
		if len(practice) == 0 {
			// Nothing signed yet: more attempts at the competency in hand.
			k := 0
			if len(plans) > 0 {
				k = plans[len(plans)-1].k
			}
			c := &comps[k]
			if len(c.Performances) == 0 {
				break
			}
			if err := a.observe(k, attempt{variant: c.Performances[0].Variant, ok: r.IntN(100) >= 6}, end); err != nil {
				return evidence.BulkEnrollment{}, err
			}
			continue
		}
		k := practice[r.IntN(len(practice))]
		c := &comps[k]
		from := a.signed[k].AddDays(1)
		if from.After(asOf) {
			from = asOf
		}
		day := from.AddDays(r.IntN(from.DaysUntil(asOf) + 1))
		if err := a.observe(k, attempt{variant: c.Performances[r.IntN(len(c.Performances))].Variant, ok: true}, day); err != nil {
			return evidence.BulkEnrollment{}, err
		}
	}
	if err := a.hours(start, end); err != nil {
		return evidence.BulkEnrollment{}, err
	}
	// An apprentice part-way through a competency has logged some recent
	// work of their own that the preceptor has still to verify.
	if n := len(plans); n > 0 && !plans[n-1].complete && !m.graduate {
		from := asOf.AddDays(-14)
		if from.Before(start) {
			from = start
		}
		if err := a.selfLogs(plans[n-1].k, from); err != nil {
			return evidence.BulkEnrollment{}, err
		}
	}
	a.recs.Credentials = nil // written with the people
	return evidence.BulkEnrollment{Records: a.recs, CreatedAt: created, CreatedBy: g.directorID}, nil
}

// reverify re-verifies, in date order, every signed competency that falls
// due (within 20 days) by until: a few days before the due date, with a
// new observation (from the reserve) and test where the competency has
// them. About one time in eight it is done late, weeks or months after it
// fell due; if that is after today, it is overdue today.
func (a *ma) reverify(until curriculum.Date) error {
	r, comps := a.r, a.comps
	for {
		next, due := -1, curriculum.Date{}
		for k, last := range a.signed {
			if a.lapsed[k] || comps[k].Reverification.IsZero() {
				continue
			}
			d := comps[k].Reverification.NextDue(a.initialOn[k], last)
			if next < 0 || d.Before(due) || (d.Equal(due) && k < next) {
				next, due = k, d
			}
		}
		if next < 0 || due.After(until.AddDays(20)) {
			return nil
		}
		c := &comps[next]
		cost := 0
		if len(c.Performances) > 0 {
			cost = 1
		}
		if cost > a.reserve {
			a.lapsed[next] = true
			continue
		}
		day := due.AddDays(-1 - r.IntN(20))
		if r.IntN(100) < 12 {
			// Late: overdue for a while, re-verified weeks or months after.
			day = due.AddDays(10 + r.IntN(140))
			if day.After(until) {
				if day.After(a.g.o.AsOf) {
					a.lapsed[next] = true // still overdue today
				}
				return nil
			}
		}
		if !day.After(a.signed[next]) {
			day = a.signed[next].AddDays(1)
		}
		if day.After(a.g.o.AsOf) {
			day = a.g.o.AsOf
		}
		if _, err := a.test(next, day); err != nil {
			return err
		}
		if cost > 0 {
			if err := a.observe(next, attempt{variant: c.Performances[r.IntN(len(c.Performances))].Variant, ok: true}, day); err != nil {
				return err
			}
			a.reserve--
		}
		if ok, err := a.signOff(next, curriculum.ReverificationSignOff, day); err != nil {
			return err
		} else if ok {
			a.signed[next] = day
		} else {
			a.lapsed[next] = true
		}
	}
}

// selfLogs records up to three pending self-logs of competency k since
// from, each naming a preceptor of the site who may observe it.
func (a *ma) selfLogs(k int, from curriculum.Date) error {
	c := &a.comps[k]
	if len(c.Performances) == 0 {
		return nil
	}
	me := assessments.Actor{ID: a.plan.id, Name: a.plan.name}
	for range a.r.IntN(4) {
		day := from.AddDays(a.r.IntN(from.DaysUntil(a.g.o.AsOf) + 1))
		l, err := assessments.NewSelfLog(a.recs.Enrollment, me, assessments.SelfLogRequest{IdempotencyKey: a.key("l"), Competency: c.Code,
			Variant: c.Performances[a.r.IntN(len(c.Performances))].Variant, PerformedOn: day,
			SupervisorID: a.pick(a.q.observers[a.plan.site][k]).ID}, a.g.at(a.r, day))
		if err != nil {
			return fmt.Errorf("self-log of %s: %w", c.Code, err)
		}
		l.ID = newID(a.r, l.LoggedAt)
		a.recs.SelfLogs = append(a.recs.SelfLogs, *l)
	}
	return nil
}

// hours logs a day of on-the-job learning about every month and a
// classroom session about every quarter, approved by a preceptor a few
// days later; the last two weeks' entries still wait for review.
func (a *ma) hours(start, end curriculum.Date) error {
	p := a.g.pv.Program()
	me := assessments.Actor{ID: a.plan.id, Name: a.plan.name}
	asOf := a.g.o.AsOf
	for i, day := 0, start.AddDays(a.r.IntN(20)); !day.After(end); i, day = i+1, day.AddDays(26+a.r.IntN(10)) {
		req := assessments.HoursRequest{IdempotencyKey: a.key("h"), Kind: assessments.OJL, WorkedOn: day, Minutes: 480,
			Code: p.WorkProcesses[a.r.IntN(len(p.WorkProcesses))].Code}
		if i%3 == 2 && len(p.RTICourses) > 0 {
			req.Kind, req.Code, req.Minutes = assessments.RTI, p.RTICourses[a.r.IntN(len(p.RTICourses))].Code, 180
		}
		sup := a.pick(a.g.bySite[a.plan.site])
		req.SupervisorID = sup.ID
		h, err := assessments.NewHoursEntry(a.recs.Enrollment, me, req, nil, a.g.at(a.r, day))
		if err != nil {
			return fmt.Errorf("hours on %s: %w", day, err)
		}
		h.ID = newID(a.r, h.LoggedAt)
		if review := day.AddDays(1 + a.r.IntN(4)); asOf.DaysUntil(day) < -14 && !review.After(asOf) {
			if err := h.Approve(a.recs.Enrollment, sup, a.g.at(a.r, review)); err != nil {
				return fmt.Errorf("approve hours: %w", err)
			}
		}
		a.recs.Hours = append(a.recs.Hours, *h)
	}
	return nil
}
