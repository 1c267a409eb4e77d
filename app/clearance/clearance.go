// Package clearance answers "may this person perform this task on this
// day, and why": it loads a person's enrollment, evidence and credentials,
// and runs the curriculum's clearance engine on them. Pages, the JSON API
// and reports all go through it, so they always give the same answer.
//
// Loading is batched: deciding for one person or for a whole site takes
// the same small number of queries (enrollments, preceptors, one per kind
// of evidence, credentials), and compiled rules of published versions are
// cached by the programs store.
package clearance

import (
	"context"
	"slices"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"

	"github.com/skillgate/skillgate/errkind"
)

// ErrNotEnrolled: the person has no enrollment in force on the day asked,
// so there is no program to decide against.
//
// Person-level routes answer it also when the enrollment in force is at a
// site the caller may not see (the two read the same), hence the wording.
var ErrNotEnrolled = errkind.New(errkind.NotFound, "This person is not enrolled in a program on that date, at least not at a site you may see, so no task can be cleared.")

// Service decides clearances.
type Service struct {
	Evidence *evidence.Service
	// CacheSize bounds the decisions of the current days Decide keeps in
	// memory, in person-days (0: DefaultCacheSize; negative: no cache);
	// the whole organisation's day fits however it is set (cache.go).
	CacheSize int
	// OtherDaysCacheSize bounds those of other days, apart (0:
	// DefaultOtherDaysCacheSize; negative: none).
	OtherDaysCacheSize int
	// SnapshotSize bounds the people whose evidence snapshots are kept
	// (snapshot.go; 0: DefaultSnapshotSize; negative: none).
	SnapshotSize int

	cache   decisionCache
	snaps   snapshotCache
	codes   codeTable
	names   nameTable
	flights inFlight
}

// Result is one person's decisions for every task of their program.
type Result struct {
	PersonID string
	AsOf     curriculum.Date
	// KnownAt is the instant whose knowledge the decisions use (zero:
	// everything on file now).
	KnownAt    time.Time
	Enrollment *assessments.Enrollment
	Rules      *curriculum.Rules
	Records    *assessments.Records
	Decisions  []curriculum.Decision
	// Marks are the competencies' standings on AsOf (assessments.Marks),
	// made only for decisions filed in the cache (Decided.Marks).
	Marks []assessments.Mark
}

// Program returns the program content the decisions were made against.
func (r *Result) Program() *curriculum.Program { return &r.Rules.Version().Program }

// Decision returns the decision for a task code, or false.
func (r *Result) Decision(task string) (curriculum.Decision, bool) {
	for _, d := range r.Decisions {
		if d.Task == task {
			return d, true
		}
	}
	return curriculum.Decision{}, false
}

// Task returns the task definition for a code, or nil.
func (r *Result) Task(code string) *curriculum.Task { return r.Program().Task(code) }

// ForPeople decides for each person as of asOf. People without an
// enrollment in force that day are absent from the map.
func (s *Service) ForPeople(ctx context.Context, personIDs []string, asOf curriculum.Date) (map[string]*Result, error) {
	return s.evaluate(ctx, personIDs, asOf, time.Time{}, evidence.AllFields, false)
}

// ForPeopleKnownAt is ForPeople answering as Skillgate would have answered
// at knownAt: about the same day, with only what was recorded by then
// (evidence, credentials and their verifications, enrollments, status
// changes, moves and hire-date changes recorded after knownAt are left
// out). Records count from the day they happened, so asking about a day
// with a later knownAt counts late entries. Zero knownAt is ForPeople.
func (s *Service) ForPeopleKnownAt(ctx context.Context, personIDs []string, asOf curriculum.Date, knownAt time.Time) (map[string]*Result, error) {
	return s.evaluate(ctx, personIDs, asOf, knownAt, evidence.AllFields, false)
}

// evaluate is ForPeopleKnownAt reading the records scope says (with
// evidence.DecisionFields, Records hold only what decisions need), and
// making the competencies' Marks too when marks is set.
func (s *Service) evaluate(ctx context.Context, personIDs []string, asOf curriculum.Date, knownAt time.Time, scope evidence.Scope, marks bool) (map[string]*Result, error) {
	out, _, _, err := s.evaluateRoster(ctx, personIDs, asOf, knownAt, scope, marks)
	return out, err
}

