package curriculum

import (
	"fmt"
	"slices"
	"strings"
)

// What changed between two versions of a program, in the words the
// program pages use (DescribeCompetency, DescribeTask), for a director to
// read before publishing a draft or moving apprentices to it.

// VersionDiff is what changed from one program version to another.
type VersionDiff struct {
	// Competencies added, removed and changed (in the order of the newer
	// version; removed ones in the order of the older).
	Added, Removed []ItemRef
	Changed        []ItemChange
	// Tasks added, removed and changed.
	TasksAdded, TasksRemoved []ItemRef
	TasksChanged             []ItemChange
	// Program is what changed about the program as a whole: its title,
	// type, hours, credential types.
	Program []Change
}

// ItemRef names a competency or task.
type ItemRef struct{ Code, Title string }

// ItemChange is what changed about one competency or task.
type ItemChange struct {
	Code, Title string
	Changes     []Change
}

// Change is one rule before and after, in words ("" when there was none).
type Change struct{ What, Before, After string }

// Empty reports whether the versions say the same.
func (d VersionDiff) Empty() bool { return d.Count() == 0 }

// Count is how many competencies, tasks and program rules changed.
func (d VersionDiff) Count() int {
	return len(d.Added) + len(d.Removed) + len(d.Changed) + len(d.TasksAdded) + len(d.TasksRemoved) + len(d.TasksChanged) + len(d.Program)
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// Summary counts the changes in words: "1 competency added, 2 changed; 1
// task changed".
func (d VersionDiff) Summary() string {
	n := func(count int, one, many, what string) string {
		if count == 0 {
			return ""
		}
		if count == 1 {
			return fmt.Sprintf("1 %s %s", one, what)
		}
		return fmt.Sprintf("%d %s %s", count, many, what)
	}
	var parts []string
	for _, p := range []string{
		n(len(d.Added), "competency", "competencies", "added"), n(len(d.Removed), "competency", "competencies", "removed"),
		n(len(d.Changed), "competency", "competencies", "changed"), n(len(d.TasksAdded), "task", "tasks", "added"),
		n(len(d.TasksRemoved), "task", "tasks", "removed"), n(len(d.TasksChanged), "task", "tasks", "changed"),
		n(len(d.Program), "program rule", "program rules", "changed"),
	} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, ", ")
}

// ProgramChange is the program-wide changes as one item (no code).
func (d VersionDiff) ProgramChange() ItemChange { return ItemChange{Changes: d.Program} }

// Diff compares program from (the older version) with to (the newer).
func Diff(from, to *Program) VersionDiff {
	var d VersionDiff
	d.Added, d.Removed, d.Changed = diffItems(from.Competencies, to.Competencies, from.Competency, to.Competency,
		func(c *Competency) (string, string) { return c.Code, c.Title },
		func(o, n *Competency) []Change { return competencyChanges(from, o, to, n) })
	d.TasksAdded, d.TasksRemoved, d.TasksChanged = diffItems(from.Tasks, to.Tasks, from.Task, to.Task,
		func(t *Task) (string, string) { return t.Code, t.Title },
		func(o, n *Task) []Change { return taskChanges(from, o, to, n) })
	d.Program = programChanges(from, to)
	return d
}

// diffItems pairs the items of two versions by code: those only in the
// newer (added, in its order), only in the older (removed, in its order),
// and in both with changes (in the newer's order).
func diffItems[T any](old, cur []T, inOld, inCur func(string) *T, name func(*T) (string, string), changes func(o, n *T) []Change) (added, removed []ItemRef, changed []ItemChange) {
	for i := range cur {
		n := &cur[i]
		code, title := name(n)
		o := inOld(code)
		if o == nil {
			added = append(added, ItemRef{code, title})
			continue
		}
		if ch := changes(o, n); len(ch) > 0 {
			changed = append(changed, ItemChange{Code: code, Title: title, Changes: ch})
		}
	}
	for i := range old {
		if code, title := name(&old[i]); inCur(code) == nil {
			removed = append(removed, ItemRef{code, title})
		}
	}
	return added, removed, changed
}

// changes collects the rules whose words differ.
type changes []Change

func (c *changes) add(what, before, after string) {
	if before != after {
		*c = append(*c, Change{What: what, Before: before, After: after})
	}
}

func competencyChanges(fp *Program, o *Competency, tp *Program, n *Competency) []Change {
	var c changes
	a, b := DescribeCompetency(fp, o), DescribeCompetency(tp, n)
	c.add("Title", o.Title, n.Title)
	c.add("Description", o.Description, n.Description)
	c.add("Domain", string(o.Domain), string(n.Domain))
	c.add("Required", a.Required, b.Required)
	c.add("Checklist", describeChecklist(o.Checklist), describeChecklist(n.Checklist))
	if added, removed := stepTexts(n.Checklist, o.Checklist), stepTexts(o.Checklist, n.Checklist); len(added)+len(removed) > 0 {
		c.add("Checklist steps", quoteAll(removed), quoteAll(added))
	}
	c.add("Observed by", a.ObservedBy, b.ObservedBy)
	c.add("Signed off by", a.SignedOffBy, b.SignedOffBy)
	// By code and as a set: a renamed prerequisite, or the same ones in
	// another order, is not a change.
	if !slices.Equal(sortedCopy(o.Prerequisites), sortedCopy(n.Prerequisites)) ||
		!slices.Equal(sortedCopy(o.IndependentPrerequisites), sortedCopy(n.IndependentPrerequisites)) {
		c.add("Prerequisites", a.Prerequisites, b.Prerequisites)
	}
	c.add("Knowledge test", a.Test, b.Test)
	c.add("Re-verification", a.Reverification, b.Reverification)
	c.add("Assessment covers", a.Coverage, b.Coverage)
	c.add("Recency", a.Recency, b.Recency)
	c.add("Training hours", a.TrainingHours, b.TrainingHours)
	c.add("Paper sign-offs", a.Paper, b.Paper)
	return c
}

