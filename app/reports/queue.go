package reports

import (
	"context"
	"slices"
	"strings"

	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// Queue is everything waiting for one reviewer (a preceptor, or a director
// for their sites): self-logged performances and hours to verify,
// competencies ready for sign-off and re-verifications due, each named by
// apprentice and competency, with the enrollment to link to. The number
// of queries does not depend on how many rows it holds.
type Queue struct {
	SelfLogs []QueueSelfLog
	Hours    []QueueHours
	// Ready: initial sign-offs the rules allow now; Reverify:
	// re-verifications in their window or overdue, ready or with what is
	// missing. Only competencies the reviewer may sign off are listed.
	Ready, Reverify []QueueSignOff
	// Close: initial sign-offs only CloseShort or fewer observed
	// performances away (nothing else missing): what to observe today.
	Close []QueueSignOff
	// Apprentices is one line per apprentice (their enrollment in force),
	// sorted by name.
	Apprentices []QueueApprentice
	// AsOf is the organisation's day the queue was computed for.
	AsOf curriculum.Date
}

// CloseShort is how few observed performances away from a sign-off a
// competency is listed as close.
const CloseShort = 2

// Len is the number of items waiting (apprentices are not items).
func (q *Queue) Len() int {
	return len(q.SelfLogs) + len(q.Hours) + len(q.Ready) + len(q.Reverify)
}

// QueueSelfLog is a self-logged performance waiting for the reviewer.
type QueueSelfLog struct {
	assessments.SelfLog
	Apprentice      string
	CompetencyTitle string
}

// QueueHours is an hours entry waiting for the reviewer.
type QueueHours struct {
	assessments.HoursEntry
	Apprentice string
	// Title is the work process's or course's title.
	Title string
}

// QueueSignOff is a competency of an enrollment that is, or is about to
// be, the reviewer's to sign.
type QueueSignOff struct {
	assessments.Readiness
	Apprentice   string
	EnrollmentID string
}

// QueueApprentice is one apprentice the reviewer follows.
type QueueApprentice struct {
	Name, EnrollmentID string
	Percent, Ready     int
}

// Queue builds the reviewer's queue over the enrollments they may review
// (the caller decides which). Enrollments moved to a newer program version
// are left out: their records carry over to the new enrollment, which is
// the one listed, so nobody appears twice. search, when not blank, keeps
// the apprentices whose name contains it (any case).
func (s *Service) Queue(ctx context.Context, reviewer assessments.Actor, ens []assessments.Enrollment, search string) (*Queue, error) {
	// Pending items of a superseded enrollment are still the reviewer's
	// to review: ask with every enrollment, list under the one in force.
	pend, err := s.Evidence.PendingFor(ctx, reviewer, ens)
	if err != nil {
		return nil, err
	}
	ens, err = s.InForce(ctx, ens)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(ens)+len(pend.SelfLogs))
	for _, e := range ens {
		ids = append(ids, e.ApprenticeID)
	}
	for _, l := range pend.SelfLogs {
		ids = append(ids, l.ApprenticeID)
	}
	slices.Sort(ids)
	people, err := s.Accounts.ByIDs(ctx, slices.Compact(ids))
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(people))
	for _, p := range people {
		names[p.ID] = p.Name
	}
	search = strings.ToLower(strings.TrimSpace(search))
	match := func(id string) bool { return search == "" || strings.Contains(strings.ToLower(names[id]), search) }
	ens = slices.DeleteFunc(ens, func(e assessments.Enrollment) bool { return !match(e.ApprenticeID) })
	recs, err := s.Evidence.Load(ctx, ens)
	if err != nil {
		return nil, err
	}

	now := s.now()
	q := &Queue{}
	versions := map[string]*assessments.ProgramVersion{} // apprentice -> version in force
	listed := map[string]bool{}
	var creds []curriculum.ProfessionalCredential
	if reviewer.Credential != "" {
		creds = append(creds, reviewer.Credential)
	}
	for _, e := range ens {
		r := recs[e.ID]
		if r == nil || r.Enrollment == nil || r.Enrollment.Version == nil {
			continue
		}
		pv := r.Enrollment.Version
		q.AsOf = pv.Day(now)
		pr := assessments.Summarize(r, now)
		line := QueueApprentice{Name: names[e.ApprenticeID], EnrollmentID: e.ID, Percent: pr.Percent}
		for _, cp := range pr.Competencies {
			rd := cp.SignOff
			c := pv.Competency(cp.Code)
			if rd.Kind == "" || c == nil || !c.MaySignOff(reviewer.ID, creds...) {
				continue
			}
			item := QueueSignOff{Readiness: rd, Apprentice: line.Name, EnrollmentID: e.ID}
			switch {
			case rd.Kind == curriculum.InitialSignOff && rd.Ready:
				q.Ready = append(q.Ready, item)
				line.Ready++
			case rd.Kind == curriculum.InitialSignOff && rd.OnlyObservations && rd.Short <= CloseShort:
				q.Close = append(q.Close, item)
			case rd.Kind == curriculum.ReverificationSignOff && !q.AsOf.Before(rd.OpensOn):
				q.Reverify = append(q.Reverify, item)
				if rd.Ready {
					line.Ready++
				}
			}
		}
		q.Apprentices = append(q.Apprentices, line)
		versions[e.ApprenticeID] = pv
		for _, h := range pend.Hours {
			if h.ApprenticeID == e.ApprenticeID && !listed[h.ID] {
				listed[h.ID] = true
				q.Hours = append(q.Hours, QueueHours{HoursEntry: h, Apprentice: line.Name, Title: hoursTitle(pv.Program(), h)})
			}
		}
	}
	for _, l := range pend.SelfLogs {
		if !match(l.ApprenticeID) {
			continue
		}
		title := l.Competency
		if pv := versions[l.ApprenticeID]; pv != nil {
			if c := pv.Competency(l.Competency); c != nil {
				title = c.Title
			}
		}
		q.SelfLogs = append(q.SelfLogs, QueueSelfLog{SelfLog: l, Apprentice: names[l.ApprenticeID], CompetencyTitle: title})
	}
	slices.SortStableFunc(q.Apprentices, func(a, b QueueApprentice) int { return strings.Compare(a.Name, b.Name) })
	// Overdue first, then soonest due.
	slices.SortStableFunc(q.Reverify, func(a, b QueueSignOff) int { return a.DueOn.Compare(b.DueOn) })
	return q, nil
}

