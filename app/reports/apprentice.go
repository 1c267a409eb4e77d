package reports

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// The apprentice's own pages, phone first: home's next steps and
// reminders, "What I may do" grouped by how far each task is, "My
// progress" grouped by domain, and "My submissions". One read model from
// the clearance result the pages already load (the enrollment's records,
// the rules and the decisions on a day), so the pages agree with each
// other and with the API.

// ApprenticeInput is what the read model is built from: the decisions and
// records of one enrollment on a day (clearance.Result's fields).
type ApprenticeInput struct {
	Program   *curriculum.Program
	Records   *assessments.Records
	Decisions []curriculum.Decision
	// Credentials are the program's required credentials on Today
	// (clearance.Result.RequiredCredentials).
	Credentials []curriculum.CredentialState
	Today       curriculum.Date
	Now         time.Time
	// EnrollmentURL is the progress record's address, where each
	// competency has its anchor (#c-CODE).
	EnrollmentURL string
	// CredentialsURL is the apprentice's credentials page.
	CredentialsURL string
}

// Apprentice is the read model of one apprentice's own pages.
type Apprentice struct {
	// Steps are the next things to do, most urgent first (at most 3 on
	// home); Reminders are the credential expiries and re-verifications
	// coming up, with what to do.
	Steps     []Link
	Reminders []Reminder
	Progress  *assessments.Progress
	// Groups are the competencies by domain, in the program's domain
	// order, with counts per state.
	Groups []DomainGroup
	Counts StateCounts
	// Tasks are the clearance decisions by how far the apprentice is;
	// Blockers are the credential problems that hold up several tasks,
	// said once instead of on every task.
	Tasks    []TaskGroup
	Blockers []Reminder
}

// Link is a line of text with where to act on it.
type Link struct{ Text, Href string }

// Reminder is a credential or re-verification coming due, or a problem
// with a credential.
type Reminder struct {
	Text, Href string
	// Urgent: it blocks something today (expired, missing, overdue).
	Urgent bool
}

// Competency states on "My progress".
const (
	StateInProgress = "in_progress"
	StateSignedOff  = "signed_off"
	StateNotStarted = "not_started"
	StateDue        = "due"
)

// StateLabels name the states for people, in filter order.
var StateLabels = []struct{ Value, Label string }{
	{StateInProgress, "In progress"}, {StateDue, "Due"}, {StateNotStarted, "Not started"}, {StateSignedOff, "Signed off"},
}

// StateCounts counts competencies per state.
type StateCounts struct{ InProgress, SignedOff, NotStarted, Due, Total int }

func (c *StateCounts) add(state string) {
	c.Total++
	switch state {
	case StateInProgress:
		c.InProgress++
	case StateSignedOff:
		c.SignedOff++
	case StateNotStarted:
		c.NotStarted++
	case StateDue:
		c.Due++
	}
}

// DomainGroup is one domain's competencies.
type DomainGroup struct {
	Domain curriculum.Domain
	Label  string
	Items  []ProgressItem
	Counts StateCounts
}

// Open lists the items still to do (in progress and due), shown open.
func (g DomainGroup) Open() []ProgressItem { return g.pick(StateInProgress, StateDue) }

// NotStarted lists the items not begun, folded by default.
func (g DomainGroup) NotStarted() []ProgressItem { return g.pick(StateNotStarted) }

// Finished lists the items signed off, folded by default.
func (g DomainGroup) Finished() []ProgressItem { return g.pick(StateSignedOff) }

// OfState lists the items in one state (the page's filter).
func (g DomainGroup) OfState(state string) []ProgressItem { return g.pick(state) }

// Of is the count of one state.
func (c StateCounts) Of(state string) int {
	switch state {
	case StateInProgress:
		return c.InProgress
	case StateSignedOff:
		return c.SignedOff
	case StateNotStarted:
		return c.NotStarted
	case StateDue:
		return c.Due
	}
	return 0
}

func (g DomainGroup) pick(states ...string) []ProgressItem {
	var out []ProgressItem
	for _, it := range g.Items {
		if slices.Contains(states, it.State) {
			out = append(out, it)
		}
	}
	return out
}

// ProgressItem is one competency as "My progress" lists it.
type ProgressItem struct {
	Code, Title, State, StateLabel string
	// Done is "8 of 10 observed" and the like; Next is the first thing
	// still missing; Href is the full record.
	Done, Next, Href string
}