func describeChecklist(steps []ChecklistStep) string {
	critical := 0
	for _, s := range steps {
		if s.Critical {
			critical++
		}
	}
	if len(steps) == 0 {
		return "no checklist"
	}
	return fmt.Sprintf("%d steps, %d critical", len(steps), critical)
}

// stepTexts lists the steps of a that b lacks (same text and criticality).
func stepTexts(a, b []ChecklistStep) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			t := s.Text
			if s.Critical {
				t += " (critical)"
			}
			out = append(out, t)
		}
	}
	return out
}

func quoteAll(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return "“" + strings.Join(s, "”; “") + "”"
}

func taskChanges(fp *Program, o *Task, tp *Program, n *Task) []Change {
	var c changes
	a, b := DescribeTask(fp, o), DescribeTask(tp, n)
	c.add("Title", o.Title, n.Title)
	c.add("Description", o.Description, n.Description)
	c.add("Category", string(o.Category), string(n.Category))
	// What the task requires, as what is no longer and what is newly
	// required, compared by code (a renamed competency is not a change of
	// the task) and said in the newer version's words.
	var gone, added []string
	for i, code := range o.Competencies {
		if !slices.Contains(n.Competencies, code) {
			gone = append(gone, a.Needs[i])
		}
	}
	for i, code := range n.Competencies {
		if !slices.Contains(o.Competencies, code) {
			added = append(added, b.Needs[i])
		}
	}
	for i, r := range o.Credentials {
		if !slices.Contains(n.Credentials, r) {
			gone = append(gone, a.Needs[len(o.Competencies)+i])
		}
	}
	for i, r := range n.Credentials {
		if !slices.Contains(o.Credentials, r) {
			added = append(added, b.Needs[len(n.Competencies)+i])
		}
	}
	c.add("Requires", strings.Join(gone, "; "), strings.Join(added, "; "))
	c.add("Supervised level", a.Direct, b.Direct)
	c.add("Indirect supervision", a.Indirect, b.Indirect)
	c.add("Independent practice", independentAfter(o), independentAfter(n))
	return c
}

// independentAfter is a task's count for independent practice, in words
// ("" without one).
func independentAfter(t *Task) string {
	if t.IndependentAfter <= 0 {
		return ""
	}
	return fmt.Sprintf("after %d successful observed performances of each competency, besides sign-off", t.IndependentAfter)
}

func programChanges(o, n *Program) []Change {
	var c changes
	c.add("Title", o.Title, n.Title)
	c.add("Description", o.Description, n.Description)
	c.add("Type", string(o.Type), string(n.Type))
	wp := func(p *Program) string {
		var parts []string
		for _, w := range p.WorkProcesses {
			h := fmt.Sprint(w.MinHours)
			if w.MaxHours != w.MinHours {
				h = fmt.Sprintf("%d–%d", w.MinHours, w.MaxHours)
			}
			parts = append(parts, fmt.Sprintf("%s %s h", w.Title, h))
		}
		return strings.Join(parts, "; ")
	}
	c.add("Work processes (hours)", wp(o), wp(n))
	rti := func(p *Program) string {
		var parts []string
		for _, r := range p.RTICourses {
			parts = append(parts, fmt.Sprintf("%s %d h", r.Title, r.Hours))
		}
		return strings.Join(parts, "; ")
	}
	c.add("Related technical instruction", rti(o), rti(n))
	c.add("Wage schedule", o.DescribeWageSchedule(), n.DescribeWageSchedule())
	c.add("Periodic evaluations", o.DescribeEvaluations(), n.DescribeEvaluations())
	ct := func(p *Program) string {
		var parts []string
		for _, t := range p.CredentialTypes {
			s := t.Name
			if t.ValidityMonths > 0 {
				s += fmt.Sprintf(" (%d months)", t.ValidityMonths)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, "; ")
	}
	c.add("Credential types", ct(o), ct(n))
	return c
}

// NewlyRequired lists, for an apprentice moving from program from to
// program to, the competencies whose requirements grow: added ones and
// changed ones whose counts, checklist, test or other rules differ (their
// earlier sign-off may no longer be enough). It is Diff's Added and
// Changed, in the newer version's order, without changes of wording only
// (title, description, domain).
func NewlyRequired(d VersionDiff) []ItemChange {
	out := make([]ItemChange, 0, len(d.Added)+len(d.Changed))
	for _, a := range d.Added {
		out = append(out, ItemChange{Code: a.Code, Title: a.Title, Changes: []Change{{What: "Competency", After: "new in this version"}}})
	}
	for _, ch := range d.Changed {
		var rules []Change
		for _, c := range ch.Changes {
			switch c.What {
			case "Title", "Description", "Domain":
			default:
				rules = append(rules, c)
			}
		}
		if len(rules) > 0 {
			out = append(out, ItemChange{Code: ch.Code, Title: ch.Title, Changes: rules})
		}
	}
	return out
}
