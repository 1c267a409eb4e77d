package curriculum

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Rules is a program version compiled for evaluation: competencies, tasks
// and credential requirements indexed once so that evaluating a person does
// no lookups by name beyond one map probe per evidence record. Rules is
// immutable and safe for concurrent use.
type Rules struct {
	version  *Version
	settings Settings

	comps     []compiledComp
	compIndex map[string]int32
	// variantSlots is the total number of performance counters per person.
	variantSlots int

	credTypes map[string]int32
	types     []credType
	creds     []compiledCred // distinct credential requirements
	tasks     []compiledTask
	taskIndex map[string]int32
	// hoursFor maps a work process or RTI course to the competencies whose
	// training hours it counts toward (empty: no competency needs hours).
	hoursFor map[hoursSource][]int32

	pool sync.Pool // *scratch
}

type compiledComp struct {
	def         *Competency
	about       subject
	variantBase int
	prereqs     []int32 // transitive closure, excluding itself
	// anyPrereqs is the closure through independent-only prerequisites
	// too; nil when the same as prereqs.
	anyPrereqs []int32
	// hoursNeed is the training required, in minutes (0: none).
	hoursNeed int32
}

// hoursSource is a work process or RTI course hours are logged against.
type hoursSource struct {
	kind HoursKind
	code string
}

type credType struct {
	def   *CredentialType
	about subject
}

type compiledCred struct {
	req  CredentialRequirement
	typ  int32
	name string
}

type compiledTask struct {
	def     *Task
	own     []int32
	prereqs []int32 // transitive prerequisites of own competencies
	// indepPrereqs are the further competencies independent practice
	// needs, through IndependentPrerequisites (transitively).
	indepPrereqs []int32
	creds        []int32
	rule         DirectSupervisionRule
	// Successful performances of each task competency for direct,
	// indirect and independent practice (0: no such count).
	directAfter, indirectAfter, independentAfter int
}

// Compile validates v and indexes it for evaluation. It keeps its own copy
// of v, so later edits to a draft do not change compiled rules.
func Compile(v *Version) (*Rules, error) {
	if err := v.Validate(); err != nil {
		return nil, fmt.Errorf("compile program %s version %d: %w", v.Program.Code, v.Number, err)
	}
	v = v.Clone()
	p := &v.Program
	r := &Rules{
		version:   v,
		settings:  p.Settings,
		compIndex: make(map[string]int32, len(p.Competencies)),
		credTypes: make(map[string]int32, len(p.CredentialTypes)),
		taskIndex: make(map[string]int32, len(p.Tasks)),
	}
	for i := range p.CredentialTypes {
		ct := &p.CredentialTypes[i]
		r.credTypes[ct.Code] = int32(i)
		r.types = append(r.types, credType{def: ct, about: subject{code: ct.Code, credential: true, title: ct.Code}})
	}
	r.comps = make([]compiledComp, len(p.Competencies))
	for i := range p.Competencies {
		c := &p.Competencies[i]
		r.compIndex[c.Code] = int32(i)
		cc := &r.comps[i]
		cc.def = c
		cc.variantBase = r.variantSlots
		r.variantSlots += len(c.Performances)
		cc.about = subject{code: c.Code, title: c.Title, signers: describeSigners(c.SignedOffBy)}
		for _, pr := range c.Performances {
			cc.about.variants = append(cc.about.variants, pr.Variant)
		}
		if c.Coverage != nil {
			for _, it := range c.Coverage.Items {
				cc.about.coverage = append(cc.about.coverage, it.Title)
			}
		}
		if th := c.TrainingHours; th != nil {
			r.compileTrainingHours(p, int32(i), th)
		}
		if len(c.Reverification.FirstMonths) > 0 {
			cc.about.schedule = firstCycle(c.Reverification)
		}
	}
	for i := range r.comps {
		r.comps[i].prereqs = r.closure(int32(i), false)
		if any := r.closure(int32(i), true); len(any) != len(r.comps[i].prereqs) {
			r.comps[i].anyPrereqs = any
		}
	}
	for i := range p.Tasks {
		t := &p.Tasks[i]
		r.taskIndex[t.Code] = int32(i)
		ct := compiledTask{def: t, rule: t.DirectSupervision,
			directAfter: t.DirectAfter, indirectAfter: t.IndirectAfter, independentAfter: t.IndependentAfter}
		if ct.rule == "" {
			ct.rule = DirectWhenTrainingStarted
		}
		for _, code := range t.Competencies {
			ct.own = append(ct.own, r.compIndex[code])
		}
		for _, ci := range ct.own {
			for _, pi := range r.comps[ci].prereqs {
				if !containsIdx(ct.prereqs, pi) {
					ct.prereqs = append(ct.prereqs, pi)
				}
			}
		}
		for _, ci := range ct.own {
			for _, pi := range r.comps[ci].anyPrereqs {
				if !containsIdx(ct.prereqs, pi) && !containsIdx(ct.own, pi) && !containsIdx(ct.indepPrereqs, pi) {
					ct.indepPrereqs = append(ct.indepPrereqs, pi)
				}
			}
		}
		for _, req := range t.Credentials {
			ct.creds = append(ct.creds, r.credRequirement(req))
		}
		r.tasks = append(r.tasks, ct)
	}
	return r, nil
}