// TaskGroup is the tasks at one level: cleared, in training (under direct
// supervision), not started.
type TaskGroup struct {
	Key, Label string
	Tasks      []TaskItem
}

// TaskItem is one task with why it is where it is.
type TaskItem struct {
	Code, Title, Status, Class string
	// Why lists the reasons that are the task's own (shared credential
	// blockers are in Apprentice.Blockers); LapsesOn is when a clearance
	// lapses unless renewed.
	Why      []string
	Shared   bool // a blocker shown at the top also holds this task up
	LapsesOn curriculum.Date
}

// DomainLabels name the program format's domains.
var DomainLabels = map[curriculum.Domain]string{
	curriculum.Clinical: "Clinical", curriculum.Laboratory: "Laboratory", curriculum.Administrative: "Administrative", curriculum.Safety: "Safety",
}

// domainOrder is the order domains are shown in.
var domainOrder = []curriculum.Domain{curriculum.Clinical, curriculum.Laboratory, curriculum.Administrative, curriculum.Safety}

// dueWindowDays: a re-verification due within this many days counts as
// due (and is a reminder).
const dueWindowDays = 30

// remindWindowDays: credential expiries and re-verifications this close
// are reminders on home.
const remindWindowDays = 90

// day writes a date as people read it ("31 Dec 2026").
func day(d curriculum.Date) string { return d.Time(time.UTC).Format("2 Jan 2006") }

// ApprenticeView builds the read model.
func ApprenticeView(in ApprenticeInput) *Apprentice {
	a := &Apprentice{Progress: assessments.Summarize(in.Records, in.Now)}
	a.credentials(in)
	a.progress(in)
	a.tasks(in)
	a.steps(in)
	return a
}

func (a *Apprentice) credentials(in ApprenticeInput) {
	for _, st := range in.Credentials {
		name := st.Credential
		if ct := in.Program.CredentialType(st.Credential); ct != nil {
			name = ct.Name
		}
		var r Reminder
		switch st.Status {
		case curriculum.CredentialMissing:
			r = Reminder{Text: "No " + name + " on file: give your card to HR so they can add it.", Urgent: true}
		case curriculum.CredentialExpired:
			r = Reminder{Text: name + " expired " + day(st.Expires) + ": give your new card to HR.", Urgent: true}
		case curriculum.CredentialUnverified:
			r = Reminder{Text: name + " is on file but not verified yet: HR checks it at the source."}
		case curriculum.CredentialMissingInGrace:
			r = Reminder{Text: "No " + name + " on file yet: get one by " + day(st.GraceUntil) + " and give it to HR."}
		case curriculum.CredentialExpiring:
			r = Reminder{Text: fmt.Sprintf("%s expires %s (in %d days): renew it and give your new card to HR.", name, day(st.Expires), st.DaysLeft)}
		default:
			continue
		}
		r.Href = in.CredentialsURL
		a.Reminders = append(a.Reminders, r)
	}
	for _, cp := range a.Progress.Competencies {
		if d := cp.ReverificationDue; !d.IsZero() && !d.After(in.Today.AddDays(remindWindowDays)) {
			r := Reminder{Text: cp.Title + ": re-verification due " + day(d) + ". Ask your preceptor to re-verify it.", Href: in.EnrollmentURL + "?c=" + cp.Code + "#c-" + cp.Code}
			if d.Before(in.Today) {
				r.Text, r.Urgent = cp.Title+": re-verification overdue since "+day(d)+". Ask your preceptor to re-verify it.", true
			}
			a.Reminders = append(a.Reminders, r)
		}
	}
	slices.SortStableFunc(a.Reminders, func(x, y Reminder) int {
		switch {
		case x.Urgent && !y.Urgent:
			return -1
		case y.Urgent && !x.Urgent:
			return 1
		}
		return 0
	})
}

// stateOf places a competency on "My progress".
func stateOf(cp *assessments.CompetencyProgress, today curriculum.Date) string {
	if cp.SignedOff {
		if d := cp.ReverificationDue; (!d.IsZero() && !d.After(today.AddDays(dueWindowDays))) || !cp.Current {
			return StateDue
		}
		return StateSignedOff
	}
	if !cp.LastAttemptOn.IsZero() || cp.Tested {
		return StateInProgress
	}
	for _, v := range cp.Variants {
		if v.Successful > 0 {
			return StateInProgress
		}
	}
	return StateNotStarted
}