// evaluateRoster is evaluate also returning what it read about the people
// (every enrollment, move and hire date, for any day) and the evidence
// each decision was made from, by person: what a snapshot keeps.
func (s *Service) evaluateRoster(ctx context.Context, personIDs []string, asOf curriculum.Date, knownAt time.Time, scope evidence.Scope, marks bool) (map[string]*Result, *roster, map[string]*curriculum.Evidence, error) {
	if len(personIDs) == 0 {
		return map[string]*Result{}, &roster{}, nil, nil
	}
	ro, err := s.roster(ctx, personIDs, knownAt)
	if err != nil {
		return nil, nil, nil, err
	}
	chosen := ro.inForce(asOf)
	list := make([]assessments.Enrollment, 0, len(chosen))
	for _, e := range chosen {
		list = append(list, e)
	}
	recs, err := s.Evidence.LoadKnownAt(ctx, list, scope, knownAt)
	if err != nil {
		return nil, nil, nil, err
	}
	out := make(map[string]*Result, len(chosen))
	evs := make(map[string]*curriculum.Evidence, len(chosen))
	for person, e := range chosen {
		rec := recs[e.ID]
		pv := rec.Enrollment.Version
		ev := assessments.BuildEvidence(rec)
		r := &Result{PersonID: person, AsOf: asOf, KnownAt: knownAt, Enrollment: rec.Enrollment, Rules: pv.Rules, Records: rec,
			Decisions: pv.Rules.Evaluate(ev, asOf)}
		if marks {
			r.Marks = assessments.Marks(pv, ev, asOf)
		}
		out[person], evs[person] = r, ev
	}
	return out, ro, evs, nil
}

// roster is what deciding reads about people before their records, for
// every day at once: their enrollments (oldest first, status History
// attached, and the Version where there is a history, whose days are in
// the program's zone), the moves between them, and each person's hire
// date in force (accounts.HireDates). With a knownAt, everything is as
// recorded by then (enrollments, moves, status changes, hire-date
// changes).
type roster struct {
	ens   []assessments.Enrollment
	moves []evidence.Move
	hires map[string]curriculum.Date
}