// compileTrainingHours indexes competency i's training-hours rule by the
// courses and work processes it counts, and names them for its reasons.
func (r *Rules) compileTrainingHours(p *Program, i int32, th *TrainingHours) {
	cc := &r.comps[i]
	cc.hoursNeed = int32(th.Hours) * 60
	if r.hoursFor == nil {
		r.hoursFor = map[hoursSource][]int32{}
	}
	var names []string
	add := func(kind HoursKind, code, title string) {
		k := hoursSource{kind, code}
		if !containsIdx(r.hoursFor[k], i) {
			r.hoursFor[k] = append(r.hoursFor[k], i)
		}
		names = append(names, title)
	}
	for _, code := range th.RTICourses {
		add(RTIHours, code, titleIn(code, p.RTICourses, rtiKey))
	}
	for _, code := range th.WorkProcesses {
		add(OJLHours, code, titleIn(code, p.WorkProcesses, wpKey))
	}
	cc.about.training = strings.Join(names, "; ")
}

// HoursCodes lists, sorted, the codes of the RTI courses and work
// processes whose approved hours some competency's training-hours rule
// counts, so that storage reads only those (none: decisions need no
// hours).
func (r *Rules) HoursCodes() []string {
	var codes []string
	for k := range r.hoursFor {
		if !slices.Contains(codes, k.code) {
			codes = append(codes, k.code)
		}
	}
	slices.Sort(codes)
	return codes
}

// closure returns the transitive prerequisites of competency i in
// depth-first order (validation has ruled out cycles), through
// independent-only prerequisites too when withIndependent.
func (r *Rules) closure(i int32, withIndependent bool) []int32 {
	var out []int32
	var walk func(int32)
	visit := func(code string) {
		k := r.compIndex[code]
		if k != i && !containsIdx(out, k) {
			out = append(out, k)
			walk(k)
		}
	}
	walk = func(j int32) {
		for _, code := range r.comps[j].def.Prerequisites {
			visit(code)
		}
		if withIndependent {
			for _, code := range r.comps[j].def.IndependentPrerequisites {
				visit(code)
			}
		}
	}
	walk(i)
	return out
}

func (r *Rules) credRequirement(req CredentialRequirement) int32 {
	for i, c := range r.creds {
		if c.req == req {
			return int32(i)
		}
	}
	r.creds = append(r.creds, compiledCred{req: req, typ: r.credTypes[req.Credential], name: req.Credential})
	return int32(len(r.creds) - 1)
}