func stateLabel(state string) string {
	for _, s := range StateLabels {
		if s.Value == state {
			return s.Label
		}
	}
	return state
}

func (a *Apprentice) progress(in ApprenticeInput) {
	groups := map[curriculum.Domain]*DomainGroup{}
	for i := range a.Progress.Competencies {
		cp := &a.Progress.Competencies[i]
		it := ProgressItem{Code: cp.Code, Title: cp.Title, State: stateOf(cp, in.Today), Href: in.EnrollmentURL + "?c=" + cp.Code + "#c-" + cp.Code}
		it.StateLabel = stateLabel(it.State)
		var done []string
		for _, v := range cp.Variants {
			name := v.Title
			if name == "" {
				name = v.Variant
			}
			if name != "" {
				name += " "
			}
			done = append(done, fmt.Sprintf("%s%d of %d observed", name, min(v.Successful, v.Required), v.Required))
		}
		it.Done = strings.Join(done, "; ")
		switch {
		case it.State == StateSignedOff && !cp.SignedOffOn.IsZero():
			it.Next = "Signed off " + day(cp.SignedOffOn)
		case it.State == StateDue && !cp.ReverificationDue.IsZero():
			it.Next = "Re-verification due " + day(cp.ReverificationDue)
		case len(cp.Missing) > 0:
			it.Next = cp.Missing[0]
		}
		g := groups[cp.Domain]
		if g == nil {
			g = &DomainGroup{Domain: cp.Domain, Label: DomainLabels[cp.Domain]}
			if g.Label == "" {
				g.Label = strings.ToUpper(string(cp.Domain[:min(1, len(cp.Domain))])) + string(cp.Domain[min(1, len(cp.Domain)):])
			}
			if g.Label == "" {
				g.Label = "Other"
			}
			groups[cp.Domain] = g
		}
		g.Items = append(g.Items, it)
		g.Counts.add(it.State)
		a.Counts.add(it.State)
	}
	for _, d := range domainOrder {
		if g := groups[d]; g != nil {
			a.Groups = append(a.Groups, *g)
			delete(groups, d)
		}
	}
	var rest []curriculum.Domain
	for d := range groups {
		rest = append(rest, d)
	}
	slices.Sort(rest)
	for _, d := range rest {
		a.Groups = append(a.Groups, *groups[d])
	}
}

// credentialReason reports whether r is about a credential that holds the
// task up.
func credentialReason(r *curriculum.Reason) bool {
	switch r.Code {
	case curriculum.ReasonCredentialMissing, curriculum.ReasonCredentialExpired, curriculum.ReasonCredentialUnverified:
		return r.Effect > curriculum.Info
	}
	return false
}

func (a *Apprentice) tasks(in ApprenticeInput) {
	// A credential problem holding up more than one task is said once,
	// at the top.
	shared := map[string]int{}
	for i := range in.Decisions {
		for j := range in.Decisions[i].Reasons {
			if r := &in.Decisions[i].Reasons[j]; credentialReason(r) {
				shared[r.Message()]++
			}
		}
	}
	for msg, n := range shared {
		if n > 1 {
			a.Blockers = append(a.Blockers, Reminder{Text: fmt.Sprintf("%s This holds up %d tasks.", msg, n), Href: in.CredentialsURL, Urgent: true})
		}
	}
	slices.SortFunc(a.Blockers, func(x, y Reminder) int { return strings.Compare(x.Text, y.Text) })
	groups := []TaskGroup{{Key: "cleared", Label: "Cleared"}, {Key: "training", Label: "In training"}, {Key: "not_started", Label: "Not started"}}
	for i := range in.Decisions {
		d := &in.Decisions[i]
		it := TaskItem{Code: d.Task, Title: d.Task, Status: d.Status.Label(), LapsesOn: d.LapsesOn}
		if t := in.Program.Task(d.Task); t != nil {
			it.Title = t.Title
		}
		started := false
		for j := range d.Reasons {
			r := &d.Reasons[j]
			if credentialReason(r) && shared[r.Message()] > 1 {
				it.Shared = true
				continue
			}
			if r.Effect == curriculum.Info {
				// Warnings (a card expiring, a re-verification due
				// soon) are reminders, not reasons.
				continue
			}
			it.Why = append(it.Why, r.Message())
			if r.Code != curriculum.ReasonTrainingNotStarted {
				started = started || r.Code == curriculum.ReasonCountShort && r.Have > 0
			}
		}
		switch {
		case d.Status == curriculum.Cleared:
			it.Class = "status-ok"
			groups[0].Tasks = append(groups[0].Tasks, it)
		case d.Status != curriculum.NotCleared || started:
			// Under direct or indirect supervision, or begun.
			it.Class = "status-warn"
			groups[1].Tasks = append(groups[1].Tasks, it)
		default:
			it.Class = "status-bad"
			groups[2].Tasks = append(groups[2].Tasks, it)
		}
	}
	a.Tasks = groups
}

