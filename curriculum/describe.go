package curriculum

import (
	"fmt"
	"strconv"
	"strings"
)

// Plain-language descriptions of a program's rules, as the program pages
// show them to directors and preceptors.

// CompetencyRules is what a competency asks for, in words.
type CompetencyRules struct {
	C              *Competency // the competency described
	Required       string
	ObservedBy     string
	SignedOffBy    string
	Prerequisites  string
	Test           string
	Reverification string
	Coverage       string
	Recency        string
	TrainingHours  string
	// Paper says whether transcribed paper sign-offs count.
	Paper    string
	Critical int
}

// DescribeCompetency says what c, a competency of p, asks for.
func DescribeCompetency(p *Program, c *Competency) CompetencyRules {
	v := CompetencyRules{C: c, ObservedBy: describeAuth(c.ObservedBy), SignedOffBy: describeAuth(c.SignedOffBy)}
	var parts []string
	for _, r := range c.Performances {
		switch {
		case r.Variant == "":
			parts = append(parts, fmt.Sprintf("%d successful observed performances", r.Count))
		case r.Title != "":
			parts = append(parts, fmt.Sprintf("%d %s", r.Count, r.Title))
		default:
			parts = append(parts, fmt.Sprintf("%d %s", r.Count, r.Variant))
		}
	}
	v.Required = strings.Join(parts, ", ")
	if v.Required == "" {
		v.Required = "no observed performances (knowledge or attestation only)"
	}
	var pre []string
	for _, code := range c.Prerequisites {
		if pc := p.Competency(code); pc != nil {
			pre = append(pre, pc.Title+" ("+code+")")
		} else {
			pre = append(pre, code)
		}
	}
	v.Prerequisites = strings.Join(pre, "; ")
	var indep []string
	for _, code := range c.IndependentPrerequisites {
		if pc := p.Competency(code); pc != nil {
			indep = append(indep, pc.Title+" ("+code+")")
		} else {
			indep = append(indep, code)
		}
	}
	if len(indep) > 0 {
		if v.Prerequisites != "" {
			v.Prerequisites += "; "
		}
		v.Prerequisites += "for independent practice only: " + strings.Join(indep, "; ")
	}
	if c.KnowledgeTest != nil {
		v.Test = fmt.Sprintf("knowledge test passed with at least %d%%", c.KnowledgeTest.PassMark)
	}
	v.Reverification = describeReverification(c.Reverification)
	if cv := c.Coverage; cv != nil {
		var items []string
		for _, it := range cv.Items {
			items = append(items, it.Title)
		}
		if cv.Mode == CoverAll {
			v.Coverage = fmt.Sprintf("every assessment covers all %d: %s", len(items), strings.Join(items, "; "))
		} else {
			v.Coverage = fmt.Sprintf("every assessment uses at least %d of: %s", cv.Min, strings.Join(items, "; "))
		}
	}
	if c.Recency != nil {
		v.Recency = fmt.Sprintf("stays current only if performed successfully at least once every %d months", c.Recency.Months)
	}
	if th := c.TrainingHours; th != nil {
		var from []string
		for _, code := range th.RTICourses {
			from = append(from, titleIn(code, p.RTICourses, rtiKey)+" ("+code+")")
		}
		for _, code := range th.WorkProcesses {
			from = append(from, titleIn(code, p.WorkProcesses, wpKey)+" ("+code+")")
		}
		v.TrainingHours = fmt.Sprintf("%d clock hours of approved training in: %s", th.Hours, strings.Join(from, "; "))
	}
	v.Paper = "electronic signatures only"
	if c.AllowsPaperSignOffs() {
		v.Paper = "an electronic signature, or a paper sign-off transcribed from historical records"
	}
	for _, st := range c.Checklist {
		if st.Critical {
			v.Critical++
		}
	}
	return v
}

// titleIn is the title of the course or work process with the given code
// in list, or the code itself if the list has none.
func titleIn[T any](code string, list []T, key func(T) (string, string)) string {
	for _, x := range list {
		if c, title := key(x); c == code {
			return title
		}
	}
	return code
}