// InForce drops, from ens, enrollments that were moved to a newer program
// version (superseded: read-only, their records carried over), and
// duplicates, keeping the order. One query.
func (s *Service) InForce(ctx context.Context, ens []assessments.Enrollment) ([]assessments.Enrollment, error) {
	seen := make(map[string]bool, len(ens))
	out := make([]assessments.Enrollment, 0, len(ens))
	ids := make([]string, 0, len(ens))
	for _, e := range ens {
		if !seen[e.ID] {
			seen[e.ID] = true
			out = append(out, e)
			ids = append(ids, e.ID)
		}
	}
	moves, err := s.Evidence.Store.Moves(ctx, ids)
	if err != nil {
		return nil, err
	}
	moved := map[string]bool{}
	for _, m := range moves {
		moved[m.From] = true
	}
	return slices.DeleteFunc(out, func(e assessments.Enrollment) bool { return moved[e.ID] }), nil
}

func hoursTitle(p *curriculum.Program, h assessments.HoursEntry) string {
	if h.Kind == assessments.OJL {
		for _, wp := range p.WorkProcesses {
			if wp.Code == h.Code {
				return wp.Title
			}
		}
	}
	for _, rc := range p.RTICourses {
		if rc.Code == h.Code {
			return rc.Title
		}
	}
	return h.Code
}
