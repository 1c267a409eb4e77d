package curriculum

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Limits that keep the clearance engine's reasons compact (see Reason).
const (
	maxVariants      = 32
	maxCoverageItems = 64
)

// Problem is one thing wrong with a program version or program file.
type Problem struct {
	// Path locates the field, e.g. program.competencies[3].checklist[2].text.
	Path string `json:"path"`
	// Message says what is wrong in words a program director understands.
	Message string `json:"message"`
	// Line and Column locate the problem in a program file (1-based); zero
	// when the version did not come from a file.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "%d:%d: ", p.Line, p.Column)
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// ValidationError lists every problem found, not only the first.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "1 problem: " + e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

type problems []Problem

func (ps *problems) add(path, format string, args ...any) {
	*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{Problems: ps}
}

// Validate checks the whole version and returns nil or a *ValidationError
// listing every problem with its path.
func (v *Version) Validate() error {
	var ps problems
	if v.Number < 1 {
		ps.add("number", "the version number must be 1 or more")
	}
	switch v.Status {
	case Draft:
		if !v.PublishedAt.IsZero() {
			ps.add("published_at", "a draft cannot have a publication time")
		}
	case Published:
		if v.PublishedAt.IsZero() {
			ps.add("published_at", "a published version needs its publication time")
		}
	default:
		ps.add("status", "status must be %q or %q, not %q", Draft, Published, v.Status)
	}
	v.Program.validate(&ps, "program")
	return ps.err()
}

// Validate checks the program content alone.
func (p *Program) Validate() error {
	var ps problems
	p.validate(&ps, "program")
	return ps.err()
}

func (p *Program) validate(ps *problems, path string) {
	checkCode(ps, path+".code", p.Code)
	checkText(ps, path+".title", p.Title)
	if !p.Type.valid() {
		ps.add(path+".type", "type must be %q, %q or %q, not %q", TimeBased, CompetencyBased, Hybrid, p.Type)
	}
	if p.Settings.TimeZone != "" {
		if _, err := time.LoadLocation(p.Settings.TimeZone); err != nil {
			ps.add(path+".settings.time_zone", "%q is not a known time zone (use a name like America/New_York)", p.Settings.TimeZone)
		}
	}
	for i, code := range p.Settings.SignersMustHold {
		if p.CredentialType(code) == nil {
			ps.add(fmt.Sprintf("%s.settings.signers_must_hold[%d]", path, i), "%q is not one of the program's credential types", code)
		}
	}

	p.validateWorkProcesses(ps, path)
	if p.Evaluations != nil {
		p.Evaluations.validate(ps, path+".evaluations")
		if p.Evaluations.AtWageSteps && len(p.WageSchedule) == 0 {
			ps.add(path+".evaluations.at_wage_steps", "evaluations at each wage step need a wage_schedule")
		}
	}

	seen := map[string]int{}
	for i, c := range p.RTICourses {
		cp := fmt.Sprintf("%s.rti_courses[%d]", path, i)
		checkCodeUnique(ps, seen, cp+".code", c.Code, "RTI course")
		checkText(ps, cp+".title", c.Title)
		if c.Hours <= 0 {
			ps.add(cp+".hours", "hours must be more than 0")
		}
		if c.Year < 0 {
			ps.add(cp+".year", "year must be 1 or more (or left out)")
		}
	}

	clear(seen)
	for i, ct := range p.CredentialTypes {
		cp := fmt.Sprintf("%s.credential_types[%d]", path, i)
		checkCodeUnique(ps, seen, cp+".code", ct.Code, "credential type")
		checkText(ps, cp+".name", ct.Name)
		if ct.ValidityMonths < 0 {
			ps.add(cp+".validity_months", "validity cannot be negative")
		}
	}

	comps := map[string]int{}
	for i := range p.Competencies {
		checkCodeUnique(ps, comps, fmt.Sprintf("%s.competencies[%d].code", path, i), p.Competencies[i].Code, "competency")
	}
	for i := range p.Competencies {
		cp := fmt.Sprintf("%s.competencies[%d]", path, i)
		p.Competencies[i].validate(ps, cp, comps)
		p.validateTrainingHours(ps, cp+".training_hours", p.Competencies[i].TrainingHours)
	}
	p.validatePrerequisiteCycles(ps, path)
	p.validateWages(ps, path)

	clear(seen)
	for i := range p.Tasks {
		p.validateTask(ps, fmt.Sprintf("%s.tasks[%d]", path, i), &p.Tasks[i], seen, comps)
	}
}

func (p *Program) validateWorkProcesses(ps *problems, path string) {
	seen := map[string]int{}
	minTotal, maxTotal := 0, 0
	for i, w := range p.WorkProcesses {
		wp := fmt.Sprintf("%s.work_processes[%d]", path, i)
		checkCodeUnique(ps, seen, wp+".code", w.Code, "work process")
		checkText(ps, wp+".title", w.Title)
		switch {
		case w.MinHours < 0 || w.MaxHours < 0:
			ps.add(wp, "hours cannot be negative")
		case p.Type == TimeBased && (w.MinHours <= 0 || w.MinHours != w.MaxHours):
			ps.add(wp+".max_hours", "a time-based program needs a fixed number of hours: min_hours and max_hours equal and more than 0")
		case p.Type == Hybrid && (w.MinHours <= 0 || w.MaxHours < w.MinHours):
			ps.add(wp+".max_hours", "a hybrid program needs an hour range: min_hours more than 0 and max_hours at least min_hours")
		case w.MaxHours < w.MinHours:
			ps.add(wp+".max_hours", "max_hours (%d) is less than min_hours (%d)", w.MaxHours, w.MinHours)
		}
		minTotal += w.MinHours
		maxTotal += w.MaxHours
	}
	switch p.Type {
	case TimeBased, Hybrid:
		if len(p.WorkProcesses) == 0 {
			ps.add(path+".work_processes", "a %s program needs a work-process schedule", p.Type)
		} else if total := map[ApprenticeshipType]int{TimeBased: minTotal, Hybrid: maxTotal}[p.Type]; total < MinOJLHours {
			ps.add(path+".work_processes", "the schedule totals %d on-the-job hours; an apprenticeable occupation needs at least %d (29 CFR 29.4)", total, MinOJLHours)
		}
	}
}

func (c *Competency) validate(ps *problems, path string, comps map[string]int) {
	checkText(ps, path+".title", c.Title)
	if !c.Domain.valid() {
		ps.add(path+".domain", "domain must be clinical, laboratory, administrative or safety, not %q", c.Domain)
	}
	for i, s := range c.Checklist {
		checkText(ps, fmt.Sprintf("%s.checklist[%d].text", path, i), s.Text)
	}
	if len(c.Performances) > 0 && len(c.Checklist) == 0 {
		ps.add(path+".checklist", "observed performances are required, so the competency needs a checklist to score them against")
	}
	if len(c.Checklist) > 0 && c.ChecklistVersion < 1 {
		ps.add(path+".checklist_version", "the checklist version must be 1 or more")
	}

	if len(c.Performances) > maxVariants {
		ps.add(path+".performances", "at most %d performance variants are supported", maxVariants)
	}
	variants := map[string]int{}
	for i, pr := range c.Performances {
		pp := fmt.Sprintf("%s.performances[%d]", path, i)
		if pr.Count < 1 {
			ps.add(pp+".count", "the number of performances must be 1 or more")
		}
		if pr.Variant == "" {
			if len(c.Performances) > 1 {
				ps.add(pp+".variant", "with more than one performance requirement, each needs a variant (e.g. IM, SUBQ, ID)")
			}
			continue
		}
		if !codePattern.MatchString(pr.Variant) {
			ps.add(pp+".variant", "variant %q must be upper-case letters and digits, like IM or SUBQ", pr.Variant)
		}
		checkUnique(ps, variants, pp+".variant", pr.Variant, "variant")
	}

	if c.SignedOffBy.empty() {
		ps.add(path+".signed_off_by", "say who may sign this competency off (credentials and/or preceptors)")
	}
	if len(c.Performances) > 0 && c.ObservedBy.empty() {
		ps.add(path+".observed_by", "say who may observe performances (credentials and/or preceptors)")
	}
	checkAuthorization(ps, path+".signed_off_by", c.SignedOffBy)
	checkAuthorization(ps, path+".observed_by", c.ObservedBy)

	// Prerequisites at every level, then for independent practice only
	// (each code in one list only).
	for _, list := range []struct {
		field string
		codes []string
		other []string
	}{{"prerequisites", c.Prerequisites, nil}, {"independent_prerequisites", c.IndependentPrerequisites, c.Prerequisites}} {
		seen := map[string]int{}
		for i, pre := range list.codes {
			pp := fmt.Sprintf("%s.%s[%d]", path, list.field, i)
			switch _, ok := comps[pre]; {
			case pre == c.Code:
				ps.add(pp, "a competency cannot be its own prerequisite")
			case !ok:
				ps.add(pp, "prerequisite %q is not a competency of this program", pre)
			case slices.Contains(list.other, pre):
				ps.add(pp, "%q is already a prerequisite at every level (prerequisites); list it in one of the two", pre)
			}
			checkUnique(ps, seen, pp, pre, "prerequisite")
		}
	}

	if kt := c.KnowledgeTest; kt != nil && (kt.PassMark < 1 || kt.PassMark > 100) {
		ps.add(path+".knowledge_test.pass_mark", "the pass mark is a percentage between 1 and 100, not %d", kt.PassMark)
	}

	r := c.Reverification
	rp := path + ".reverification"
	interval := 0
	switch r.Kind {
	case NoReverification:
		if r.Months != 0 || r.DueWindowDays != 0 || len(r.FirstMonths) > 0 {
			ps.add(rp+".kind", "months, first_months and due_window_days need a re-verification kind")
		}
	case EveryMonths:
		if r.Months < 1 {
			ps.add(rp+".months", "say every how many months (1 or more)")
		}
		interval = r.Months
	case CLIA:
		interval = 6
	case JointCommission:
		interval = 36
	default:
		ps.add(rp+".kind", "kind must be every-months, clia or joint-commission (or left out), not %q", r.Kind)
	}
	if r.Kind != EveryMonths && r.Months != 0 && r.Kind != NoReverification {
		ps.add(rp+".months", "months is only used with kind every-months")
	}
	if len(r.FirstMonths) > 0 && r.Kind != EveryMonths {
		ps.add(rp+".first_months", "first_months is only used with kind every-months (the repeating interval after them)")
	}
	prev := 0
	for i, m := range r.FirstMonths {
		switch {
		case m < 1:
			ps.add(fmt.Sprintf("%s.first_months[%d]", rp, i), "each first re-verification is 1 or more months after the initial sign-off, not %d", m)
		case m <= prev:
			ps.add(fmt.Sprintf("%s.first_months[%d]", rp, i), "list the months in increasing order: %d does not come after %d", m, prev)
		default:
			// The due window must fit in the shortest gap, or one due
			// date's window would open before the previous date.
			interval = min(interval, m-prev)
		}
		prev = max(prev, m)
	}
	if r.DueWindowDays < 0 {
		ps.add(rp+".due_window_days", "the due window cannot be negative")
	} else if interval > 0 && r.DueWindowDays >= interval*28 {
		ps.add(rp+".due_window_days", "a due window of %d days is longer than the %d-month interval", r.DueWindowDays, interval)
	}

	if cv := c.Coverage; cv != nil {
		cp := path + ".coverage"
		switch {
		case len(cv.Items) == 0:
			ps.add(cp+".items", "list the elements or methods a sign-off must cover")
		case len(cv.Items) > maxCoverageItems:
			ps.add(cp+".items", "at most %d elements or methods are supported", maxCoverageItems)
		}
		items := map[string]int{}
		for i, it := range cv.Items {
			ip := fmt.Sprintf("%s.items[%d]", cp, i)
			if !codePattern.MatchString(it.Code) {
				ps.add(ip+".code", "code %q must be upper-case letters, digits and hyphens", it.Code)
			}
			checkUnique(ps, items, ip+".code", it.Code, "item")
			checkText(ps, ip+".title", it.Title)
		}
		switch cv.Mode {
		case CoverAll:
			if cv.Min != 0 {
				ps.add(cp+".min", "min is only used with mode any")
			}
		case CoverAny:
			if cv.Min < 1 || cv.Min > len(cv.Items) {
				ps.add(cp+".min", "min must be between 1 and the number of items (%d)", len(cv.Items))
			}
		default:
			ps.add(cp+".mode", "mode must be all or any, not %q", cv.Mode)
		}
	}

	if rc := c.Recency; rc != nil && rc.Months < 1 {
		ps.add(path+".recency.months", "say every how many months the skill must be performed (1 or more)")
	}
	if c.PaperSignOffs != "" && c.PaperSignOffs != PaperAllowed && c.PaperSignOffs != "not_allowed" {
		ps.add(path+".paper_sign_offs", "paper_sign_offs must be allowed or not_allowed, not %q", c.PaperSignOffs)
	}
}

func (p *Program) validateTrainingHours(ps *problems, path string, th *TrainingHours) {
	if th == nil {
		return
	}
	if th.Hours < 1 {
		ps.add(path+".hours", "say how many clock hours of training are required (1 or more)")
	}
	if len(th.RTICourses) == 0 && len(th.WorkProcesses) == 0 {
		ps.add(path, "name the RTI courses (rti_courses) or work processes (work_processes) whose approved hours count")
	}
	seen := map[string]int{}
	for i, code := range th.RTICourses {
		cp := fmt.Sprintf("%s.rti_courses[%d]", path, i)
		if !slices.ContainsFunc(p.RTICourses, func(c RTICourse) bool { return c.Code == code }) {
			ps.add(cp, "%q is not one of the program's RTI courses", code)
		}
		checkUnique(ps, seen, cp, code, "RTI course")
	}
	clear(seen)
	for i, code := range th.WorkProcesses {
		wp := fmt.Sprintf("%s.work_processes[%d]", path, i)
		if !slices.ContainsFunc(p.WorkProcesses, func(w WorkProcess) bool { return w.Code == code }) {
			ps.add(wp, "%q is not one of the program's work processes", code)
		}
		checkUnique(ps, seen, wp, code, "work process")
	}
}

// validatePrerequisiteCycles reports each prerequisite cycle once, naming
// the competencies in it.
func (p *Program) validatePrerequisiteCycles(ps *problems, path string) {
	index := make(map[string]int, len(p.Competencies))
	for i, c := range p.Competencies {
		if _, dup := index[c.Code]; !dup {
			index[c.Code] = i
		}
	}
	const (
		unvisited = iota
		onStack
		done
	)
	state := make([]int, len(p.Competencies))
	var stack []int
	var visit func(i int)
	visit = func(i int) {
		state[i] = onStack
		stack = append(stack, i)
		c := &p.Competencies[i]
		for _, pre := range slices.Concat(c.Prerequisites, c.IndependentPrerequisites) {
			j, ok := index[pre]
			if !ok || j == i {
				continue // reported elsewhere
			}
			switch state[j] {
			case unvisited:
				visit(j)
			case onStack:
				start := len(stack) - 1
				for stack[start] != j {
					start--
				}
				names := make([]string, 0, len(stack)-start+1)
				for _, k := range stack[start:] {
					names = append(names, p.Competencies[k].Code)
				}
				names = append(names, pre)
				ps.add(fmt.Sprintf("%s.competencies[%d].prerequisites", path, j),
					"prerequisites form a cycle: %s", strings.Join(names, " → "))
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = done
	}
	for i := range p.Competencies {
		if state[i] == unvisited {
			visit(i)
		}
	}
}

func (p *Program) validateTask(ps *problems, path string, t *Task, seen, comps map[string]int) {
	checkCodeUnique(ps, seen, path+".code", t.Code, "task")
	checkText(ps, path+".title", t.Title)
	if !t.Category.valid() {
		ps.add(path+".category", "category must be clinical, laboratory, administrative or safety, not %q", t.Category)
	}
	if len(t.Competencies) == 0 {
		ps.add(path+".competencies", "a task needs at least one competency, or everyone would be cleared for it")
	}
	own := map[string]int{}
	for i, c := range t.Competencies {
		cp := fmt.Sprintf("%s.competencies[%d]", path, i)
		if _, ok := comps[c]; !ok {
			ps.add(cp, "%q is not a competency of this program", c)
		}
		checkUnique(ps, own, cp, c, "competency")
	}
	creds := map[string]int{}
	for i, r := range t.Credentials {
		cp := fmt.Sprintf("%s.credentials[%d]", path, i)
		if p.CredentialType(r.Credential) == nil {
			ps.add(cp+".credential", "%q is not a credential type of this program", r.Credential)
		}
		checkUnique(ps, creds, cp+".credential", r.Credential, "credential")
		if r.WithinDaysOfHire < 0 {
			ps.add(cp+".within_days_of_hire", "the grace period cannot be negative")
		}
		if !r.Level.valid() {
			ps.add(cp+".level", "level must be all (every level, the default) or independent (independent practice only), not %q", r.Level)
		}
	}
	if !t.DirectSupervision.valid() {
		ps.add(path+".direct_supervision", "must be training-started, knowledge-test, prerequisites, performances or never, not %q", t.DirectSupervision)
	}
	switch {
	case t.DirectSupervision == DirectAfterPerformances && t.DirectAfter < 1:
		ps.add(path+".direct_after", "say after how many successful observed performances direct supervision starts (1 or more)")
	case t.DirectSupervision != DirectAfterPerformances && t.DirectAfter != 0:
		ps.add(path+".direct_after", "direct_after is only used with direct_supervision: performances")
	}
	switch {
	case t.IndirectAfter < 0:
		ps.add(path+".indirect_after", "the number of performances cannot be negative")
	case t.IndirectAfter > 0 && t.DirectSupervision == DirectNever:
		ps.add(path+".indirect_after", "a task without supervised practice (direct_supervision: never) has no indirect level")
	case t.IndirectAfter > 0 && t.DirectSupervision == DirectAfterPerformances && t.IndirectAfter <= t.DirectAfter:
		ps.add(path+".indirect_after", "indirect supervision (%d performances) must need more than direct supervision (%d)", t.IndirectAfter, t.DirectAfter)
	}
	switch {
	case t.IndependentAfter < 0:
		ps.add(path+".independent_after", "the number of performances cannot be negative")
	case t.IndependentAfter > 0 && t.IndependentAfter < t.IndirectAfter:
		ps.add(path+".independent_after", "independent practice (%d performances) cannot need fewer than indirect supervision (%d)", t.IndependentAfter, t.IndirectAfter)
	case t.IndependentAfter > 0 && t.DirectSupervision == DirectAfterPerformances && t.IndependentAfter <= t.DirectAfter:
		ps.add(path+".independent_after", "independent practice (%d performances) must need more than direct supervision (%d)", t.IndependentAfter, t.DirectAfter)
	}
}

func checkCode(ps *problems, path, code string) {
	if code == "" {
		ps.add(path, "the code is missing")
	} else if !codePattern.MatchString(code) {
		ps.add(path, "code %q must be upper-case letters and digits in up to five parts separated by hyphens, like PHL-VENI", code)
	}
}

// checkUnique reports a code used before in the same list.
func checkUnique(ps *problems, seen map[string]int, path, code, what string) {
	if code == "" {
		return
	}
	if _, dup := seen[code]; dup {
		ps.add(path, "%s %q is listed more than once", what, code)
		return
	}
	seen[code] = len(seen)
}

// checkCodeUnique checks a code's shape and that it is unique in its list.
func checkCodeUnique(ps *problems, seen map[string]int, path, code, what string) {
	checkCode(ps, path, code)
	checkUnique(ps, seen, path, code, what)
}

func checkText(ps *problems, path, s string) {
	if strings.TrimSpace(s) == "" {
		ps.add(path, "this text is missing")
	}
}

func checkAuthorization(ps *problems, path string, a Authorization) {
	for i, c := range a.Credentials {
		if !c.Valid() {
			ps.add(fmt.Sprintf("%s.credentials[%d]", path, i), "%q is not a known professional credential (MD, DO, NP, PA, RN, LPN, CMA, RMA, CCMA)", c)
		}
	}
	for i, id := range a.Preceptors {
		if strings.TrimSpace(id) == "" {
			ps.add(fmt.Sprintf("%s.preceptors[%d]", path, i), "the preceptor id is missing")
		}
	}
}