func rtiKey(c RTICourse) (string, string)  { return c.Code, c.Title }
func wpKey(w WorkProcess) (string, string) { return w.Code, w.Title }

func describeAuth(a Authorization) string {
	var parts []string
	if len(a.Credentials) > 0 {
		cs := make([]string, len(a.Credentials))
		for i, c := range a.Credentials {
			cs[i] = string(c)
		}
		parts = append(parts, strings.Join(cs, ", "))
	}
	if n := len(a.Preceptors); n > 0 {
		parts = append(parts, fmt.Sprintf("%d named preceptor(s)", n))
	}
	if len(parts) == 0 {
		return "nobody (set who may before publishing)"
	}
	return strings.Join(parts, "; or ")
}

func describeReverification(r Reverification) string {
	window := ""
	if r.DueWindowDays > 0 {
		window = fmt.Sprintf("; shown as due %d days ahead", r.DueWindowDays)
	}
	switch r.Kind {
	case EveryMonths:
		if len(r.FirstMonths) > 0 {
			return "re-verified " + firstCycle(r) + window
		}
		return fmt.Sprintf("re-verified every %d months%s", r.Months, window)
	case CLIA:
		return "re-verified 6 months after the initial sign-off, then every 12 months (CLIA)" + window
	case JointCommission:
		return "re-verified at least every 3 years (Joint Commission)" + window
	}
	return ""
}

// firstCycle says when a schedule with first-cycle offsets falls due:
// "6 and 12 months after the initial sign-off, then every 12 months".
func firstCycle(r Reverification) string {
	n := len(r.FirstMonths)
	first := make([]string, n)
	for i, m := range r.FirstMonths {
		first[i] = strconv.Itoa(m)
	}
	offsets := first[0]
	if n > 1 {
		offsets = strings.Join(first[:n-1], ", ") + " and " + first[n-1]
	}
	return fmt.Sprintf("%s months after the initial sign-off, then every %d months", offsets, r.Months)
}

// TaskRules is what clears a task, in words.
type TaskRules struct {
	T      *Task // the task described
	Needs  []string
	Direct string
	// Indirect says when the indirect-supervision level starts ("" if
	// the task has none).
	Indirect string
}

// DescribeTask says what clears t, a task of p.
func DescribeTask(p *Program, t *Task) TaskRules {
	v := TaskRules{T: t}
	for _, code := range t.Competencies {
		title := code
		if c := p.Competency(code); c != nil {
			title = c.Title + " (" + code + ")"
		}
		v.Needs = append(v.Needs, title+" signed off and current")
	}
	for _, r := range t.Credentials {
		name := r.Credential
		if ct := p.CredentialType(r.Credential); ct != nil {
			name = ct.Name
		}
		need := name + " valid"
		if r.WithinDaysOfHire > 0 {
			need = fmt.Sprintf("%s valid (new hires: within %d days of hire)", name, r.WithinDaysOfHire)
		}
		if r.Level == IndependentOnly {
			need += ", before independent practice only"
		}
		v.Needs = append(v.Needs, need)
	}
	switch t.DirectSupervision {
	case "", DirectWhenTrainingStarted:
		v.Direct = "Under direct supervision once training has started (a first observed performance), with credentials and prerequisites in order."
	case DirectAfterKnowledgeTest:
		v.Direct = "Under direct supervision once the knowledge test is passed, with credentials and prerequisites in order."
	case DirectAfterPrerequisites:
		v.Direct = "Under direct supervision once credentials and prerequisites are in order."
	case DirectAfterPerformances:
		v.Direct = fmt.Sprintf("Under direct supervision after %d successful observed performances of each competency, with credentials and prerequisites in order.", t.DirectAfter)
	case DirectNever:
		v.Direct = "No supervised level: cleared to perform independently, or not at all."
	}
	if t.IndirectAfter > 0 {
		v.Indirect = fmt.Sprintf("Under indirect supervision (a qualified person available, not watching) after %d successful observed performances of each competency.", t.IndirectAfter)
	}
	if t.IndependentAfter > 0 {
		v.Needs = append(v.Needs, fmt.Sprintf("%d successful observed performances of each competency", t.IndependentAfter))
	}
	return v
}