func (a *Apprentice) steps(in ApprenticeInput) {
	for _, r := range a.Reminders {
		if r.Urgent {
			a.Steps = append(a.Steps, Link{Text: r.Text, Href: r.Href})
		}
	}
	// The competencies closest to done first: the fewest performances
	// still to observe.
	type cand struct {
		left int
		link Link
	}
	var cands []cand
	for i := range a.Progress.Competencies {
		cp := &a.Progress.Competencies[i]
		if cp.SignedOff || len(cp.Missing) == 0 || stateOf(cp, in.Today) != StateInProgress {
			continue
		}
		left := 0
		for _, v := range cp.Variants {
			left += max(0, v.Required-v.Successful)
		}
		cands = append(cands, cand{left, Link{Text: cp.Title + ": " + cp.Missing[0], Href: in.EnrollmentURL + "?c=" + cp.Code + "#c-" + cp.Code}})
	}
	slices.SortStableFunc(cands, func(x, y cand) int { return x.left - y.left })
	for _, r := range a.Reminders {
		if !r.Urgent && len(a.Steps) < 2 {
			a.Steps = append(a.Steps, Link{Text: r.Text, Href: r.Href})
		}
	}
	for _, c := range cands {
		a.Steps = append(a.Steps, c.link)
	}
	if len(a.Steps) > 3 {
		a.Steps = a.Steps[:3]
	}
}

// Submission is one self-log or hours entry as "My submissions" lists it.
type Submission struct {
	Kind, What, On, Status, Class, Reason, Reviewer string
	Logged                                          time.Time
}

// Submissions lists the apprentice's self-logs and hours, newest first,
// pending first within a day logged.
func Submissions(prog *curriculum.Program, rec *assessments.Records) (pending, done []Submission) {
	var all []Submission
	for _, l := range rec.SelfLogs {
		what := l.Competency
		if c := prog.Competency(l.Competency); c != nil {
			what = c.Title
		}
		if l.Variant != "" {
			what += " (" + l.Variant + ")"
		}
		s := Submission{Kind: "Performance", What: what, On: l.PerformedOn.String(), Logged: l.LoggedAt, Reason: l.RejectionReason, Reviewer: l.ReviewerName}
		switch l.Status {
		case assessments.SelfLogVerified:
			s.Status, s.Class = "Verified", "status-ok"
			if l.TranscribedBy != "" {
				s.Status = "Countersigned on paper (transcribed from paper)"
			}
		case assessments.SelfLogRejected:
			s.Status, s.Class = "Rejected", "status-bad"
		default:
			s.Status, s.Class = "Waiting for verification", "status-warn"
		}
		all = append(all, s)
	}
	for _, h := range rec.Hours {
		what := h.Code
		for _, w := range prog.WorkProcesses {
			if w.Code == h.Code {
				what = w.Title
			}
		}
		for _, c := range prog.RTICourses {
			if c.Code == h.Code {
				what = c.Title
			}
		}
		s := Submission{Kind: "Hours", What: h.Minutes.String() + " h · " + what, On: h.WorkedOn.String(), Logged: h.LoggedAt, Reason: h.RejectionReason, Reviewer: h.ReviewerName}
		switch h.Status {
		case assessments.HoursApproved:
			s.Status, s.Class = "Approved", "status-ok"
			if h.TranscribedBy != "" {
				s.Status = "Approved on paper (transcribed from paper)"
			}
		case assessments.HoursRejected:
			s.Status, s.Class = "Rejected", "status-bad"
		default:
			s.Status, s.Class = "Waiting for approval", "status-warn"
		}
		all = append(all, s)
	}
	slices.SortStableFunc(all, func(x, y Submission) int { return y.Logged.Compare(x.Logged) })
	for _, s := range all {
		if s.Class == "status-warn" {
			pending = append(pending, s)
		} else {
			done = append(done, s)
		}
	}
	return pending, done
}