// roster reads the people's roster in a fixed number of queries.
func (s *Service) roster(ctx context.Context, personIDs []string, knownAt time.Time) (*roster, error) {
	ens, err := s.Evidence.Store.Enrollments(ctx, evidence.EnrollmentFilter{ApprenticeIDs: personIDs})
	if err != nil {
		return nil, err
	}
	if !knownAt.IsZero() {
		ens = slices.DeleteFunc(ens, func(e assessments.Enrollment) bool { return e.CreatedAt.After(knownAt) })
	}
	ids := make([]string, len(ens))
	for i, e := range ens {
		ids[i] = e.ID
	}
	moves, err := s.Evidence.Store.Moves(ctx, ids)
	if err != nil {
		return nil, err
	}
	if !knownAt.IsZero() {
		moves = slices.DeleteFunc(moves, func(m evidence.Move) bool { return m.MovedAt.After(knownAt) })
	}
	history, err := s.Evidence.Store.StatusHistory(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range ens {
		if h := history[ens[i].ID]; len(h) > 0 {
			ens[i].History = h
			if !knownAt.IsZero() {
				ens[i] = ens[i].AsKnownAt(knownAt)
			}
			// Compiled once per process: no query after the first.
			if ens[i].Version, err = s.Evidence.Version(ctx, ens[i].VersionID); err != nil {
				return nil, err
			}
		}
	}
	people := make([]string, 0, len(ens))
	seen := map[string]bool{}
	for _, e := range ens {
		if !seen[e.ApprenticeID] {
			seen[e.ApprenticeID] = true
			people = append(people, e.ApprenticeID)
		}
	}
	hires, err := accounts.HireDatesKnownAt(ctx, s.Evidence.Store.DB, people, knownAt)
	if err != nil {
		return nil, err
	}
	return &roster{ens: ens, moves: moves, hires: hires}, nil
}

// inForce returns, per person, the enrollment in force on asOf (see
// pick), with the person's hire date in force as its HireDate.
func (ro *roster) inForce(asOf curriculum.Date) map[string]assessments.Enrollment {
	chosen := pick(ro.ens, ro.moves, asOf)
	// Grace periods count from the person's hire date, so a re-enrollment
	// does not restart them; the enrollment's own is used only for a
	// person HR has recorded none for.
	for p, e := range chosen {
		if h, ok := ro.hires[p]; ok {
			e.HireDate = h
			chosen[p] = e
		}
	}
	return chosen
}

// Standing is a person's enrollment in force and their credentials,
// without evidence: what credential dashboards need, at a fraction of the
// cost of deciding every task.
type Standing struct {
	PersonID    string
	Enrollment  *assessments.Enrollment
	Rules       *curriculum.Rules
	Credentials []curriculum.CredentialRecord
	// Stored are the same credentials as stored, with who verified them
	// and when (reports show it).
	Stored []credentials.Record
}

// Standings returns the standing of each person enrolled on asOf (people
// without an enrollment in force are absent): enrollments, moves, status
// history, hire dates and credentials, a fixed number of queries however many people.
func (s *Service) Standings(ctx context.Context, personIDs []string, asOf curriculum.Date) (map[string]*Standing, error) {
	return s.StandingsKnownAt(ctx, personIDs, asOf, time.Time{})
}

// StandingsKnownAt is Standings as Skillgate would have answered at
// knownAt: only enrollments, their changes and credentials (and their
// verifications) recorded by then. Zero knownAt is Standings.
func (s *Service) StandingsKnownAt(ctx context.Context, personIDs []string, asOf curriculum.Date, knownAt time.Time) (map[string]*Standing, error) {
	out := map[string]*Standing{}
	if len(personIDs) == 0 {
		return out, nil
	}
	ro, err := s.roster(ctx, personIDs, knownAt)
	if err != nil {
		return nil, err
	}
	chosen := ro.inForce(asOf)
	people := make([]string, 0, len(chosen))
	for p := range chosen {
		people = append(people, p)
	}
	creds, err := s.Evidence.Credentials.ForPeople(ctx, people)
	if err != nil {
		return nil, err
	}
	for person, e := range chosen {
		pv, err := s.Evidence.Version(ctx, e.VersionID)
		if err != nil {
			return nil, err
		}
		e.Version = pv
		stored := credentials.KnownAt(creds[person], knownAt)
		out[person] = &Standing{PersonID: person, Enrollment: &e, Rules: pv.Rules,
			Credentials: credentials.CurriculumRecords(stored, pv.Location()), Stored: stored}
	}
	return out, nil
}

// RequiredCredentials is Result.RequiredCredentials for a standing.
func (st *Standing) RequiredCredentials(asOf curriculum.Date) []curriculum.CredentialState {
	return requiredCredentials(st.Rules, st.Credentials, st.Enrollment.HireDate, asOf)
}

// For decides for one person; ErrNotEnrolled when they have no program.
func (s *Service) For(ctx context.Context, personID string, asOf curriculum.Date) (*Result, error) {
	m, err := s.ForPeople(ctx, []string{personID}, asOf)
	if err != nil {
		return nil, err
	}
	r, ok := m[personID]
	if !ok {
		return nil, ErrNotEnrolled
	}
	return r, nil
}

// pick chooses, per person, the enrollment in force on asOf: the most
// recently created one that had started by then, was not withdrawn by then
// (its status on asOf, from its History: withdrawn later, it was in force
// on the days before) and had not been moved to a newer version by then.
// (Enrollments come oldest first.)
func pick(ens []assessments.Enrollment, moves []evidence.Move, asOf curriculum.Date) map[string]assessments.Enrollment {
	movedOn := map[string]curriculum.Date{}
	for _, m := range moves {
		movedOn[m.From] = m.EffectiveOn
	}
	out := map[string]assessments.Enrollment{}
	for _, e := range ens {
		if e.StartDate.After(asOf) {
			continue
		}
		if st, _ := e.StatusOn(asOf); st == assessments.EnrollmentWithdrawn {
			continue
		}
		if on, ok := movedOn[e.ID]; ok && !on.After(asOf) {
			continue
		}
		out[e.ApprenticeID] = e
	}
	return out
}

// Today is the organisation's calendar day now.
func Today(now time.Time, loc *time.Location) curriculum.Date { return curriculum.DateOf(now, loc) }

// Tally is decisions counted by status, for summaries.
type Tally struct {
	Cleared, Indirect, Direct, Not int
}

// Counts tallies decisions by status.
func Counts(ds []curriculum.Decision) Tally {
	var t Tally
	for _, d := range ds {
		switch d.Status {
		case curriculum.Cleared:
			t.Cleared++
		case curriculum.IndirectSupervision:
			t.Indirect++
		case curriculum.DirectSupervision:
			t.Direct++
		default:
			t.Not++
		}
	}
	return t
}

// RequiredCredentials returns the status of every credential the person's
// program requires for any task, on asOf. When tasks require the same
// credential with different grace periods, the strictest (shortest grace)
// is used, so the page never shows a grace some task does not allow.
func (r *Result) RequiredCredentials(asOf curriculum.Date) []curriculum.CredentialState {
	return requiredCredentials(r.Rules, r.Records.Credentials, r.Enrollment.HireDate, asOf)
}

func requiredCredentials(rules *curriculum.Rules, records []curriculum.CredentialRecord, hire, asOf curriculum.Date) []curriculum.CredentialState {
	reqs := map[string]curriculum.CredentialRequirement{}
	var order []string
	for _, t := range rules.Version().Program.Tasks {
		for _, req := range t.Credentials {
			cur, seen := reqs[req.Credential]
			if !seen {
				order = append(order, req.Credential)
			}
			if !seen || req.WithinDaysOfHire < cur.WithinDaysOfHire {
				reqs[req.Credential] = req
			}
		}
	}
	out := make([]curriculum.CredentialState, 0, len(order))
	for _, code := range order {
		out = append(out, rules.CredentialStatus(reqs[code], records, hire, asOf))
	}
	return out
}