func containsIdx(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// describeSigners renders an Authorization for people: "an MD, DO, NP,
// PA, RN or LPN", "an RN or a named preceptor", "a named preceptor".
func describeSigners(a Authorization) string {
	creds := make([]string, len(a.Credentials))
	for i, c := range a.Credentials {
		creds[i] = string(c)
	}
	var s string
	switch len(creds) {
	case 0:
	case 1:
		s = article(creds[0]) + creds[0]
	default:
		s = article(creds[0]) + strings.Join(creds[:len(creds)-1], ", ") + " or " + creds[len(creds)-1]
	}
	if len(a.Preceptors) > 0 {
		if s == "" {
			return "a named preceptor"
		}
		s += " or a named preceptor"
	}
	return s
}

func article(word string) string {
	// Credentials are read letter by letter: "an MD", "an RN", "a PA".
	switch word[0] {
	case 'A', 'E', 'F', 'H', 'I', 'L', 'M', 'N', 'O', 'R', 'S', 'X':
		return "an "
	}
	return "a "
}

// Version returns the compiled version (treat it as read-only).
func (r *Rules) Version() *Version { return r.version }

// Tasks returns the task codes in program order, the order of Evaluate's
// decisions.
func (r *Rules) Tasks() []string {
	out := make([]string, len(r.tasks))
	for i, t := range r.tasks {
		out[i] = t.def.Code
	}
	return out
}

// CredentialStatusKind is the state of a required credential on a day.
type CredentialStatusKind uint8

// Credential states.
const (
	CredentialMissing CredentialStatusKind = iota
	// CredentialMissingInGrace: none on file, but within the grace period
	// after hire (GraceUntil).
	CredentialMissingInGrace
	// CredentialUnverified: a record that would be valid exists, but HR has
	// not verified it and the program does not count unverified records.
	CredentialUnverified
	CredentialExpired
	// CredentialExpiring: valid, expiring within 90 days (see Within).
	CredentialExpiring
	CredentialValid
)

var credStatusNames = [...]string{"missing", "missing_in_grace", "unverified", "expired", "expiring", "valid"}

func (k CredentialStatusKind) String() string {
	if int(k) < len(credStatusNames) {
		return credStatusNames[k]
	}
	return "CredentialStatusKind(?)"
}

// MarshalText encodes the machine name.
func (k CredentialStatusKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// CredentialState is a required credential's status on a day, for
// clearance and for HR's expiry pages.
type CredentialState struct {
	Credential string
	Status     CredentialStatusKind
	// Expires is the last valid day of Record (zero: does not expire).
	Expires Date
	// DaysLeft counts days from the as-of day to Expires (0 on the expiry
	// day itself) when the record is valid.
	DaysLeft int
	// Within is the reminder bucket of an expiring credential: 30, 60 or 90
	// (days left ≤ 30, ≤ 60, ≤ 90); 0 otherwise.
	Within int
	// GraceUntil is the last day of the grace period after hire, if the
	// requirement has one and the hire date is known.
	GraceUntil Date
	// Record is the record the status is based on: the newest valid one,
	// else the latest-expiring expired or unverified one; nil if none.
	Record *CredentialRecord
}

// Satisfied reports whether the requirement is met for clearance: valid
// (including expiring) or missing within grace.
func (s CredentialState) Satisfied() bool {
	return s.Status == CredentialValid || s.Status == CredentialExpiring || s.Status == CredentialMissingInGrace
}

// lapsesOn returns the first day the requirement will no longer be
// satisfied if nothing new is recorded: the day after the later of expiry
// and grace end. Zero if it is not satisfied or never lapses.
func (s CredentialState) lapsesOn() Date {
	switch s.Status {
	case CredentialValid, CredentialExpiring:
		if s.Expires.IsZero() {
			return Date{}
		}
		end := s.Expires
		if s.GraceUntil.After(end) {
			end = s.GraceUntil
		}
		return end.AddDays(1)
	case CredentialMissingInGrace:
		return s.GraceUntil.AddDays(1)
	}
	return Date{}
}

// CredentialStatus returns the status of a credential requirement on asOf
// from a person's credential records (records of other types are ignored):
//
//   - Only records recorded and issued on or before asOf count; records
//     not verified on or before asOf only if the program's settings say
//     so.
//   - A record is valid through its last valid day (its expiry date, or the
//     end of that month for valid-through-month types) and expired from the
//     day after.
//   - A renewal is a new record; the newest valid record (latest issue
//     date) wins.
//   - With no valid record, a requirement with a grace period is
//     "missing, in grace" through hire date + WithinDaysOfHire days.
//   - Valid records expiring within 90 days are "expiring", with a 30/60/90
//     bucket.
//
// The returned Record points into records.
func (r *Rules) CredentialStatus(req CredentialRequirement, records []CredentialRecord, hireDate, asOf Date) CredentialState {
	ti, ok := r.credTypes[req.Credential]
	if !ok {
		return CredentialState{Credential: req.Credential}
	}
	return r.credentialState(req, r.types[ti].def, records, hireDate, asOf, Date{})
}

// credentialState is CredentialStatus with the records entered by the end
// of cut (zero: all of them).
func (r *Rules) credentialState(req CredentialRequirement, ct *CredentialType, records []CredentialRecord, hire, asOf, cut Date) CredentialState {
	st := CredentialState{Credential: req.Credential}
	var best, expired, unverified *CredentialRecord
	var bestExp, expiredExp Date
	for i := range records {
		rec := &records[i]
		if rec.Type != req.Credential || !known(rec.IssuedOn, asOf) || !entered(rec.RecordedOn, rec.IssuedOn, cut) {
			continue
		}
		exp := ct.expiry(rec)
		valid := exp.IsZero() || !asOf.After(exp)
		switch {
		case !rec.verifiedOn(asOf) && !r.settings.CountUnverifiedCredentials:
			if valid && (unverified == nil || newer(rec, unverified)) {
				unverified = rec
			}
		case valid:
			if best == nil || newer(rec, best) {
				best, bestExp = rec, exp
			}
		default:
			if expired == nil || exp.After(expiredExp) {
				expired, expiredExp = rec, exp
			}
		}
	}
	st.GraceUntil = req.graceEnd(hire)
	switch {
	case best != nil:
		st.Record, st.Expires, st.Status = best, bestExp, CredentialValid
		if !bestExp.IsZero() {
			st.DaysLeft = asOf.DaysUntil(bestExp)
			switch {
			case st.DaysLeft <= 30:
				st.Within = 30
			case st.DaysLeft <= 60:
				st.Within = 60
			case st.DaysLeft <= 90:
				st.Within = 90
			}
			if st.Within > 0 {
				st.Status = CredentialExpiring
			}
		}
	case !st.GraceUntil.IsZero() && !asOf.After(st.GraceUntil):
		st.Status = CredentialMissingInGrace
		st.Record = unverified
		if st.Record == nil {
			st.Record = expired
		}
	case unverified != nil:
		st.Status, st.Record, st.Expires = CredentialUnverified, unverified, ct.expiry(unverified)
	case expired != nil:
		st.Status, st.Record, st.Expires = CredentialExpired, expired, expiredExp
	}
	return st
}

// newer reports whether a is a newer record than b: later issue date, then
// later recording date. Ties keep the earlier-listed record.
func newer(a, b *CredentialRecord) bool {
	if c := a.IssuedOn.Compare(b.IssuedOn); c != 0 {
		return c > 0
	}
	return a.RecordedOn.After(b.RecordedOn)
}

// compState is one competency's standing for one person on one day.
type compState struct {
	current bool
	// started: training has started (a performance on file, or nothing to
	// perform and the knowledge test taken or not required).
	started bool
	// knowledge: the knowledge test is passed or not required.
	knowledge bool
	lapses    Date
	// reasons are a range of scratch.reasons.
	from, to int32
}

// compAgg accumulates a person's evidence for one competency.
type compAgg struct {
	anyPerf     bool
	lastSuccess Date
	tested      bool
	bestScore   float64
	base        int32 // latest counting initial sign-off, -1 if none
	reverif     int32 // latest counting re-verification after base, -1
	revoked     int32 // latest revoked sign-off, -1
	uncovered   int32 // latest sign-off rejected for coverage, -1
	hours       int32 // approved training minutes on file
	successes   int32 // successful performances on file, any variant
}

// scratch holds per-evaluation buffers, pooled so that evaluating an
// organisation allocates only the decisions it returns.
type scratch struct {
	counts     []int32
	aggs       []compAgg
	states     []compState
	creds      []CredentialState
	reasons    []Reason
	superseded []string
	taskFrom   []int32
	// late: collect counted a record entered after the day asked about.
	late bool
	// cut: count only the records entered by the end of this day (zero:
	// all), for markLate.
	cut Date
}

func (r *Rules) getScratch() *scratch {
	if s, ok := r.pool.Get().(*scratch); ok {
		return s
	}
	return &scratch{
		counts:   make([]int32, r.variantSlots),
		aggs:     make([]compAgg, len(r.comps)),
		states:   make([]compState, len(r.comps)),
		creds:    make([]CredentialState, len(r.creds)),
		taskFrom: make([]int32, len(r.tasks)+1),
	}
}

// Evaluate decides, for every task of the program in program order, whether
// the person whose evidence is e was cleared on asOf. It is a pure function
// of its arguments: the same evidence and day always give the same answer.
//
// As-of: every record given that describes an event on or before asOf
// counts, whenever it was entered (a late entry or a transcription of
// paper evidence counts from the day it happened; to answer with what was
// known at an earlier instant, give only the records entered by then); a
// revocation counts from its effective day; a performance stops counting
// once a correction that supersedes it is given. When records entered
// after asOf changed a task's status, its decision carries the Info
// reason ReasonLateEntry, dated the day the answer became what it is.
//
// A competency is current when all of these hold: its required successful
// performances are on file (per variant); its knowledge test, if any, was
// passed (score ≥ pass mark); it has an initial sign-off that is not revoked
// and covers what its coverage rule requires; its re-verification is not
// overdue (due date computed from that initial sign-off and the latest
// counting re-verification after it; the due day itself is still in time);
// and, with a recency rule, the last successful performance is no more than
// the given months ago (performed on D, current through D + N months).
//
// Status per task:
//   - Cleared: every required credential satisfied (valid, or missing within
//     grace), and every task competency and every transitive prerequisite
//     current.
//   - DirectSupervision: the task's rule is not "never", credentials are
//     satisfied and all transitive prerequisites current, and training on
//     each not-yet-current task competency has got as far as the rule asks
//     (see DirectSupervisionRule).
//   - NotCleared otherwise.
//
// LapsesOn is the first day the status would drop if nothing new were
// recorded, the earliest of: for each required credential, the day after
// the later of its expiry and grace end; and for each competency the
// status depends on (task competencies and prerequisites when Cleared,
// prerequisites only under DirectSupervision, since a task competency that
// lapses leaves the person under direct supervision), the day after its
// re-verification due date, the day after its recency deadline, and the
// effective day of a revocation already on file against a sign-off it
// relies on. It is zero for NotCleared and when nothing expires.
//
// On hold: on a day within one of e.Holds nothing is cleared; every task
// is NotCleared with the single reason ReasonOnHold (dated the first day
// of the hold), whatever the evidence.
func (r *Rules) Evaluate(e *Evidence, asOf Date) []Decision {
	out, late := r.evaluate(e, asOf, Date{})
	for i := 0; !late && i < len(e.Credentials); i++ {
		late = lateEntry(e.Credentials[i].RecordedOn, e.Credentials[i].IssuedOn, asOf)
	}
	if late {
		r.markLate(e, asOf, out)
	}
	return out
}

// markLate adds ReasonLateEntry to each decision whose status records
// entered after asOf changed: it decides again with the records entered by
// the end of asOf and, only if a status differs, with those entered by each
// later day records were entered on, and dates the reason the first day
// from which the status was the final one. Late entries are rare, and the
// decisions again read the same evidence with a cut-off day rather than a
// copy of it.
func (r *Rules) markLate(e *Evidence, asOf Date, out []Decision) {
	then, _ := r.evaluate(e, asOf, asOf)
	changed := false
	for i := range out {
		changed = changed || then[i].Status != out[i].Status
	}
	if !changed {
		return
	}
	days := e.lateDays(asOf)
	// known[k] are the decisions with the records entered by days[k-1]
	// (known[0]: by the end of asOf); the final ones are out's.
	known := make([][]Decision, len(days))
	known[0] = then
	for k := 1; k < len(days); k++ {
		known[k], _ = r.evaluate(e, asOf, days[k-1])
	}
	for i := range out {
		from := len(days) // index into days of the entry that settled the answer
		for k := len(days) - 1; k >= 0 && known[k][i].Status == out[i].Status; k-- {
			from = k
		}
		if from == 0 {
			continue // the same answer with what was known on asOf
		}
		from--
		prev := known[from][i].Status
		reasons := make([]Reason, len(out[i].Reasons), len(out[i].Reasons)+1)
		copy(reasons, out[i].Reasons)
		out[i].Reasons = append(reasons, Reason{Code: ReasonLateEntry, Effect: Info, Date: days[from], Have: int(prev), Need: int(out[i].Status)})
	}
}

// evaluate is Evaluate without late-entry reasons, counting only the
// records entered by the end of cut (zero: all); late reports whether it
// counted a record entered after asOf.
func (r *Rules) evaluate(e *Evidence, asOf, cut Date) (out []Decision, late bool) {
	if h := e.holdOn(asOf); h != nil {
		return r.onHold(h.From, asOf), false
	}
	s := r.getScratch()
	defer r.pool.Put(s)
	s.late, s.cut = false, cut
	r.collect(e, asOf, s)
	for i := range r.comps {
		r.judgeComp(int32(i), e, asOf, s)
	}
	for i := range r.creds {
		c := &r.creds[i]
		s.creds[i] = r.credentialState(c.req, r.types[c.typ].def, e.Credentials, e.HireDate, asOf, cut)
	}

	// Task reasons are gathered in s.reasons after the competency reasons,
	// then copied into one exactly-sized backing array shared by the
	// returned decisions.
	compEnd := int32(len(s.reasons))
	out = make([]Decision, len(r.tasks))
	for i := range r.tasks {
		s.taskFrom[i] = int32(len(s.reasons))
		out[i] = r.decide(&r.tasks[i], asOf, s)
	}
	s.taskFrom[len(r.tasks)] = int32(len(s.reasons))
	if n := int32(len(s.reasons)) - compEnd; n > 0 {
		all := make([]Reason, n)
		copy(all, s.reasons[compEnd:])
		for i := range out {
			from, to := s.taskFrom[i]-compEnd, s.taskFrom[i+1]-compEnd
			if to > from {
				out[i].Reasons = all[from:to:to]
			}
		}
	}
	s.reasons = s.reasons[:0]
	s.superseded = s.superseded[:0]
	return out, s.late
}

// onHold is every task's decision on a day the enrollment is on hold
// since from: not cleared, for that reason only.
func (r *Rules) onHold(from, asOf Date) []Decision {
	out := make([]Decision, len(r.tasks))
	reasons := make([]Reason, len(r.tasks))
	for i := range r.tasks {
		t := &r.tasks[i]
		reasons[i] = Reason{Code: ReasonOnHold, Effect: BlocksSupervised, Date: from}
		out[i] = Decision{Task: t.def.Code, AsOf: asOf, Status: NotCleared, Supervised: t.rule != DirectNever,
			Indirect: t.indirectAfter > 0, Reasons: reasons[i : i+1 : i+1]}
	}
	return out
}

// EvaluateTask is Evaluate for a single task.
func (r *Rules) EvaluateTask(e *Evidence, task string, asOf Date) (Decision, error) {
	i, ok := r.taskIndex[task]
	if !ok {
		return Decision{}, fmt.Errorf("evaluate: task %q is not in program %s version %d", task, r.version.Program.Code, r.version.Number)
	}
	return r.Evaluate(e, asOf)[i], nil
}

// collect aggregates the evidence on file as of asOf per competency.
func (r *Rules) collect(e *Evidence, asOf Date, s *scratch) {
	clear(s.counts)
	for i := range s.aggs {
		s.aggs[i] = compAgg{base: -1, reverif: -1, revoked: -1, uncovered: -1}
	}

	// Corrections are rare, so a short slice beats a map here.
	for i := range e.Performances {
		p := &e.Performances[i]
		if p.Supersedes != "" && known(p.PerformedOn, asOf) && entered(p.RecordedOn, p.PerformedOn, s.cut) {
			s.superseded = append(s.superseded, p.Supersedes)
		}
	}
	for i := range e.Performances {
		p := &e.Performances[i]
		if !known(p.PerformedOn, asOf) || !entered(p.RecordedOn, p.PerformedOn, s.cut) {
			continue
		}
		if p.RecordedOn.After(asOf) {
			s.late = true
		}
		ci, ok := r.compIndex[p.Competency]
		if !ok || (p.ID != "" && len(s.superseded) > 0 && containsString(s.superseded, p.ID)) {
			continue
		}
		a := &s.aggs[ci]
		a.anyPerf = true
		if !p.Successful {
			continue
		}
		a.successes++
		if p.PerformedOn.After(a.lastSuccess) {
			a.lastSuccess = p.PerformedOn
		}
		c := &r.comps[ci]
		for k := range c.def.Performances {
			if v := c.def.Performances[k].Variant; v == "" || v == p.Variant {
				s.counts[c.variantBase+k]++
				break
			}
		}
	}

	if len(r.hoursFor) > 0 {
		for i := range e.Hours {
			h := &e.Hours[i]
			if !known(h.WorkedOn, asOf) || !entered(h.RecordedOn, h.WorkedOn, s.cut) {
				continue
			}
			if h.RecordedOn.After(asOf) {
				s.late = true
			}
			for _, ci := range r.hoursFor[hoursSource{h.Kind, h.Code}] {
				s.aggs[ci].hours += int32(h.Minutes)
			}
		}
	}

	for i := range e.KnowledgeTests {
		k := &e.KnowledgeTests[i]
		if !known(k.TakenOn, asOf) || !entered(k.RecordedOn, k.TakenOn, s.cut) {
			continue
		}
		if k.RecordedOn.After(asOf) {
			s.late = true
		}
		if ci, ok := r.compIndex[k.Competency]; ok {
			a := &s.aggs[ci]
			if !a.tested || k.Score > a.bestScore {
				a.bestScore = k.Score
			}
			a.tested = true
		}
	}

	// Pass 1: the base of each competency's chain is its latest counting
	// initial sign-off. Pass 2: the latest counting re-verification after
	// that base. Only the last link matters for the due date.
	for pass := 0; pass < 2; pass++ {
		for i := range e.SignOffs {
			so := &e.SignOffs[i]
			if !known(so.SignedOn, asOf) || !entered(so.RecordedOn, so.SignedOn, s.cut) {
				continue
			}
			if so.RecordedOn.After(asOf) || so.RevocationRecordedOn.After(asOf) && !so.RevokedFrom.After(asOf) {
				s.late = true
			}
			ci, ok := r.compIndex[so.Competency]
			if !ok || so.Paper && !r.comps[ci].def.AllowsPaperSignOffs() {
				continue
			}
			a := &s.aggs[ci]
			if pass == 0 {
				if revoked, _ := so.revocation(asOf, s.cut); revoked {
					a.revoked = laterSignOff(e, a.revoked, int32(i))
					continue
				}
				if !covers(r.comps[ci].def.Coverage, so.Covered) {
					a.uncovered = laterSignOff(e, a.uncovered, int32(i))
					continue
				}
				if so.Kind == InitialSignOff {
					a.base = laterSignOff(e, a.base, int32(i))
				}
				continue
			}
			if so.Kind != ReverificationSignOff || a.base < 0 || !so.SignedOn.After(e.SignOffs[a.base].SignedOn) {
				continue
			}
			if revoked, _ := so.revocation(asOf, s.cut); revoked || !covers(r.comps[ci].def.Coverage, so.Covered) {
				continue
			}
			a.reverif = laterSignOff(e, a.reverif, int32(i))
		}
	}
}

// laterSignOff returns whichever of sign-offs a (may be -1) and b was signed
// later; on the same day the later-listed one.
func laterSignOff(e *Evidence, a, b int32) int32 {
	if a < 0 || !e.SignOffs[b].SignedOn.Before(e.SignOffs[a].SignedOn) {
		return b
	}
	return a
}

func containsString(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// covers reports whether a sign-off covering the given item codes meets
// the coverage rule.
func covers(cv *Coverage, covered []string) bool {
	if cv == nil {
		return true
	}
	n := 0
	for i := range cv.Items {
		if containsString(covered, cv.Items[i].Code) {
			n++
		}
	}
	if cv.Mode == CoverAny {
		return n >= cv.Min
	}
	return n == len(cv.Items)
}

// judgeComp decides whether competency ci is current and appends its
// reasons to s.reasons.
func (r *Rules) judgeComp(ci int32, e *Evidence, asOf Date, s *scratch) {
	c := &r.comps[ci]
	def := c.def
	a := &s.aggs[ci]
	st := &s.states[ci]
	*st = compState{from: int32(len(s.reasons))}
	ok := true
	add := func(rs Reason) {
		rs.about = &c.about
		if rs.Effect != Info {
			ok = false
		}
		s.reasons = append(s.reasons, rs)
	}

	for k := range def.Performances {
		pr := &def.Performances[k]
		if have := int(s.counts[c.variantBase+k]); have < pr.Count {
			add(Reason{Code: ReasonCountShort, Effect: BlocksIndependent, variant: uint8(k + 1), Have: have, Need: pr.Count})
		}
	}

	if c.hoursNeed > 0 && a.hours < c.hoursNeed {
		add(Reason{Code: ReasonTrainingHoursShort, Effect: BlocksIndependent, Have: int(a.hours), Need: int(c.hoursNeed)})
	}

	st.knowledge = true
	if kt := def.KnowledgeTest; kt != nil {
		switch {
		case !a.tested:
			st.knowledge = false
			add(Reason{Code: ReasonKnowledgeMissing, Effect: BlocksIndependent, Need: kt.PassMark})
		case a.bestScore < float64(kt.PassMark):
			st.knowledge = false
			add(Reason{Code: ReasonKnowledgeBelowPassMark, Effect: BlocksIndependent, Score: a.bestScore, Need: kt.PassMark})
		}
	}
	st.started = a.anyPerf || (len(def.Performances) == 0 && (a.tested || def.KnowledgeTest == nil))

	if a.base < 0 {
		switch {
		case a.uncovered >= 0 && (a.revoked < 0 || !e.SignOffs[a.uncovered].SignedOn.Before(e.SignOffs[a.revoked].SignedOn)):
			so := &e.SignOffs[a.uncovered]
			add(r.coverageReason(def.Coverage, so))
		case a.revoked >= 0:
			add(Reason{Code: ReasonSignOffRevoked, Effect: BlocksIndependent, Date: e.SignOffs[a.revoked].RevokedFrom})
		default:
			add(Reason{Code: ReasonSignOffMissing, Effect: BlocksIndependent})
		}
	} else {
		base := &e.SignOffs[a.base]
		last := base
		if a.reverif >= 0 {
			last = &e.SignOffs[a.reverif]
		}
		for _, so := range [2]*SignOff{base, last} {
			if _, future := so.revocation(asOf, s.cut); !future.IsZero() {
				st.lapses = minDate(st.lapses, future)
			}
		}
		if due := def.Reverification.NextDue(base.SignedOn, last.SignedOn); !due.IsZero() {
			days := asOf.DaysUntil(due)
			switch {
			case days < 0:
				rs := Reason{Code: ReasonReverificationOverdue, Effect: BlocksIndependent, Date: due}
				add(rs)
				// Say why a newer re-verification did not count.
				if a.uncovered >= 0 && e.SignOffs[a.uncovered].SignedOn.After(last.SignedOn) {
					add(r.coverageReason(def.Coverage, &e.SignOffs[a.uncovered]))
				}
			case days <= def.Reverification.DueWindowDays:
				add(Reason{Code: ReasonReverificationDueSoon, Effect: Info, Date: due, Have: days})
				st.lapses = minDate(st.lapses, due.AddDays(1))
			default:
				if len(def.Reverification.FirstMonths) > 0 {
					add(Reason{Code: ReasonReverificationScheduled, Effect: Info, Date: due})
				}
				st.lapses = minDate(st.lapses, due.AddDays(1))
			}
		}
	}

	if rc := def.Recency; rc != nil && !a.lastSuccess.IsZero() {
		deadline := a.lastSuccess.AddMonths(rc.Months)
		if asOf.After(deadline) {
			add(Reason{Code: ReasonRecencyLapsed, Effect: BlocksIndependent, Date: a.lastSuccess, Need: rc.Months})
		} else {
			st.lapses = minDate(st.lapses, deadline.AddDays(1))
		}
	}

	st.current = ok
	if !ok {
		st.lapses = Date{}
	}
	st.to = int32(len(s.reasons))
}

func (r *Rules) coverageReason(cv *Coverage, so *SignOff) Reason {
	rs := Reason{Code: ReasonCoverageIncomplete, Effect: BlocksIndependent, Date: so.SignedOn}
	n := 0
	for i, it := range cv.Items {
		if containsString(so.Covered, it.Code) {
			n++
		} else {
			rs.missing |= 1 << i
		}
	}
	if cv.Mode == CoverAny {
		rs.Have, rs.Need = n, cv.Min
	}
	return rs
}

// decide combines credential and competency states into a task decision,
// appending the task's reasons to s.reasons.
func (r *Rules) decide(t *compiledTask, asOf Date, s *scratch) Decision {
	d := Decision{Task: t.def.Code, AsOf: asOf, Supervised: t.rule != DirectNever, Indirect: t.indirectAfter > 0}
	credsOK, presOK, ownOK, trainingOK, indirectOK := true, true, true, true, true
	var credLapse, preLapse, ownLapse Date
	// Requirements of independent practice only: what they block, and
	// when they lapse, concern the independent level alone.
	indepOK := true
	var indepLapse Date

	for _, k := range t.creds {
		cs := &s.creds[k]
		about := &r.types[r.creds[k].typ].about
		rs := Reason{about: about, Date: cs.Expires}
		ok, lapse, block := &credsOK, &credLapse, BlocksSupervised
		if r.creds[k].req.Level == IndependentOnly {
			ok, lapse, block = &indepOK, &indepLapse, BlocksIndependent
		}
		switch cs.Status {
		case CredentialValid:
			*lapse = minDate(*lapse, cs.lapsesOn())
			continue
		case CredentialExpiring:
			rs.Code, rs.Effect, rs.Have = ReasonCredentialExpiring, Info, cs.DaysLeft
			*lapse = minDate(*lapse, cs.lapsesOn())
		case CredentialMissingInGrace:
			rs.Code, rs.Effect, rs.Date = ReasonCredentialInGrace, Info, cs.GraceUntil
			*lapse = minDate(*lapse, cs.lapsesOn())
		case CredentialExpired:
			rs.Code, rs.Effect = ReasonCredentialExpired, block
			*ok = false
		case CredentialUnverified:
			rs.Code, rs.Effect = ReasonCredentialUnverified, block
			*ok = false
		default:
			rs.Code, rs.Effect, rs.Date = ReasonCredentialMissing, block, cs.GraceUntil
			*ok = false
		}
		s.reasons = append(s.reasons, rs)
	}

	for _, pi := range t.prereqs {
		st := &s.states[pi]
		c := &r.comps[pi]
		if st.current {
			preLapse = minDate(preLapse, st.lapses)
			// Keep warnings (due soon) about prerequisites visible.
			if !containsIdx(t.own, pi) {
				s.reasons = append(s.reasons, s.reasons[st.from:st.to]...)
			}
			continue
		}
		presOK = false
		s.reasons = append(s.reasons, Reason{Code: ReasonPrerequisiteNotCurrent, Effect: BlocksSupervised, about: &c.about})
	}
	for _, pi := range t.indepPrereqs {
		st := &s.states[pi]
		if st.current {
			indepLapse = minDate(indepLapse, st.lapses)
			s.reasons = append(s.reasons, s.reasons[st.from:st.to]...)
			continue
		}
		indepOK = false
		s.reasons = append(s.reasons, Reason{Code: ReasonPrerequisiteNotCurrent, Effect: BlocksIndependent, about: &r.comps[pi].about})
	}

	for _, ci := range t.own {
		st := &s.states[ci]
		c := &r.comps[ci]
		from := len(s.reasons)
		s.reasons = append(s.reasons, s.reasons[st.from:st.to]...)
		have := int(s.aggs[ci].successes)
		if t.indirectAfter > 0 && have < t.indirectAfter {
			indirectOK = false
			s.reasons = append(s.reasons, Reason{Code: ReasonIndirectCountShort, Effect: BlocksIndirect, Have: have, Need: t.indirectAfter, about: &c.about})
		}
		if t.independentAfter > 0 && have < t.independentAfter {
			ownOK = false
			s.reasons = append(s.reasons, Reason{Code: ReasonIndependentCountShort, Effect: BlocksIndependent, Have: have, Need: t.independentAfter, about: &c.about})
		}
		if st.current {
			ownLapse = minDate(ownLapse, st.lapses)
			continue
		}
		ownOK = false
		switch t.rule {
		case DirectAfterPerformances:
			if have < t.directAfter {
				trainingOK = false
				s.reasons = append(s.reasons, Reason{Code: ReasonDirectCountShort, Effect: BlocksSupervised, Have: have, Need: t.directAfter, about: &c.about})
			}
		case DirectWhenTrainingStarted:
			if !st.started {
				trainingOK = false
				s.reasons = append(s.reasons, Reason{Code: ReasonTrainingNotStarted, Effect: BlocksSupervised, about: &c.about})
			}
		case DirectAfterKnowledgeTest:
			if !st.knowledge {
				trainingOK = false
				for j := from; j < len(s.reasons); j++ {
					if code := s.reasons[j].Code; code == ReasonKnowledgeMissing || code == ReasonKnowledgeBelowPassMark {
						s.reasons[j].Effect = BlocksSupervised
					}
				}
			}
		}
	}

	switch {
	case credsOK && presOK && ownOK && indirectOK && indepOK:
		d.Status = Cleared
		d.LapsesOn = minDate(minDate(credLapse, indepLapse), minDate(preLapse, ownLapse))
	case credsOK && presOK && trainingOK && t.rule != DirectNever:
		d.Status = DirectSupervision
		if t.indirectAfter > 0 && indirectOK {
			d.Status = IndirectSupervision
		}
		d.LapsesOn = minDate(credLapse, preLapse)
	default:
		d.Status = NotCleared
	}
	return d
}
